// The Pulumi CLI, built offline from the Go module proxy: scripts/setup/toolchain.sh
// builds github.com/pulumi/pulumi/pkg/v3/cmd/pulumi inside this module, whose go.sum
// pins every dependency. Keep pkg/v3 at the pulumi version in requirements.txt.

//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
