package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	provider "openstacklab/libvirt-bridge"
)

func main() {
	tfgen.Main("libvirt", provider.Version, provider.Provider())
}
