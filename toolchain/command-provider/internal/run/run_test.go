package run

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestUpdateFallsBackToCreate(t *testing.T) {
	if got := (Inputs{Create: ptr("c")}).UpdateCommand(); *got != "c" {
		t.Errorf("got %q", *got)
	}
	if got := (Inputs{Create: ptr("c"), Update: ptr("u")}).UpdateCommand(); *got != "u" {
		t.Errorf("got %q", *got)
	}
	if (Inputs{}).UpdateCommand() != nil {
		t.Error("nothing to run")
	}
}

func TestEnvAddsPreviousOutputUnlessDisabled(t *testing.T) {
	in := Inputs{Environment: map[string]string{"A": "1"}}
	prev := Outputs{Stdout: "out", Stderr: ""}
	if got, want := in.Env(prev), map[string]string{"A": "1", StdoutEnv: "out"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	in.AddPreviousOutputInEnv = ptr(false)
	if got := in.Env(prev); !reflect.DeepEqual(got, map[string]string{"A": "1"}) {
		t.Errorf("got %v", got)
	}
	if in.Environment["PULUMI_COMMAND_STDOUT"] != "" {
		t.Error("Env must not write into the inputs")
	}
}

func TestLoggingModes(t *testing.T) {
	for mode, want := range map[string][2]bool{
		"stdout": {true, false}, "stderr": {false, true}, "stdoutAndStderr": {true, true}, "none": {false, false},
	} {
		if o, e := Logging(&mode); o != want[0] || e != want[1] {
			t.Errorf("%s: %v %v", mode, o, e)
		}
	}
	if o, e := Logging(nil); !o || !e {
		t.Error("the default logs both")
	}
}

func TestCaptureStreamsLinesAndKeepsOutputs(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	c := NewCapture(func(l string) { mu.Lock(); lines = append(lines, l); mu.Unlock() }, true, false)
	fmt.Fprint(c.Stdout(), "one\ntw")
	mu.Lock()
	if !reflect.DeepEqual(lines, []string{"one"}) {
		t.Errorf("a complete line is sent at once, the partial one waits: %q", lines)
	}
	mu.Unlock()
	fmt.Fprint(c.Stdout(), "o\r\nthree")
	fmt.Fprint(c.Stderr(), "not logged\n")
	c.Close()
	if !reflect.DeepEqual(lines, []string{"one", "two", "three"}) {
		t.Errorf("lines = %q", lines)
	}
	if out := c.Outputs(); out.Stdout != "one\ntwo\r\nthree" || out.Stderr != "not logged" {
		t.Errorf("outputs = %+v", out)
	}
	if c.Failure() == "" {
		t.Error("a failure shows the output")
	}
	if NewCapture(func(string) {}, false, false).Failure() != "" {
		t.Error("with logging none a failure hides the output")
	}
}
