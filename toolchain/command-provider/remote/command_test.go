package remote

import (
	"context"
	"errors"
	"os/exec"
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

func TestExportLineSurvivesTheShell(t *testing.T) {
	for _, value := range []string{"plain", "it's", `$HOME "x" \n`, "two\nlines", "", "`id`; rm -rf /nope"} {
		line, err := exportLine("V", value)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("/bin/sh", "-c", line+`printf %s "$V"`).Output()
		if err != nil || string(out) != value {
			t.Errorf("%q: got %q (%v) from %q", value, out, err, line)
		}
	}
	if _, err := exportLine("NOT-A-NAME", "x"); err == nil {
		t.Error("an invalid shell name must be refused, not exported")
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

func TestEnvironmentUsesSetenvThenFallsBackToExport(t *testing.T) {
	s := sshtest.Start(t, func(name string) bool { return strings.HasPrefix(name, "LC_") })
	in := Args{Connection: connectionTo(s)}
	in.Environment = map[string]string{"LC_LAB": "accepted", "REFUSED": "it's $HOME"}
	out, err := execute(context.Background(), `echo "$LC_LAB|$REFUSED|$PULUMI_COMMAND_STDOUT"`, in,
		run.Outputs{Stdout: "before"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Stdout != "accepted|it's $HOME|before" {
		t.Errorf("stdout = %q", out.Stdout)
	}
	if seen := s.EnvSeen(); !slices.Equal(seen, []string{"LC_LAB=accepted"}) {
		t.Errorf("setenv accepted %v", seen)
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

func TestWrongHostKeyFailsAtOnce(t *testing.T) {
	s := sshtest.Start(t, nil)
	other, _ := sshtest.NewKey(t)
	conn := connectionTo(s)
	conn.HostKey = ptr(sshtest.AuthorizedKey(other.PublicKey()))
	conn.DialErrorLimit = ptr(-1) // a retry would hang the test
	start := time.Now()
	_, err := conn.Dial(context.Background(), func(string) {})
	var mismatch *HostKeyMismatchError
	if !errors.As(err, &mismatch) || !strings.Contains(err.Error(), "host key mismatch") {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("a host key mismatch must not be retried (%s)", time.Since(start))
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

func TestRetunedDialingRunsNothing(t *testing.T) {
	s := sshtest.New(t, nil) // never listens: any run fails to dial
	old := Args{Connection: connectionTo(s)}
	old.Connection.DialErrorLimit, old.Connection.PerDialTimeout = ptr(0), ptr(1)
	old.Create = ptr("echo step")
	old.Connection.Proxy = &ProxyConnection{endpoint: old.Connection.endpoint}
	state := State{Args: old, Outputs: run.Outputs{Stdout: "from the first run"}}

	retuned := old
	retuned.Connection.PerDialTimeout, retuned.Connection.DialErrorLimit = ptr(2), ptr(0)
	proxy := *old.Connection.Proxy
	proxy.PerDialTimeout = ptr(3)
	retuned.Connection.Proxy = &proxy
	retuned.Environment = map[string]string{}
	resp, err := (&Command{}).Update(context.Background(),
		infer.UpdateRequest[Args, State]{Inputs: retuned, State: state})
	if err != nil {
		t.Fatalf("retuning the dial must not run the command: %v", err)
	}
	if resp.Output.Stdout != "from the first run" || *resp.Output.Connection.PerDialTimeout != 2 {
		t.Errorf("the new tuning is recorded, the old output kept: %+v", resp.Output)
	}

	for name, change := range map[string]func(*Args){
		"command": func(a *Args) { a.Create = ptr("echo other step") },
		"host":    func(a *Args) { a.Connection.Host = "127.0.0.2" },
		"env":     func(a *Args) { a.Environment = map[string]string{"A": "1"} },
	} {
		changed := retuned
		change(&changed)
		if _, err := (&Command{}).Update(context.Background(),
			infer.UpdateRequest[Args, State]{Inputs: changed, State: state}); err == nil {
			t.Errorf("a changed %s must run the command (and fail to dial here)", name)
		}
	}
}
