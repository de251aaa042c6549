// Package provider maps the upstream Terraform OpenStack provider onto the Pulumi
// token namespace used by the published pulumi-openstack 5.x SDKs.
package provider

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	sdkv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	ptokens "github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/terraform-provider-openstack/terraform-provider-openstack/v3/openstack"
)

// Version is the plugin version reported to the engine and written to the schema.
const Version = "5.5.1"

const pkgName = "openstack"

//go:embed cmd/pulumi-resource-openstack/bridge-metadata.json
var bridgeMetadata []byte

// modules maps the Terraform name segment after "openstack_" onto the SDK's module.
// Anything else (taas_, workflow_) lands in "index".
var modules = map[string]string{
	"bgpvpn_":           "bgpvpn",
	"blockstorage_":     "blockstorage",
	"compute_":          "compute",
	"containerinfra_":   "containerinfra",
	"db_":               "database",
	"dns_":              "dns",
	"fw_":               "firewall",
	"identity_":         "identity",
	"images_":           "images",
	"keymanager_":       "keymanager",
	"lb_":               "loadbalancer",
	"loadbalancer_":     "loadbalancer",
	"networking_":       "networking",
	"objectstorage_":    "objectstorage",
	"orchestration_":    "orchestration",
	"sharedfilesystem_": "sharedfilesystem",
	"vpnaas_":           "vpnaas",
}

