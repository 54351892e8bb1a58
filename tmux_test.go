package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tmuxSession drives the real binary in a detached tmux server of its own.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func (s tmuxSession) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

func (s tmuxSession) screen() string {
	out, err := s.tmux("capture-pane", "-p", "-t", "tt")
	if err != nil {
		s.t.Fatalf("tmux capture-pane: %v: %s", err, out)
	}
	return out
}

func (s tmuxSession) keys(keys ...string) {
	if out, err := s.tmux(append([]string{"send-keys", "-t", "tt"}, keys...)...); err != nil {
		s.t.Fatalf("tmux send-keys %v: %v: %s", keys, err, out)
	}
}

// waitFor polls the screen of an external process (there is nothing to
// synchronise on but what it draws) until ok accepts it, or fails after 30 s.
func (s tmuxSession) waitFor(what string, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		screen := s.screen()
		if ok(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			dead, _ := s.tmux("display-message", "-p", "-t", "tt", "pane dead: #{pane_dead}")
			s.t.Fatalf("timed out waiting for %s (%s); the screen:\n%s", what, strings.TrimSpace(dead), screen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var aliceRow = regexp.MustCompile(`(?m)^.*alice-chat .*$`)

func TestTUIInTmuxDisposesASessionAndRestoresTheTerminal(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (.ci/run installs it): skipping the terminal test")
	}
	s := tmuxSession{t: t, socket: "tokentop-test-" + strconv.Itoa(os.Getpid())}
	t.Cleanup(func() { s.tmux("kill-server") })
	// A shell records tokentop's exit status: tmux 3.3's #{pane_dead_status}
	// is sometimes left empty when the pty closes before the child is reaped.
	status := filepath.Join(t.TempDir(), "status")
	if out, err := s.tmux("new-session", "-d", "-s", "tt", "-x", "120", "-y", "40",
		"sh", "-c", `TERM=xterm-256color "$1"; echo "exit $?" > "$2"`, "sh", binary, status); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	s.tmux("set-option", "-t", "tt", "remain-on-exit", "on")

	first := s.waitFor("the demo's sessions", func(sc string) bool {
		return strings.Contains(sc, "alice-chat") && strings.Contains(sc, "bob-calling") && strings.Contains(sc, "carol-static")
	})
	before := aliceRow.FindString(first)
	s.waitFor("alice-chat's countdown to change", func(sc string) bool {
		row := aliceRow.FindString(sc)
		return row != "" && row != before
	})

	s.keys("d")
	s.waitFor("the dispose confirmation", func(sc string) bool {
		return strings.Contains(strings.ToLower(sc), "dispose") && strings.Contains(sc, "yes")
	})
	s.keys("y")
	s.waitFor("alice-chat disposed", func(sc string) bool { return strings.Contains(aliceRow.FindString(sc), "disposed") })

	s.keys("q")
	s.waitFor("tokentop to exit with status 0", func(string) bool {
		out, _ := os.ReadFile(status)
		return strings.TrimSpace(string(out)) == "exit 0"
	})
	// Restored: the alternate screen is gone, so the table no longer shows.
	if sc := s.screen(); strings.Contains(sc, "carol-static") {
		t.Errorf("after quitting, the screen still shows the table; the terminal was not restored:\n%s", sc)
	}
}
