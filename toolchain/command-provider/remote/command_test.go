package remote

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer"

	"openstacklab/command-provider/internal/run"
	"openstacklab/command-provider/internal/sshtest"
)

func ptr[T any](v T) *T { return &v }

func connectionTo(s *sshtest.Server) Connection {
	return Connection{endpoint: endpoint{
		Host: s.Host(), Port: ptr(s.Port()), User: ptr("tester"), PrivateKey: ptr(s.ClientKey),
		HostKey: ptr(sshtest.AuthorizedKey(s.HostKey)), DialErrorLimit: ptr(2), PerDialTimeout: ptr(2),
	}}
}

func TestDefaults(t *testing.T) {
	e := endpoint{Host: "10.0.0.5"}
	if got := e.address(); got != "10.0.0.5:22" {
		t.Errorf("address = %q", got)
	}
	if e.errorLimit() != 10 || e.perDial() != 15*time.Second {
		t.Errorf("limit %d, per dial %s", e.errorLimit(), e.perDial())
	}
	v6 := endpoint{Host: "fd00::1", Port: ptr(2222.0)}
	if got := v6.address(); got != "[fd00::1]:2222" {
		t.Errorf("address = %q", got)
	}
	config, cleanup, err := e.clientConfig()
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if config.User != "root" {
		t.Errorf("user = %q", config.User)
	}
}

func TestHostKeyMustParse(t *testing.T) {
	if _, _, err := hostKeyCheck(ptr("not a key")); err == nil || !strings.Contains(err.Error(), "hostKey") {
		t.Errorf("err = %v", err)
	}
}

