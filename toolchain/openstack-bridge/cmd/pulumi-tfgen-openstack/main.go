package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	provider "openstacklab/openstack-bridge"
)

func main() {
	tfgen.Main("openstack", provider.Version, provider.Provider())
}
