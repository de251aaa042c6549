// Package provider maps the upstream Terraform libvirt provider onto the
// Pulumi token namespace used by the published pulumi-libvirt SDKs.
package provider

import (
	_ "embed"

	"github.com/dmacvicar/terraform-provider-libvirt/libvirt"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	sdkv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
)

// Version is the plugin version reported to the engine and written to the schema.
const Version = "0.5.4"

const pkgName = "libvirt"

//go:embed cmd/pulumi-resource-libvirt/bridge-metadata.json
var bridgeMetadata []byte

// Provider returns the bridge configuration.
func Provider() tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:            sdkv2.NewProvider(libvirt.Provider()),
		Name:         pkgName,
		Version:      Version,
		Description:  "A Pulumi package for creating and managing libvirt resources.",
		Keywords:     []string{"pulumi", "libvirt"},
		License:      "Apache-2.0",
		Homepage:     "https://pulumi.io",
		Repository:   "https://github.com/pulumi/pulumi-libvirt",
		GitHubOrg:    "dmacvicar",
		MetadataInfo: tfbridge.NewProviderMetadata(bridgeMetadata),
		Config: map[string]*tfbridge.SchemaInfo{
			"uri": {Default: &tfbridge.DefaultInfo{EnvVars: []string{"LIBVIRT_DEFAULT_URI"}}},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"libvirt_cloudinit_disk": {Tok: "libvirt:index/cloudInitDisk:CloudInitDisk"},
			"libvirt_combustion":     {Tok: "libvirt:index/combustion:Combustion"},
			"libvirt_domain":         {Tok: "libvirt:index/domain:Domain"},
			"libvirt_ignition":       {Tok: "libvirt:index/ignition:Ignition"},
			"libvirt_network":        {Tok: "libvirt:index/network:Network"},
			"libvirt_pool":           {Tok: "libvirt:index/pool:Pool"},
			"libvirt_volume":         {Tok: "libvirt:index/volume:Volume"},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"libvirt_network_dns_host_template":        {Tok: "libvirt:index/getNetworkDnsHostTemplate:getNetworkDnsHostTemplate"},
			"libvirt_network_dns_srv_template":         {Tok: "libvirt:index/getNetworkDnsSrvTemplate:getNetworkDnsSrvTemplate"},
			"libvirt_network_dnsmasq_options_template": {Tok: "libvirt:index/getNetworkDnsmasqOptionsTemplate:getNetworkDnsmasqOptionsTemplate"},
		},
		Python: &tfbridge.PythonInfo{RespectSchemaVersion: true},
	}
	// Anything not mapped explicitly (e.g. libvirt_node_info) gets the
	// standard single-module token: libvirt_node_info -> libvirt:index/getNodeInfo:getNodeInfo.
	info.MustComputeTokens(tokens.SingleModule("libvirt_", "index", tokens.MakeStandard(pkgName)))
	info.MustApplyAutoAliases()
	info.SetAutonaming(255, "-")
	return info
}
