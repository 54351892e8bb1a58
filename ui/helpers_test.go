package ui

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// driver feeds a model messages the way the program would, running the
// commands that come back synchronously. It never runs Init (whose ticker
// would block), so every frame in a test is an explicit step.
type driver struct {
	t    *testing.T
	m    Model
	quit bool
}

func newDriver(t *testing.T, be backend, opts Options, width, height int) *driver {
	t.Helper()
	d := &driver{t: t, m: newModel(be, opts)}
	d.send(tea.WindowSizeMsg{Width: width, Height: height})
	d.send(frameMsg{frame: be.Frame("")}) // the first frame selects a session and fetches its detail
	return d
}

// send applies msg and runs every command it yields, to a fixed depth.
func (d *driver) send(msg tea.Msg) {
	d.t.Helper()
	d.apply(msg, 0)
}

func (d *driver) apply(msg tea.Msg, depth int) {
	d.t.Helper()
	if depth > 20 {
		d.t.Fatalf("commands kept producing messages: %T", msg)
	}
	switch msg := msg.(type) {
	case nil:
		return
	case tea.QuitMsg:
		d.quit = true
		return
	case tea.BatchMsg:
		for _, c := range msg {
			if c != nil {
				d.apply(c(), depth+1)
			}
		}
		return
	}
	next, cmd := d.m.Update(msg)
	d.m = next.(Model)
	if cmd != nil {
		d.apply(cmd(), depth+1)
	}
}

// keys types each key in turn: single characters as text, else by name.
func (d *driver) keys(ks ...string) {
	d.t.Helper()
	for _, k := range ks {
		d.send(keyPress(k))
	}
}

func keyPress(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// screen is the view without escape sequences.
func (d *driver) screen() string { return ansi.Strip(d.m.View().Content) }

// requireGolden compares got with testdata/<name>.golden, rewriting it with -update.
func requireGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("writing golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file %s: %v (run go test ./ui/ -update to create it)", path, err)
	}
	if string(want) != got {
		t.Errorf("screen differs from %s (run go test ./ui/ -update after checking the change)\n--- want\n%s\n--- got\n%s",
			path, want, got)
	}
}

// checkGeometry asserts the screen is exactly width x height cells.
func checkGeometry(t *testing.T, screen string, width, height int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) != height {
		t.Errorf("screen has %d lines, want %d", len(lines), height)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w != width {
			t.Errorf("line %d is %d cells wide, want %d: %q", i+1, w, width, l)
		}
	}
}

func windowSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }
