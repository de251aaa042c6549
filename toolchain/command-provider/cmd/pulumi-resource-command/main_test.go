package main

// These go through the provider as the engine sees it (Check, Diff, Create), to pin
// what infer derives from the types: defaults, secrets, replacement on triggers.

import (
	"context"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"openstacklab/command-provider/internal/sshtest"
)

type m = map[string]property.Value

func server(t *testing.T) integration.Server {
	t.Helper()
	prov, err := newProvider()
	if err != nil {
		t.Fatal(err)
	}
	s, err := integration.NewServer(context.Background(), "command", semver.MustParse(Version),
		integration.WithProvider(prov))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func urn(token string) resource.URN {
	return resource.NewURN("test", "lab", "", tokens.Type(token), "cmd")
}

// checkAndCreate is what `pulumi up` does for a new resource.
func checkAndCreate(t *testing.T, s integration.Server, token string, inputs m, dryRun bool) property.Map {
	t.Helper()
	checked, err := s.Check(p.CheckRequest{Urn: urn(token), Inputs: property.NewMap(inputs)})
	if err != nil || len(checked.Failures) > 0 {
		t.Fatalf("check: %v %v", err, checked.Failures)
	}
	created, err := s.Create(p.CreateRequest{Urn: urn(token), Properties: checked.Inputs, DryRun: dryRun})
	if err != nil {
		t.Fatal(err)
	}
	return created.Properties
}

func TestCheckAppliesDefaultsAndHidesTheConnection(t *testing.T) {
	checked, err := server(t).Check(p.CheckRequest{Urn: urn("command:remote:Command"), Inputs: property.NewMap(m{
		"connection": property.New(m{"host": property.New("10.0.0.5")}),
	})})
	if err != nil {
		t.Fatal(err)
	}
	conn := checked.Inputs.Get("connection")
	if !conn.Secret() {
		t.Error("connection must be secret even when the program did not mark it")
	}
	c := conn.AsMap()
	if c.Get("port").AsNumber() != 22 || c.Get("user").AsString() != "root" ||
		c.Get("dialErrorLimit").AsNumber() != 10 || c.Get("perDialTimeout").AsNumber() != 15 {
		t.Errorf("defaults: %v", c)
	}
}

func TestLocalPreviewRunsNothing(t *testing.T) {
	out := checkAndCreate(t, server(t), "command:local:Command", m{
		"create": property.New("exit 1"), // would fail if it ran
	}, true)
	if !out.Get("stdout").IsComputed() {
		t.Errorf("stdout in a preview = %v", out.Get("stdout"))
	}
}

// As upstream (infer's default flow): an output is secret when the input of the same name
// is; stdout and stderr never are, whatever shaped them (additionalSecretOutputs hides them).
func TestStdoutIsSecretOnlyWhenAsked(t *testing.T) {
	s := server(t)
	local := checkAndCreate(t, s, "command:local:Command", m{
		"create":      property.New("echo $TOKEN"),
		"environment": property.New(m{"TOKEN": property.New("s3cret").WithSecret(true)}),
	}, false)
	if out := local.Get("stdout"); out.Secret() || out.AsString() != "s3cret" {
		t.Errorf("local stdout = %v", out)
	}
	if !local.Get("environment").AsMap().Get("TOKEN").Secret() {
		t.Error("a secret input stays secret in the state")
	}

	ssh := sshtest.Start(t, nil)
	conn := property.New(m{
		"host": property.New(ssh.Host()), "port": property.New(ssh.Port()),
		"privateKey": property.New(ssh.ClientKey), "hostKey": property.New(sshtest.AuthorizedKey(ssh.HostKey)),
	}).WithSecret(true)
	remote := checkAndCreate(t, s, "command:remote:Command", m{
		"connection": conn, "create": property.New("cat").WithSecret(true),
		"stdin": property.New("piped").WithSecret(true),
	}, false)
	if out := remote.Get("stdout"); out.Secret() || out.AsString() != "piped" {
		t.Errorf("remote stdout = %v", out)
	}
	if !remote.Get("connection").Secret() || !remote.Get("stdin").Secret() || !remote.Get("create").Secret() {
		t.Error("connection, stdin and create must stay secret in the state")
	}
}

// As upstream: a change to the connection alone (here the dial tuning) is an update, which
// runs `create` again; only `triggers` replace.
func TestConnectionChangeIsAnUpdate(t *testing.T) {
	s := server(t)
	conn := func(perDial float64) property.Value {
		return property.New(m{"host": property.New("10.0.0.5"), "perDialTimeout": property.New(perDial)}).WithSecret(true)
	}
	olds := m{"connection": conn(15), "create": property.New("true")}
	checked, err := s.Check(p.CheckRequest{Urn: urn("command:remote:Command"), Inputs: property.NewMap(olds)})
	if err != nil {
		t.Fatal(err)
	}
	news, err := s.Check(p.CheckRequest{Urn: urn("command:remote:Command"),
		Inputs: property.NewMap(m{"connection": conn(60), "create": property.New("true")})})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Diff(p.DiffRequest{Urn: urn("command:remote:Command"), ID: "cmd", State: checked.Inputs,
		OldInputs: checked.Inputs, Inputs: news.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	// The connection is one secret value, so the diff names it as a whole.
	if !d.HasChanges || d.DetailedDiff["connection"].Kind != p.Update || len(d.DetailedDiff) != 1 {
		t.Errorf("retuned dial: %+v", d)
	}
}

func TestTriggersReplaceOtherChangesUpdate(t *testing.T) {
	s := server(t)
	olds := m{"create": property.New("true"), "triggers": property.New([]property.Value{property.New("a")})}
	state := checkAndCreate(t, s, "command:local:Command", olds, false)
	diff := func(news m) p.DiffResponse {
		t.Helper()
		d, err := s.Diff(p.DiffRequest{Urn: urn("command:local:Command"), ID: "cmd", State: state,
			OldInputs: property.NewMap(olds), Inputs: property.NewMap(news)})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := diff(olds); d.HasChanges {
		t.Errorf("same inputs, no change: %+v", d)
	}
	d := diff(m{"create": property.New("true"), "triggers": property.New([]property.Value{property.New("b")})})
	if !d.HasChanges || d.DetailedDiff["triggers[0]"].Kind != p.UpdateReplace {
		t.Errorf("trigger change: %+v", d.DetailedDiff)
	}
	d = diff(m{"create": property.New("true; true"), "triggers": olds["triggers"]})
	if kind := d.DetailedDiff["create"].Kind; kind != p.Update {
		t.Errorf("create change: %v", kind)
	}
}

// A VM's address is unknown until it exists: previewing a command on it must work.
func TestPreviewWithUnknownHost(t *testing.T) {
	out := checkAndCreate(t, server(t), "command:remote:Command", m{
		"connection": property.New(m{"host": property.New(property.Computed)}).WithSecret(true),
		"create":     property.New("echo hi"),
	}, true)
	if !out.Get("stdout").IsComputed() {
		t.Errorf("stdout = %v", out.Get("stdout"))
	}
}
