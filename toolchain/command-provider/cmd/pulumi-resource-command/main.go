// pulumi-resource-command serves command:remote:Command and command:local:Command to
// the pulumi_command SDK, standing in for upstream's plugin (see ../../README.md).
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"openstacklab/command-provider/local"
	"openstacklab/command-provider/remote"
)

// Version must equal the SDK's package version, or the engine looks for another plugin.
// Set with -ldflags "-X main.Version=1.2.1".
var Version = "1.2.1"

func main() {
	provider, err := newProvider()
	if err == nil {
		err = provider.Run(context.Background(), "command", strings.TrimPrefix(Version, "v"))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}

func newProvider() (p.Provider, error) {
	provider, err := infer.NewProviderBuilder().
		WithDisplayName("Command").
		WithDescription("Run commands locally or over SSH as part of the Pulumi resource model "+
			"(openstack-lab's own build of the subset the lab uses).").
		WithResources(
			infer.Resource(&remote.Command{}),
			infer.Resource(&local.Command{}),
		).
		Build()
	if err != nil {
		return provider, err
	}
	diff := provider.Diff
	provider.Diff = func(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
		resp, err := diff(ctx, req)
		replaceOnTriggers(resp.DetailedDiff)
		return resp, err
	}
	return provider, nil
}

// replaceOnTriggers turns any change under `triggers` into a replacement. infer looks up
// replaceOnChanges by the diff key, and a changed element's key is "triggers[0]", so
// it would plan an update; the SDKs also ask the engine for replaceOnChanges
// "triggers[*]", but the provider should not depend on that.
func replaceOnTriggers(diff map[string]p.PropertyDiff) {
	replace := map[p.DiffKind]p.DiffKind{p.Add: p.AddReplace, p.Delete: p.DeleteReplace, p.Update: p.UpdateReplace}
	for key, d := range diff {
		if key != "triggers" && !strings.HasPrefix(key, "triggers[") {
			continue
		}
		if kind, ok := replace[d.Kind]; ok {
			d.Kind = kind
			diff[key] = d
		}
	}
}
