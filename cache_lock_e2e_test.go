//go:build unix

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Issue 20, defect 4: what used to hang start or exit ends at once or within
// a second of SIGINT, with a line naming the file. Each case logs its time.

// tokentopProcess is the binary running with its output read line by line.
type tokentopProcess struct {
	cmd            *exec.Cmd
	stdout, stderr chan string // closed at EOF
	exited         chan struct{}
}

// startTokentop starts the binary with TOKENTOP_CACHE_KEY set; the test's
// end kills it if it is still running.
func startTokentop(t *testing.T, args ...string) *tokentopProcess {
	t.Helper()
	p := &tokentopProcess{cmd: exec.Command(binary, args...), exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), cacheKeyEnv+"="+testCacheKey)
	outPipe, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.stdout, p.stderr = lines(outPipe), lines(errPipe)
	go func() {
		for range p.stdout { // drained so that the run never blocks on a full pipe
		}
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	go func() {
		p.cmd.Wait() // after the pipes reach EOF (lines reads them to the end)
		close(p.exited)
	}()
	return p
}

// lines sends r's lines on a channel closed at EOF.
func lines(r interface{ Read([]byte) (int, error) }) chan string {
	c := make(chan string, 1024)
	go func() {
		defer close(c)
		s := bufio.NewScanner(r)
		for s.Scan() {
			c <- s.Text()
		}
	}()
	return c
}

// waitLine waits up to d for a stderr line containing want and returns it.
func (p *tokentopProcess) waitLine(t *testing.T, want string, d time.Duration) string {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case line, ok := <-p.stderr:
			if !ok {
				t.Fatalf("tokentop ended without a line containing %q", want)
			}
			if strings.Contains(line, want) {
				return line
			}
		case <-deadline:
			t.Fatalf("no line containing %q within %v", want, d)
		}
	}
}

// finish waits up to d for the process to end and returns its other stderr
// lines and how long it took.
func (p *tokentopProcess) finish(t *testing.T, d time.Duration) ([]string, time.Duration) {
	t.Helper()
	start := time.Now()
	var rest []string
	deadline := time.After(d)
	for {
		select {
		case line, ok := <-p.stderr:
			if ok {
				rest = append(rest, line)
				continue
			}
			p.stderr = nil
		case <-p.exited:
			return rest, time.Since(start)
		case <-deadline:
			t.Fatalf("tokentop still runs %v later; stderr so far %q", d, rest)
		}
	}
}

// interrupt sends SIGINT and returns the stderr lines after it and the time
// the process took to end, at most 5 s.
func (p *tokentopProcess) interrupt(t *testing.T) ([]string, time.Duration) {
	t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	return p.finish(t, 5*time.Second)
}

// lockCache takes the flock on cache's lock file, as a running tokentop
// would, recording this process as the holder, until the test ends.
func lockCache(t *testing.T, cache string) {
	t.Helper()
	f, err := os.OpenFile(cache+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for { // a running tokentop holds it for a moment at a time
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if err != unix.EWOULDBLOCK || time.Now().After(deadline) {
			t.Fatalf("locking %s.lock: %v", cache, err)
		}
		time.Sleep(time.Millisecond) // polling another process's lock; bounded by the deadline
	}
	if _, err := f.WriteAt([]byte(fmt.Sprintf("%-15d\n", os.Getpid())), 0); err != nil {
		t.Fatal(err)
	}
}

// persistArgs runs one persisted session against cache.
func persistArgs(cache string, more ...string) []string {
	return append([]string{"--headless", "--json", "--cache-file", cache, "--session", "name=a,persist=true,lifetime=1h"}, more...)
}

// A FIFO at the cache path is refused at start, at once, in one line naming
// it (it blocked start until kill -9).
func TestAFIFOAtTheCachePathEndsTheRunAtOnce(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "tokens.cache")
	if err := syscall.Mkfifo(cache, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startTokentop(t, persistArgs(cache)...)
	lines, took := p.finish(t, 10*time.Second)
	t.Logf("FIFO: ended %v after start (Argon2id included): %q", took, lines)
	if code := p.cmd.ProcessState.ExitCode(); code != exitUsage || len(lines) != 1 || !strings.Contains(lines[0], cache) || !strings.Contains(lines[0], "FIFO") {
		t.Errorf("exit %d, stderr %q; want exit 2 and one line naming %s as a FIFO", code, lines, cache)
	}
}

// Another user's lock file, held, is refused at start, at once, in one line
// naming it and its owner (it blocked start forever). It needs root to give
// the lock file away.
func TestAnotherUsersHeldLockEndsTheRunAtOnce(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving the lock file to another user needs root; CI runs as root")
	}
	cache := filepath.Join(t.TempDir(), "tokens.cache")
	lockCache(t, cache)
	if err := os.Chown(cache+".lock", 65534, 65534); err != nil {
		t.Fatal(err)
	}
	p := startTokentop(t, persistArgs(cache)...)
	lines, took := p.finish(t, 10*time.Second)
	t.Logf("foreign lock: ended %v after start: %q", took, lines)
	if len(lines) != 1 || !strings.Contains(lines[0], cache+".lock") || !strings.Contains(lines[0], "uid 65534") {
		t.Errorf("stderr %q; want one line naming %s.lock and its owner, uid 65534", lines, cache)
	}
}

// A lock held by another process at start: tokentop says who holds it, and
// SIGINT ends the wait within a second, in a line naming the file.
func TestAHeldLockAtStartEndsWithinASecondOfSIGINT(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "tokens.cache")
	lockCache(t, cache)
	p := startTokentop(t, persistArgs(cache)...)
	notice := p.waitLine(t, fmt.Sprintf("is locked by process %d", os.Getpid()), 10*time.Second)
	lines, took := p.interrupt(t)
	t.Logf("held lock at start: ended %v after SIGINT; stderr %q then %q", took, notice, lines)
	if took > time.Second {
		t.Errorf("tokentop ended %v after SIGINT, want at most 1s", took)
	}
	for _, line := range append(lines, notice) {
		if !strings.Contains(line, cache) {
			t.Errorf("stderr line %q does not name %s", line, cache)
		}
	}
}

// A lock taken by another process mid-run: the save waits, saying so, and
// SIGINT ends the run within a second (it kept a run alive 20 s).
func TestAHeldLockMidRunEndsWithinASecondOfSIGINT(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "tokens.cache")
	// An hour-long token a second: a save about every second of real time.
	p := startTokentop(t, persistArgs(cache, "--clock", "scaled", "--speed", "3600", "--duration", "24h")...)
	deadline := time.Now().Add(10 * time.Second)
	for { // the run has opened the cache once it has written the file
		if fi, err := os.Stat(cache); err == nil && fi.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run did not create its cache file within 10s")
		}
		time.Sleep(10 * time.Millisecond) // polling a file another process writes; bounded by the deadline
	}
	lockCache(t, cache)
	notice := p.waitLine(t, fmt.Sprintf("is locked by process %d", os.Getpid()), 10*time.Second)
	lines, took := p.interrupt(t)
	t.Logf("held lock mid-run: ended %v after SIGINT; stderr %q then %q", took, notice, lines)
	if took > time.Second {
		t.Errorf("tokentop ended %v after SIGINT, want at most 1s", took)
	}
	if !strings.Contains(notice, cache) {
		t.Errorf("the waiting line %q does not name %s", notice, cache)
	}
}
