// Package remote is command:remote:Command: a command run over SSH.
package remote

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-go-provider/infer"
	"golang.org/x/crypto/ssh"

	"openstacklab/command-provider/internal/run"
)

type Command struct{}

func (c *Command) Annotate(a infer.Annotator) {
	a.Describe(&c, "A command to run on a remote host over SSH: create on creation, update "+
		"(or create) when the inputs change, delete on deletion.")
}

type Args struct {
	run.Inputs
	// Secret as a whole: it carries the private key and the password.
	Connection Connection `pulumi:"connection" provider:"secret"`
	Logging    *Logging   `pulumi:"logging,optional"`
}

func (a *Args) Annotate(an infer.Annotator) {
	an.Describe(&a.Connection, "The parameters with which to connect to the remote host.")
	an.Describe(&a.Logging, "Which of stdout and stderr to log while the command runs. "+
		"It does not affect the stdout and stderr outputs. Defaults to both.")
}

type State struct {
	Args
	run.Outputs
}

type Logging string

func (Logging) Values() []infer.EnumValue[Logging] {
	return []infer.EnumValue[Logging]{
		{Name: "stdout", Value: "stdout", Description: "Capture stdout in logs but not stderr"},
		{Name: "stderr", Value: "stderr", Description: "Capture stderr in logs but not stdout"},
		{Name: "stdoutAndStderr", Value: "stdoutAndStderr", Description: "Capture stdout and stderr in logs"},
		{Name: "none", Value: "none", Description: "Capture no logs"},
	}
}

var (
	_ infer.CustomUpdate[Args, State]         = (*Command)(nil)
	_ infer.CustomDelete[State]               = (*Command)(nil)
	_ infer.ExplicitDependencies[Args, State] = (*Command)(nil)
)

func (*Command) Create(ctx context.Context, req infer.CreateRequest[Args]) (infer.CreateResponse[State], error) {
	state := State{Args: req.Inputs}
	id := run.ID(req.Name)
	if req.DryRun || req.Inputs.Create == nil {
		return infer.CreateResponse[State]{ID: id, Output: state}, nil
	}
	out, err := execute(ctx, *req.Inputs.Create, req.Inputs, run.Outputs{})
	state.Outputs = out
	return infer.CreateResponse[State]{ID: id, Output: state}, err
}

func (*Command) Update(ctx context.Context, req infer.UpdateRequest[Args, State]) (infer.UpdateResponse[State], error) {
	state := State{Args: req.Inputs, Outputs: req.State.Outputs}
	command := req.Inputs.UpdateCommand()
	if req.DryRun || command == nil || onlyDialTuningChanged(req.State.Args, req.Inputs) {
		return infer.UpdateResponse[State]{Output: state}, nil
	}
	out, err := execute(ctx, *command, req.Inputs, req.State.Outputs)
	state.Outputs = out
	return infer.UpdateResponse[State]{Output: state}, err
}

// onlyDialTuningChanged: how patiently we dial says nothing about what the command does,
// so retuning dialErrorLimit or perDialTimeout records the new values without running
// anything (upstream would run every command of a stack again).
func onlyDialTuningChanged(old, new Args) bool {
	return reflect.DeepEqual(withoutDialTuning(old), withoutDialTuning(new))
}

func withoutDialTuning(a Args) Args {
	a.Connection.endpoint = a.Connection.endpoint.withoutDialTuning()
	if a.Connection.Proxy != nil {
		proxy := *a.Connection.Proxy
		proxy.endpoint = proxy.endpoint.withoutDialTuning()
		a.Connection.Proxy = &proxy
	}
	if len(a.Environment) == 0 {
		a.Environment = nil
	}
	return a
}

func (e endpoint) withoutDialTuning() endpoint {
	e.DialErrorLimit, e.PerDialTimeout = nil, nil
	return e
}

func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[State]) (infer.DeleteResponse, error) {
	if req.State.Delete == nil {
		return infer.DeleteResponse{}, nil
	}
	_, err := execute(ctx, *req.State.Delete, req.State.Args, req.State.Outputs)
	return infer.DeleteResponse{}, err
}

// WireDependencies makes stdout and stderr secret when what shapes the command is
// secret. Not `connection`: the SDK always makes it secret, and upstream keeps it from
// turning every output secret (pulumi-command#256).
func (*Command) WireDependencies(f infer.FieldSelector, args *Args, state *State) {
	shaping := []infer.InputField{
		f.InputField(&args.Create).Secret(), f.InputField(&args.Update).Secret(),
		f.InputField(&args.Delete).Secret(), f.InputField(&args.Stdin).Secret(),
		f.InputField(&args.Environment).Secret(), f.InputField(&args.Triggers).Secret(),
	}
	f.OutputField(&state.Stdout).DependsOn(shaping...)
	f.OutputField(&state.Stderr).DependsOn(shaping...)
}

func execute(ctx context.Context, command string, in Args, previous run.Outputs) (run.Outputs, error) {
	log := run.EngineLog(ctx)
	client, err := in.Connection.Dial(ctx, log)
	if err != nil {
		return run.Outputs{}, err
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return run.Outputs{}, fmt.Errorf("ssh session: %w", err)
	}
	defer session.Close()

	prefix, err := setEnv(session, in.Env(previous))
	if err != nil {
		return run.Outputs{}, err
	}
	if in.Stdin != nil {
		session.Stdin = strings.NewReader(*in.Stdin)
	}
	logStdout, logStderr := run.Logging((*string)(in.Logging))
	capture := run.NewCapture(log, logStdout, logStderr)
	session.Stdout, session.Stderr = capture.Stdout(), capture.Stderr()

	done := make(chan error, 1)
	go func() { done <- session.Run(prefix + command) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = session.Signal(ssh.SIGTERM)
		client.Close()
		err = ctx.Err()
	}
	capture.Close()
	if err != nil {
		return run.Outputs{}, fmt.Errorf("remote command failed: %w%s", err, capture.Failure())
	}
	return capture.Outputs(), nil
}

// setEnv offers each variable to sshd and returns shell lines exporting those it
// refused: OpenSSH accepts only what AcceptEnv lists (by default LANG and LC_*).
func setEnv(session *ssh.Session, env map[string]string) (string, error) {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var prefix strings.Builder
	for _, k := range keys {
		if session.Setenv(k, env[k]) == nil {
			continue
		}
		line, err := exportLine(k, env[k])
		if err != nil {
			return "", err
		}
		prefix.WriteString(line)
	}
	return prefix.String(), nil
}

var shellName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func exportLine(name, value string) (string, error) {
	if !shellName.MatchString(name) {
		return "", fmt.Errorf("environment variable %q: the server refused it and it is not a valid shell name", name)
	}
	return "export " + name + "=" + shellQuote(value) + "\n", nil
}

// shellQuote single-quotes for a POSIX shell, where nothing inside '...' is special.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
