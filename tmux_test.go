package main

import (
	"crypto/sha256"
	"encoding/hex"
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

// startTmux runs the binary with args in a detached tmux server of its own,
// width x height cells, and returns the session and a file that receives
// "exit N" when the binary exits. It skips the test without tmux.
func startTmux(t *testing.T, width, height int, args ...string) (tmuxSession, string) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (.ci/run installs it): skipping the terminal test")
	}
	s := tmuxSession{t: t, socket: "tokentop-test-" + strconv.Itoa(os.Getpid()) + "-" + strings.ReplaceAll(t.Name(), "/", "-")}
	t.Cleanup(func() { s.tmux("kill-server") })
	// A shell records tokentop's exit status: tmux 3.3's #{pane_dead_status}
	// is sometimes left empty when the pty closes before the child is reaped.
	status := filepath.Join(t.TempDir(), "status")
	cmd := append([]string{"new-session", "-d", "-s", "tt", "-x", strconv.Itoa(width), "-y", strconv.Itoa(height),
		"sh", "-c", `TERM=xterm-256color "$@"; echo "exit $?" > "$0"`, status, binary}, args...)
	if out, err := s.tmux(cmd...); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	s.tmux("set-option", "-t", "tt", "remain-on-exit", "on")
	return s, status
}

// quit presses q and waits for the binary to exit with status 0.
func (s tmuxSession) quit(status string) {
	s.t.Helper()
	s.keys("q")
	s.waitFor("tokentop to exit with status 0", func(string) bool {
		out, _ := os.ReadFile(status)
		return strings.TrimSpace(string(out)) == "exit 0"
	})
}

func TestTUIInTmuxDisposesASessionAndRestoresTheTerminal(t *testing.T) {
	t.Parallel()
	s, status := startTmux(t, 120, 40)
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

	s.quit(status)
	// Restored: the alternate screen is gone, so the table no longer shows.
	if sc := s.screen(); strings.Contains(sc, "carol-static") {
		t.Errorf("after quitting, the screen still shows the table; the terminal was not restored:\n%s", sc)
	}
}

func TestTUIInTmuxScrollsTheEventLogToItsOldestWithgAndNewestWithG(t *testing.T) {
	t.Parallel()
	// A short window leaves the log a few lines; bursts give it more events.
	const bursts = 6
	s, status := startTmux(t, 110, 24)
	s.waitFor("the demo's sessions", func(sc string) bool { return strings.Contains(sc, "alice-chat") })
	for range bursts {
		s.keys("b")
		s.waitFor("the burst size prompt", func(sc string) bool { return strings.Contains(sc, "concurrent GetToken calls") })
		s.keys("Enter")
		s.waitFor("the burst to start", func(sc string) bool { return !strings.Contains(sc, "concurrent GetToken calls") })
	}
	s.waitFor("the bursts in the log", func(sc string) bool { return strings.Count(sc, "burst-done") >= 2 })
	s.keys("Tab")
	s.waitFor("the event log focused", func(sc string) bool { return strings.Contains(sc, "focus: event log") })
	s.keys("g")
	top := s.waitFor("the log paused at its oldest event", func(sc string) bool {
		return strings.Contains(sc, "log paused") && strings.Contains(sc, "session-added")
	})
	if strings.Count(top, "burst-done") >= bursts {
		t.Fatalf("the window shows the whole log; the test needs it longer than the pane:\n%s", top)
	}
	s.keys("G")
	s.waitFor("the log following its newest event again", func(sc string) bool {
		return !strings.Contains(sc, "log paused") && strings.Contains(sc, "burst-done") && !strings.Contains(sc, "session-added")
	})
	s.quit(status)
}

var copiedStatus = regexp.MustCompile(`copied token of alice-chat \((sha256:[0-9a-f]{8})\)`)

func TestTUIInTmuxCopiesTheTokenToTheClipboardWithOSC52(t *testing.T) {
	t.Parallel()
	s, status := startTmux(t, 120, 40, "--show-secrets")
	// tmux takes an application's OSC 52 into a paste buffer (and passes
	// it on to the terminal outside, when there is one).
	if out, err := s.tmux("set-option", "-s", "set-clipboard", "on"); err != nil {
		t.Fatalf("tmux set-clipboard: %v: %s", err, out)
	}
	s.waitFor("alice-chat's decoded token", func(sc string) bool { return strings.Contains(sc, "decoded: ok") })
	s.keys("c")
	sc := s.waitFor("the copy reported", func(sc string) bool { return copiedStatus.MatchString(sc) })
	fp := copiedStatus.FindStringSubmatch(sc)[1]
	var buf string
	s.waitFor("tmux's paste buffer to hold the token", func(string) bool {
		out, err := s.tmux("show-buffer")
		buf = strings.TrimSpace(out)
		return err == nil && strings.Count(buf, ".") == 2
	})
	sum := sha256.Sum256([]byte(buf))
	if got := "sha256:" + hex.EncodeToString(sum[:4]); got != fp {
		t.Errorf("the clipboard holds a token with fingerprint %s; the status says it copied %s", got, fp)
	}
	if strings.Contains(sc, "copied token of alice-chat ("+buf) {
		t.Error("the status line shows the token itself")
	}
	s.quit(status)
}

func TestTUIInTmuxOpensWithAnIssuerThatRefusesEveryCall(t *testing.T) {
	t.Parallel()
	s, status := startTmux(t, 120, 40, "--issuer", "http://127.0.0.1:1/getToken")
	sc := s.waitFor("the sessions listed without a token", func(sc string) bool {
		return strings.Contains(sc, "alice-chat") && strings.Contains(sc, "bob-calling") && strings.Contains(sc, "carol-static") &&
			strings.Contains(sc, "no token")
	})
	if row := aliceRow.FindString(sc); !strings.Contains(row, " - ") {
		t.Errorf("alice-chat's row shows an expiry although the issuer never answered: %q", row)
	}
	s.waitFor("the refusal in the event log", func(sc string) bool { return strings.Contains(sc, "connection refused") })
	s.quit(status)
}