func TestRunCapturesStdoutStderrAndStdin(t *testing.T) {
	s := sshtest.Start(t, nil)
	in := Args{Connection: connectionTo(s)}
	in.Stdin = ptr("from stdin\n")
	out, err := execute(context.Background(), "cat; echo oops >&2", in, run.Outputs{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Stdout != "from stdin" || out.Stderr != "oops" {
		t.Errorf("got %+v", out)
	}
}

// As upstream: variables go by Setenv only. One sshd refuses fails the run; a refused
// PULUMI_COMMAND_STDOUT/STDERR is only a warning, and the command runs without it.
func TestEnvironmentIsSetBySetenvOnly(t *testing.T) {
	s := sshtest.Start(t, func(name string) bool { return strings.HasPrefix(name, "LC_") })
	in := Args{Connection: connectionTo(s)}
	in.Environment = map[string]string{"LC_LAB": "accepted"}
	out, err := execute(context.Background(), `echo "$LC_LAB|${PULUMI_COMMAND_STDOUT-unset}"`, in,
		run.Outputs{Stdout: "before"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Stdout != "accepted|unset" {
		t.Errorf("stdout = %q", out.Stdout)
	}
	if seen := s.EnvSeen(); !slices.Equal(seen, []string{"LC_LAB=accepted"}) {
		t.Errorf("setenv accepted %v", seen)
	}

	in.Environment["REFUSED"] = "x"
	_, err = execute(context.Background(), "echo must not run", in, run.Outputs{})
	if err == nil || !strings.Contains(err.Error(), `could not set environment variable "REFUSED"`) {
		t.Errorf("a refused variable must fail the run: %v", err)
	}

	all := sshtest.Start(t, func(string) bool { return true })
	in = Args{Connection: connectionTo(all)}
	out, err = execute(context.Background(), `echo "$PULUMI_COMMAND_STDOUT"`, in, run.Outputs{Stdout: "before"})
	if err != nil || out.Stdout != "before" {
		t.Errorf("an accepting sshd gets the previous stdout: %q %v", out.Stdout, err)
	}
}

func TestFailureCarriesTheOutput(t *testing.T) {
	s := sshtest.Start(t, nil)
	in := Args{Connection: connectionTo(s)}
	_, err := execute(context.Background(), "echo partial; exit 3", in, run.Outputs{})
	if err == nil || !strings.Contains(err.Error(), "partial") || !strings.Contains(err.Error(), "3") {
		t.Errorf("err = %v", err)
	}
	in.Logging = ptr(Logging("none"))
	_, err = execute(context.Background(), "echo hidden; exit 3", in, run.Outputs{})
	if err == nil || strings.Contains(err.Error(), "hidden") {
		t.Errorf("with logging none the output must stay out of the error: %v", err)
	}
}

func TestDialRetriesUntilSSHDIsUp(t *testing.T) {
	s := sshtest.New(t, nil) // address reserved, nothing listening yet
	time.AfterFunc(1500*time.Millisecond, func() { s.Listen(t) })
	conn := connectionTo(s)
	conn.PerDialTimeout = ptr(1)
	conn.DialErrorLimit = ptr(5)
	var status []string
	start := time.Now()
	client, err := conn.Dial(context.Background(), func(m string) { status = append(status, m) })
	if err != nil {
		t.Fatal(err)
	}
	client.Close()
	if len(status) == 0 || time.Since(start) < time.Second {
		t.Errorf("expected retries, got %v after %s", status, time.Since(start))
	}
}

func TestDialGivesUpAfterTheLimit(t *testing.T) {
	s := sshtest.New(t, nil) // never listens
	conn := connectionTo(s)
	conn.PerDialTimeout, conn.DialErrorLimit = ptr(1), ptr(1)
	_, err := conn.Dial(context.Background(), func(string) {})
	if err == nil || !strings.Contains(err.Error(), "after 2 failed attempts") {
		t.Errorf("err = %v", err)
	}
}

// As upstream, a host key mismatch is a failed dial like any other: retried up to the limit.
func TestWrongHostKeyIsRetriedThenFails(t *testing.T) {
	s := sshtest.Start(t, nil)
	other, _ := sshtest.NewKey(t)
	conn := connectionTo(s)
	conn.HostKey = ptr(sshtest.AuthorizedKey(other.PublicKey()))
	conn.DialErrorLimit = ptr(1)
	var status []string
	_, err := conn.Dial(context.Background(), func(m string) { status = append(status, m) })
	var mismatch *HostKeyMismatchError
	if !errors.As(err, &mismatch) || !strings.Contains(err.Error(), "host key mismatch") ||
		!strings.Contains(err.Error(), "after 2 failed attempts") {
		t.Fatalf("err = %v", err)
	}
	if len(status) != 1 {
		t.Errorf("one retry expected, status: %v", status)
	}
}

func TestProxyJump(t *testing.T) {
	jump, target := sshtest.Start(t, nil), sshtest.Start(t, nil)
	conn := connectionTo(target)
	proxy := connectionTo(jump)
	conn.Proxy = &ProxyConnection{endpoint: proxy.endpoint}
	out, err := execute(context.Background(), "echo via jump", Args{Connection: conn}, run.Outputs{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Stdout != "via jump" || jump.Tunnels.Load() != 1 {
		t.Errorf("stdout %q, tunnels through the jump host: %d", out.Stdout, jump.Tunnels.Load())
	}
}

// As upstream: an update whose only change is the dial tuning runs `create` again.
func TestRetunedDialingRunsTheCommandAgain(t *testing.T) {
	s := sshtest.Start(t, nil)
	old := Args{Connection: connectionTo(s)}
	old.Create = ptr("echo again")
	state := State{Args: old, Outputs: run.Outputs{Stdout: "from the first run"}}

	retuned := old
	retuned.Connection.PerDialTimeout, retuned.Connection.DialErrorLimit = ptr(3), ptr(4)
	resp, err := (&Command{}).Update(context.Background(),
		infer.UpdateRequest[Args, State]{Inputs: retuned, State: state})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Output.Stdout != "again" || *resp.Output.Connection.PerDialTimeout != 3 {
		t.Errorf("create must run again with the new tuning: %+v", resp.Output)
	}
	preview, err := (&Command{}).Update(context.Background(),
		infer.UpdateRequest[Args, State]{Inputs: retuned, State: state, DryRun: true})
	if err != nil || preview.Output.Stdout != "from the first run" {
		t.Errorf("a preview runs nothing: %+v %v", preview.Output, err)
	}
}
