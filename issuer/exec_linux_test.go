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

	"golang.org/x/sys/unix"
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

// TestExecLeavesNoProcessBehindAfterTheCall pins that children a command
// leaves running in the background, holding its stdout or not, are killed
// with its process group when it exits or when the call ends.
func TestExecLeavesNoProcessBehindAfterTheCall(t *testing.T) {
	cases := map[string]struct {
		script string
		cancel bool
	}{
		"exits, child holds stdout":      {script: "sleep 40 & echo $! > \"$1\"; echo opaque-token-1; exit 0\n"},
		"exits, child detached from I/O": {script: "sleep 40 </dev/null >/dev/null 2>&1 & echo $! > \"$1\"; echo opaque-token-1; exit 0\n"},
		"call cancelled":                 {script: "sleep 40 & echo $! > \"$1\"; read never < \"$2\"\n", cancel: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			pidFile, never := filepath.Join(dir, "pid"), filepath.Join(dir, "never")
			if err := syscall.Mkfifo(pidFile, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(never, 0o600); err != nil {
				t.Fatal(err)
			}
			script := filepath.Join(dir, "issue.sh")
			if err := os.WriteFile(script, []byte("#!/bin/sh\n"+tc.script), 0o755); err != nil {
				t.Fatal(err)
			}
			e, err := NewExec(ExecConfig{Argv: []string{script, pidFile, never}}, Options{KillDelay: 50 * time.Millisecond, Timeout: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := e.Issue(ctx, Request{Identity: "alice"})
				done <- err
			}()
			pidText, err := os.ReadFile(pidFile) // blocks until the child is started
			if err != nil {
				t.Fatal(err)
			}
			child, err := strconv.Atoi(strings.TrimSpace(string(pidText)))
			if err != nil {
				t.Fatalf("script printed %q, not a pid", pidText)
			}
			if tc.cancel {
				cancel()
			}
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Issue did not return within 10s")
			}
			if tc.cancel != (err != nil) {
				t.Errorf("Issue: %v", err)
			}
			if !processEnds(t, child, 10*time.Second) {
				_ = syscall.Kill(child, syscall.SIGKILL) // do not leave it behind a failed test
				t.Errorf("background child %d still runs after the call", child)
			}
		})
	}
}

// processEnds reports whether process pid has exited (it may be a zombie
// its new parent has yet to reap) or ends within limit, waiting on a pidfd
// rather than polling.
func processEnds(t *testing.T, pid int, limit time.Duration) bool {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return true // already reaped
	}
	if err != nil {
		t.Skipf("pidfd_open: %v (Linux 5.3 or later needed)", err)
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(limit.Milliseconds()))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			t.Fatalf("poll on pidfd: %v", err)
		}
		return n > 0
	}
}
