package main

import (
	_ "embed"
	"encoding/json"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	provider "openstacklab/openstack-bridge"
)

// schema.json is produced by: pulumi-tfgen-openstack schema --out cmd/pulumi-resource-openstack
//
//go:embed schema.json
var rawSchema []byte

// withVersion stamps the plugin version into the schema (tfgen leaves it out).
func withVersion(b []byte) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	v, _ := json.Marshal(provider.Version)
	m["version"] = v
	out, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return out
}

func main() {
	tfbridge.Main("openstack", provider.Version, provider.Provider(), withVersion(rawSchema))
}
