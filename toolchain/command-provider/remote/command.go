// Package remote is command:remote:Command: a command run over SSH.
package remote

import (
	"context"
	"fmt"
	"sort"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
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

// No WireDependencies, as upstream: infer's default makes an output secret only when the
// input of the same name is, so stdout and stderr are secret only through the resource's
// additionalSecretOutputs (connection stays secret: schema and SDK both say so).
var (
	_ infer.CustomUpdate[Args, State] = (*Command)(nil)
	_ infer.CustomDelete[State]       = (*Command)(nil)
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

// Update runs `update`, or `create` again, whatever changed: as upstream, a change to
// `connection` alone (even dialErrorLimit or perDialTimeout) runs it too.
func (*Command) Update(ctx context.Context, req infer.UpdateRequest[Args, State]) (infer.UpdateResponse[State], error) {
	state := State{Args: req.Inputs, Outputs: req.State.Outputs}
	command := req.Inputs.UpdateCommand()
	if req.DryRun || command == nil {
		return infer.UpdateResponse[State]{Output: state}, nil
	}
	out, err := execute(ctx, *command, req.Inputs, req.State.Outputs)
	state.Outputs = out
	return infer.UpdateResponse[State]{Output: state}, err
}

func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[State]) (infer.DeleteResponse, error) {
	if req.State.Delete == nil {
		return infer.DeleteResponse{}, nil
	}
	_, err := execute(ctx, *req.State.Delete, req.State.Args, req.State.Outputs)
	return infer.DeleteResponse{}, err
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

	if err := setEnv(ctx, session, in.Environment, in.PreviousOutputEnv(previous)); err != nil {
		return run.Outputs{}, err
	}
	if in.Stdin != nil {
		session.Stdin = strings.NewReader(*in.Stdin)
	}
	logStdout, logStderr := run.Logging((*string)(in.Logging))
	capture := run.NewCapture(log, logStdout, logStderr)
	session.Stdout, session.Stderr = capture.Stdout(), capture.Stderr()

	done := make(chan error, 1)
	go func() { done <- session.Run(command) }()
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

// setEnv asks sshd to set each variable, as upstream does: OpenSSH accepts only what
// AcceptEnv lists (by default LANG and LC_*). A refused variable of the program's
// `environment` fails the run; a refused PULUMI_COMMAND_STDOUT/STDERR is a warning.
func setEnv(ctx context.Context, session *ssh.Session, env, previous map[string]string) error {
	for _, k := range sortedKeys(env) {
		if err := session.Setenv(k, env[k]); err != nil {
			p.GetLogger(ctx).Error(refusedEnv(k))
			return fmt.Errorf("could not set environment variable %q: %w", k, err)
		}
	}
	for _, k := range sortedKeys(previous) {
		if err := session.Setenv(k, previous[k]); err != nil {
			p.GetLogger(ctx).Warning(refusedEnv(k))
		}
	}
	return nil
}

func refusedEnv(name string) string {
	return fmt.Sprintf("Unable to set '%s'. This only works if your SSH server is configured to accept "+
		"these variables via AcceptEnv. Alternatively, if a Bash-like shell runs the command on the remote "+
		"host, you could prefix the command itself with the variables in the form 'VAR=value command'", name)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
