// Package local is command:local:Command: a command run on the machine running Pulumi.
package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/pulumi/pulumi-go-provider/infer"

	"openstacklab/command-provider/internal/run"
)

type Command struct{}

func (c *Command) Annotate(a infer.Annotator) {
	a.Describe(&c, "A command to run locally: create on creation, update (or create) when the "+
		"inputs change, delete on deletion.")
}

type Args struct {
	run.Inputs
	Dir         *string   `pulumi:"dir,optional"`
	Interpreter *[]string `pulumi:"interpreter,optional"`
	Logging     *Logging  `pulumi:"logging,optional"`
}

func (a *Args) Annotate(an infer.Annotator) {
	an.Describe(&a.Dir, "The directory to run the command in. Defaults to the provider's working directory.")
	an.Describe(&a.Interpreter, "The program and arguments that run the command, which is appended "+
		"as the last argument. Defaults to [\"/bin/sh\", \"-c\"].")
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

// No WireDependencies, as upstream: stdout and stderr are secret only through the
// resource's additionalSecretOutputs, whatever inputs are secret.
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
	argv := []string{"/bin/sh", "-c"}
	if in.Interpreter != nil && len(*in.Interpreter) > 0 {
		argv = *in.Interpreter
	}
	argv = append(append([]string(nil), argv...), command)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...) //nolint:gosec // running the user's command is the point
	if in.Dir != nil {
		cmd.Dir = *in.Dir
	}
	cmd.Env = os.Environ()
	for k, v := range in.Env(previous) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if in.Stdin != nil {
		cmd.Stdin = strings.NewReader(*in.Stdin)
	}
	logStdout, logStderr := run.Logging((*string)(in.Logging))
	capture := run.NewCapture(run.EngineLog(ctx), logStdout, logStderr)
	cmd.Stdout, cmd.Stderr = capture.Stdout(), capture.Stderr()

	err := cmd.Run()
	capture.Close()
	if err != nil {
		return run.Outputs{}, fmt.Errorf("local command failed: %w%s", err, capture.Failure())
	}
	return capture.Outputs(), nil
}