// The automatic names keep Terraform's version suffix and spelling
// (openstack_compute_keypair_v2 -> compute/keypairV2:KeypairV2). Resources that
// existed before pulumi-openstack adopted that scheme carry hand-picked names in the
// SDK; these tables list every name that differs from the automatic one (the module
// still comes from the prefix table above).
var resourceNames = map[string]string{
	"openstack_blockstorage_quotaset_v3":      "QuoteSetV3", // sic, as published
	"openstack_blockstorage_volume_attach_v3": "VolumeAttach",
	"openstack_blockstorage_volume_v3":        "Volume",

	"openstack_compute_flavor_access_v2":    "FlavorAccess",
	"openstack_compute_flavor_v2":           "Flavor",
	"openstack_compute_instance_v2":         "Instance",
	"openstack_compute_interface_attach_v2": "InterfaceAttach",
	"openstack_compute_keypair_v2":          "Keypair",
	"openstack_compute_quotaset_v2":         "QuotaSetV2",
	"openstack_compute_servergroup_v2":      "ServerGroup",
	"openstack_compute_volume_attach_v2":    "VolumeAttach",

	"openstack_containerinfra_cluster_v1":         "Cluster",
	"openstack_containerinfra_clustertemplate_v1": "ClusterTemplate",
	"openstack_containerinfra_nodegroup_v1":       "NodeGroup",

	"openstack_db_configuration_v1": "Configuration",
	"openstack_db_database_v1":      "Database",
	"openstack_db_instance_v1":      "Instance",
	"openstack_db_user_v1":          "User",

	"openstack_dns_recordset_v2":        "RecordSet",
	"openstack_dns_transfer_accept_v2":  "TransferAccept",
	"openstack_dns_transfer_request_v2": "TransferRequest",
	"openstack_dns_zone_v2":             "Zone",

	"openstack_identity_application_credential_v3":  "ApplicationCredential",
	"openstack_identity_inherit_role_assignment_v3": "InheritRoleAssignment",
	"openstack_identity_project_v3":                 "Project",
	"openstack_identity_role_assignment_v3":         "RoleAssignment",
	"openstack_identity_role_v3":                    "Role",
	"openstack_identity_user_v3":                    "User",

	"openstack_images_image_access_accept_v2": "ImageAccessAccept",
	"openstack_images_image_access_v2":        "ImageAccess",
	"openstack_images_image_v2":               "Image",

	"openstack_lb_l7policy_v2":     "L7PolicyV2",
	"openstack_lb_l7rule_v2":       "L7RuleV2",
	"openstack_lb_listener_v2":     "Listener",
	"openstack_lb_loadbalancer_v2": "LoadBalancer",
	"openstack_lb_member_v2":       "Member",
	"openstack_lb_members_v2":      "Members",
	"openstack_lb_monitor_v2":      "Monitor",
	"openstack_lb_pool_v2":         "Pool",
	"openstack_lb_quota_v2":        "Quota",

	"openstack_networking_addressscope_v2":               "AddressScope",
	"openstack_networking_floatingip_associate_v2":       "FloatingIpAssociate",
	"openstack_networking_floatingip_v2":                 "FloatingIp",
	"openstack_networking_network_v2":                    "Network",
	"openstack_networking_port_secgroup_associate_v2":    "PortSecGroupAssociate",
	"openstack_networking_port_v2":                       "Port",
	"openstack_networking_portforwarding_v2":             "PortForwardingV2",
	"openstack_networking_qos_bandwidth_limit_rule_v2":   "QosBandwidthLimitRule",
	"openstack_networking_qos_dscp_marking_rule_v2":      "QosDscpMarkingRule",
	"openstack_networking_qos_minimum_bandwidth_rule_v2": "QosMinimumBandwidthRule",
	"openstack_networking_qos_policy_v2":                 "QosPolicy",
	"openstack_networking_router_interface_v2":           "RouterInterface",
	"openstack_networking_router_route_v2":               "RouterRoute",
	"openstack_networking_router_v2":                     "Router",
	"openstack_networking_secgroup_rule_v2":              "SecGroupRule",
	"openstack_networking_secgroup_v2":                   "SecGroup",
	"openstack_networking_subnet_route_v2":               "SubnetRoute",
	"openstack_networking_subnet_v2":                     "Subnet",
	"openstack_networking_subnetpool_v2":                 "SubnetPool",
	"openstack_networking_trunk_v2":                      "Trunk",

	"openstack_objectstorage_container_v1": "Container",
	"openstack_objectstorage_object_v1":    "ContainerObject",
	"openstack_objectstorage_tempurl_v1":   "TempUrl",

	"openstack_sharedfilesystem_securityservice_v2": "SecurityService",
	"openstack_sharedfilesystem_share_access_v2":    "ShareAccess",
	"openstack_sharedfilesystem_share_v2":           "Share",
	"openstack_sharedfilesystem_sharenetwork_v2":    "ShareNetwork",

	"openstack_vpnaas_endpoint_group_v2":  "EndpointGroup",
	"openstack_vpnaas_ike_policy_v2":      "IkePolicy",
	"openstack_vpnaas_ipsec_policy_v2":    "IpSecPolicy",
	"openstack_vpnaas_service_v2":         "Service",
	"openstack_vpnaas_site_connection_v2": "SiteConnection",
}

