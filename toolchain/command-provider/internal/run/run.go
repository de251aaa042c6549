// Package run holds what the local and the remote Command share: the common inputs and
// outputs, the choice of command per lifecycle step, and output capture that streams
// each line to the engine while the command runs.
package run

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strings"
	"sync"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// The previous run's output is handed to update and delete under these names, as upstream does.
const (
	StdoutEnv = "PULUMI_COMMAND_STDOUT"
	StderrEnv = "PULUMI_COMMAND_STDERR"
)

// Inputs are the fields both Command resources share. Embedded, they flatten into the
// resource's schema exactly like upstream's.
type Inputs struct {
	// replaceOnChanges: a trigger change means "run create again", never "run update".
	Triggers               *[]any            `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Create                 *string           `pulumi:"create,optional"`
	Update                 *string           `pulumi:"update,optional"`
	Delete                 *string           `pulumi:"delete,optional"`
	Stdin                  *string           `pulumi:"stdin,optional"`
	Environment            map[string]string `pulumi:"environment,optional"`
	AddPreviousOutputInEnv *bool             `pulumi:"addPreviousOutputInEnv,optional"`
}

func (i *Inputs) Annotate(a infer.Annotator) {
	a.Describe(&i.Triggers, "Values that replace the resource (running delete, then create) when they change.")
	a.Describe(&i.Create, "The command to run on creation; also on update when `update` is not set.")
	a.Describe(&i.Update, "The command to run when the inputs change. Defaults to `create`.")
	a.Describe(&i.Delete, "The command to run on deletion.")
	a.Describe(&i.Stdin, "Passed to the command's standard input.")
	a.Describe(&i.Environment, "Additional environment variables for the command.")
	a.Describe(&i.AddPreviousOutputInEnv, "Whether update and delete see the previous stdout and stderr as "+
		"PULUMI_COMMAND_STDOUT and PULUMI_COMMAND_STDERR. Defaults to true.")
}

// Outputs are what a run produces, without the trailing newline.
type Outputs struct {
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

func (o *Outputs) Annotate(a infer.Annotator) {
	a.Describe(&o.Stdout, "The standard output of the command's last run.")
	a.Describe(&o.Stderr, "The standard error of the command's last run.")
}

// UpdateCommand is what an update runs: `update`, or `create` again when there is none.
func (i Inputs) UpdateCommand() *string {
	if i.Update != nil {
		return i.Update
	}
	return i.Create
}

// Env is the environment a run adds: the user's variables plus, unless disabled, the
// previous run's output (non-empty values only, as upstream).
func (i Inputs) Env(previous Outputs) map[string]string {
	env := map[string]string{}
	for k, v := range i.Environment {
		env[k] = v
	}
	for k, v := range i.PreviousOutputEnv(previous) {
		env[k] = v
	}
	return env
}

// PreviousOutputEnv is PULUMI_COMMAND_STDOUT/STDERR for the previous run's non-empty
// output, unless addPreviousOutputInEnv is false.
func (i Inputs) PreviousOutputEnv(previous Outputs) map[string]string {
	env := map[string]string{}
	if i.AddPreviousOutputInEnv == nil || *i.AddPreviousOutputInEnv {
		if previous.Stdout != "" {
			env[StdoutEnv] = previous.Stdout
		}
		if previous.Stderr != "" {
			env[StderrEnv] = previous.Stderr
		}
	}
	return env
}

// ID is the name and 8 random hex digits, as upstream's resource.NewUniqueHex(name, 8, 0):
// a Command has no natural identity, and a replacement must differ.
func ID(name string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return name + hex.EncodeToString(b)
}

// Logging is the shared meaning of the two (identical) `logging` enums; nil logs both.
func Logging(mode *string) (stdout, stderr bool) {
	if mode == nil {
		return true, true
	}
	switch *mode {
	case "stdout":
		return true, false
	case "stderr":
		return false, true
	case "none":
		return false, false
	}
	return true, true
}

// EngineLog sends a line to the engine as the resource's status, so a long step shows
// where it is without flooding the diagnostics.
func EngineLog(ctx context.Context) func(string) {
	return func(line string) { p.GetLogger(ctx).InfoStatus(line) }
}

// Capture collects a run's stdout and stderr and forwards complete lines of the logged
// streams as they arrive. Writers may be called from different goroutines.
type Capture struct {
	mu             sync.Mutex
	stdout, stderr bytes.Buffer
	combined       bytes.Buffer // both streams interleaved, for error messages
	quiet          bool
	log            func(string)
	pending        [2][]byte // the unfinished last line of each stream
	logs           [2]bool
}

func NewCapture(log func(string), logStdout, logStderr bool) *Capture {
	return &Capture{log: log, logs: [2]bool{logStdout, logStderr}, quiet: !logStdout && !logStderr}
}

func (c *Capture) Stdout() io.Writer { return stream{c, 0} }
func (c *Capture) Stderr() io.Writer { return stream{c, 1} }

type stream struct {
	c *Capture
	n int
}

func (s stream) Write(b []byte) (int, error) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.n == 0 {
		c.stdout.Write(b)
	} else {
		c.stderr.Write(b)
	}
	c.combined.Write(b)
	if c.logs[s.n] {
		buf := append(c.pending[s.n], b...)
		for {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				break
			}
			c.log(strings.TrimSuffix(string(buf[:i]), "\r"))
			buf = buf[i+1:]
		}
		c.pending[s.n] = append([]byte(nil), buf...)
	}
	return len(b), nil
}

// Close forwards what is left of lines that never got their newline.
func (c *Capture) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for n, rest := range c.pending {
		if len(rest) > 0 {
			c.log(string(rest))
		}
		c.pending[n] = nil
	}
}

func (c *Capture) Outputs() Outputs {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Outputs{
		Stdout: strings.TrimSuffix(c.stdout.String(), "\n"),
		Stderr: strings.TrimSuffix(c.stderr.String(), "\n"),
	}
}

// Failure is the text an error carries: the combined output, unless logging is off
// (then the output may hold secrets the user chose not to show).
func (c *Capture) Failure() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.quiet || c.combined.Len() == 0 {
		return ""
	}
	return ":\n" + strings.TrimSuffix(c.combined.String(), "\n")
}
