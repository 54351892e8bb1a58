package issuer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExecKillsTheGroupOnlyWhileTheCommandIsUnreaped pins that the SIGKILL
// for children that ignored SIGTERM is sent while the command is still a
// zombie: after it is reaped, its group id may belong to an unrelated group.
func TestExecKillsTheGroupOnlyWhileTheCommandIsUnreaped(t *testing.T) {
	dir := t.TempDir()
	ready, never := filepath.Join(dir, "ready"), filepath.Join(dir, "never")
	for _, fifo := range []string{ready, never} {
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	script := filepath.Join(dir, "issue.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntrap '' TERM\necho ready > \"$1\"\nread never < \"$2\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e, err := NewExec(ExecConfig{Argv: []string{script, ready, never}}, Options{KillDelay: 50 * time.Millisecond, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	states := make(chan string, 2)
	e.killGroup = func(pgid int) error {
		states <- processState(pgid)
		return syscall.Kill(-pgid, syscall.SIGKILL)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.Issue(ctx, Request{Identity: "alice"})
		done <- err
	}()
	if _, err := os.ReadFile(ready); err != nil { // the script now ignores SIGTERM
		t.Fatal(err)
	}
	cancel()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Issue did not return within 10s of cancel")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	select {
	case state := <-states:
		if state != "Z" {
			t.Errorf("the group was killed when the command's state was %q, want Z (exited, not yet reaped)", state)
		}
	default:
		t.Error("the group was never killed")
	}
	if len(states) != 0 {
		t.Errorf("the group was killed more than once")
	}
}

// processState is the state letter of a process from /proc (R, S, Z...), or
// "gone" if there is no such process.
func processState(pid int) string {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "gone"
	}
	i := strings.LastIndex(string(stat), ") ") // after the command's name
	if i < 0 || i+3 > len(stat) {
		return "unreadable"
	}
	return string(stat[i+2 : i+3])
}