var dataSourceNames = map[string]string{
	"openstack_compute_availability_zones_v2": "getAvailabilityZones",
	"openstack_compute_flavor_v2":             "getFlavor",
	"openstack_compute_keypair_v2":            "getKeypair",
	"openstack_compute_quotaset_v2":           "getQuotaSetV2",

	"openstack_containerinfra_cluster_v1":         "getCluster",
	"openstack_containerinfra_clustertemplate_v1": "getClusterTemplate",
	"openstack_containerinfra_nodegroup_v1":       "getNodeGroup",

	"openstack_dns_zone_v2": "getDnsZone",

	"openstack_identity_auth_scope_v3": "getAuthScope",
	"openstack_identity_endpoint_v3":   "getEndpoint",
	"openstack_identity_group_v3":      "getGroup",
	"openstack_identity_project_v3":    "getProject",
	"openstack_identity_role_v3":       "getRole",
	"openstack_identity_service_v3":    "getService",
	"openstack_identity_user_v3":       "getUser",

	"openstack_images_image_ids_v2": "getImageIds",
	"openstack_images_image_v2":     "getImage",

	"openstack_keymanager_container_v1": "getContainer",
	"openstack_keymanager_secret_v1":    "getSecret",

	// Both openstack_lb_flavor_v2 and this one would be loadbalancer/getFlavorV2.
	"openstack_loadbalancer_flavor_v2": "getLbFlavorDeprecated",

	"openstack_networking_addressscope_v2":               "getAddressScope",
	"openstack_networking_floatingip_v2":                 "getFloatingIp",
	"openstack_networking_network_v2":                    "getNetwork",
	"openstack_networking_port_ids_v2":                   "getPortIds",
	"openstack_networking_port_v2":                       "getPort",
	"openstack_networking_qos_bandwidth_limit_rule_v2":   "getQosBandwidthLimitRule",
	"openstack_networking_qos_dscp_marking_rule_v2":      "getQosDscpMarkingRule",
	"openstack_networking_qos_minimum_bandwidth_rule_v2": "getQosMinimumBandwidthRule",
	"openstack_networking_qos_policy_v2":                 "getQosPolicy",
	"openstack_networking_router_v2":                     "getRouter",
	"openstack_networking_secgroup_v2":                   "getSecGroup",
	"openstack_networking_subnet_v2":                     "getSubnet",
	"openstack_networking_subnetpool_v2":                 "getSubnetPool",
	"openstack_networking_trunk_v2":                      "getTrunk",

	"openstack_sharedfilesystem_availability_zones_v2": "getAvailbilityZones", // sic, as published
	"openstack_sharedfilesystem_share_v2":              "getShare",
	"openstack_sharedfilesystem_sharenetwork_v2":       "getShareNetwork",
	"openstack_sharedfilesystem_snapshot_v2":           "getSnapshot",

	// Published without the "get" prefix.
	"openstack_workflow_workflow_v2": "WorkflowWorkflowV2",
}

// Deprecated duplicates the SDK still ships under their earlier index-module tokens
// (what the bridge's auto-aliasing keeps from upstream's token history).
var legacyResources = map[string]string{
	"openstack_bgpvpn_network_associate_v2": "BgpvpnNetworkAssociateV2",
	"openstack_bgpvpn_port_associate_v2":    "BgpvpnPortAssociateV2",
	"openstack_bgpvpn_router_associate_v2":  "BgpvpnRouterAssociateV2",
	"openstack_bgpvpn_v2":                   "BgpvpnV2",
	"openstack_lb_flavorprofile_v2":         "LbFlavorprofileV2",
	"openstack_lb_loadbalancer_v2":          "LbLoadbalancerV2",
}

var legacyDataSources = map[string]string{
	"openstack_fw_group_v2":  "getFwGroupV2",
	"openstack_fw_policy_v2": "getFwPolicyV2",
	"openstack_fw_rule_v2":   "getFwRuleV2",
}

var makeToken = tokens.MakeStandard(pkgName)

// moduleOf returns the SDK module of a Terraform name, using the longest matching prefix.
func moduleOf(tfName string) string {
	rest := strings.TrimPrefix(tfName, pkgName+"_")
	best := ""
	for prefix := range modules {
		if strings.HasPrefix(rest, prefix) && len(prefix) > len(best) {
			best = prefix
		}
	}
	if best == "" {
		return "index"
	}
	return modules[best]
}

