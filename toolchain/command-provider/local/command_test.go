package local

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/pulumi/pulumi-go-provider/infer"

	"openstacklab/command-provider/internal/run"
)

func ptr[T any](v T) *T { return &v }

func TestLifecycle(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	in := Args{Dir: &dir}
	in.Create = ptr("echo create >> log; echo created")
	in.Delete = ptr(`echo "delete saw $PULUMI_COMMAND_STDOUT" >> log`)
	in.Environment = map[string]string{"WHO": "lab"}
	ctx := context.Background()
	c := &Command{}

	if _, err := c.Create(ctx, infer.CreateRequest[Args]{Name: "x", Inputs: in, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(log); !os.IsNotExist(err) {
		t.Fatal("a preview must not run anything")
	}
	created, err := c.Create(ctx, infer.CreateRequest[Args]{Name: "x", Inputs: in})
	if err != nil {
		t.Fatal(err)
	}
	if created.Output.Stdout != "created" || !regexp.MustCompile(`^x[0-9a-f]{8}$`).MatchString(created.ID) {
		t.Errorf("create: %+v", created)
	}

	in.Update = ptr(`echo "update $WHO" >> log; echo updated`)
	updated, err := c.Update(ctx, infer.UpdateRequest[Args, State]{Inputs: in, State: created.Output})
	if err != nil || updated.Output.Stdout != "updated" {
		t.Fatalf("update: %+v %v", updated, err)
	}
	if _, err := c.Delete(ctx, infer.DeleteRequest[State]{State: updated.Output}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(log)
	if want := "create\nupdate lab\ndelete saw updated\n"; string(got) != want {
		t.Errorf("log = %q, want %q", got, want)
	}
}

func TestInterpreterAndStdin(t *testing.T) {
	in := Args{Interpreter: &[]string{"/bin/sh", "-c"}}
	in.Stdin = ptr("piped")
	out, err := execute(context.Background(), "tr a-z A-Z", in, run.Outputs{})
	if err != nil || out.Stdout != "PIPED" {
		t.Errorf("%+v %v", out, err)
	}
	in.Interpreter = &[]string{"/bin/echo", "-n"}
	out, err = execute(context.Background(), "literally", in, run.Outputs{})
	if err != nil || out.Stdout != "literally" {
		t.Errorf("%+v %v", out, err)
	}
}