func mustToken(module, name string) string {
	tok, err := makeToken(module, name)
	if err != nil {
		panic(err)
	}
	return tok
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func envDefault(vars ...string) *tfbridge.SchemaInfo {
	return &tfbridge.SchemaInfo{Default: &tfbridge.DefaultInfo{EnvVars: vars}}
}

// Provider returns the bridge configuration.
func Provider() tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:                       sdkv2.NewProvider(openstack.Provider()),
		Name:                    pkgName,
		Version:                 Version,
		Description:             "A Pulumi package for creating and managing OpenStack cloud resources.",
		Keywords:                []string{"pulumi", "openstack"},
		License:                 "Apache-2.0",
		Homepage:                "https://pulumi.io",
		Repository:              "https://github.com/pulumi/pulumi-openstack",
		GitHubOrg:               "terraform-provider-openstack",
		TFProviderModuleVersion: "v3",
		MetadataInfo:            tfbridge.NewProviderMetadata(bridgeMetadata),
		// The Terraform schema already reads OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, ...
		// through its own defaults; these are the ones the SDK documents on top.
		Config: map[string]*tfbridge.SchemaInfo{
			"allow_reauth":  envDefault("OS_ALLOW_REAUTH"),
			"cloud":         envDefault("OS_CLOUD"),
			"delayed_auth":  envDefault("OS_DELAYED_AUTH"),
			"endpoint_type": envDefault("OS_ENDPOINT_TYPE"),
			"insecure":      envDefault("OS_INSECURE"),
			"region":        envDefault("OS_REGION_NAME"),
			"swauth":        envDefault("OS_SWAUTH"),
		},
		Resources:   map[string]*tfbridge.ResourceInfo{},
		DataSources: map[string]*tfbridge.DataSourceInfo{},
		Python:      &tfbridge.PythonInfo{RespectSchemaVersion: true},
	}

	for _, tf := range sortedKeys(resourceNames) {
		info.Resources[tf] = &tfbridge.ResourceInfo{
			Tok: ptokens.Type(mustToken(moduleOf(tf), resourceNames[tf])),
		}
	}
	for _, tf := range sortedKeys(dataSourceNames) {
		info.DataSources[tf] = &tfbridge.DataSourceInfo{
			Tok: ptokens.ModuleMember(mustToken(moduleOf(tf), dataSourceNames[tf])),
		}
	}

	// Property names the SDK spells differently from the automatic ones.
	info.Resources["openstack_networking_subnet_v2"].Fields = map[string]*tfbridge.SchemaInfo{
		"allocation_pool": {Name: "allocationPools"},
	}
	// Token left to the strategy below (orchestration/stackV1:StackV1).
	info.Resources["openstack_orchestration_stack_v1"] = &tfbridge.ResourceInfo{
		Fields: map[string]*tfbridge.SchemaInfo{
			"outputs": {Name: "StackOutputs"}, // "outputs" is reserved on resources
		},
	}
	info.Resources["openstack_lb_members_v2"].Fields = map[string]*tfbridge.SchemaInfo{
		"member": {CSharpName: "MemberList"},
	}

	// Everything else: module from the prefix, automatic name
	// (openstack_networking_segment_v2 -> openstack:networking/segmentV2:SegmentV2,
	// data sources get "get": openstack:networking/getSegmentV2:getSegmentV2).
	info.MustComputeTokens(tokens.MappedModules(pkgName+"_", "index", modules, makeToken))

	for _, tf := range sortedKeys(legacyResources) {
		r := info.Resources[tf]
		if r == nil {
			panic(fmt.Sprintf("legacy alias for unmapped resource %s", tf))
		}
		old := ptokens.Type(mustToken("index", legacyResources[tf]))
		info.RenameResourceWithAlias(tf, old, r.Tok, old.Module().Name().String(),
			r.Tok.Module().Name().String(), r)
	}
	for _, tf := range sortedKeys(legacyDataSources) {
		d := info.DataSources[tf]
		if d == nil {
			panic(fmt.Sprintf("legacy alias for unmapped data source %s", tf))
		}
		old := ptokens.ModuleMember(mustToken("index", legacyDataSources[tf]))
		info.RenameDataSource(tf, old, d.Tok, old.Module().Name().String(),
			d.Tok.Module().Name().String(), d)
	}

	info.MustApplyAutoAliases()
	info.SetAutonaming(255, "-")
	return info
}
