package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// textField is a one-line text input: typed text is appended, backspace
// deletes, ctrl+u clears. It has no cursor blink, so it costs nothing while
// idle and renders the same in every frame.
type textField struct {
	Value string
	Limit int // maximum runes; zero means 256
}

// Edit applies an editing key and reports whether the key was one.
func (f *textField) Edit(msg tea.KeyPressMsg) bool {
	limit := f.Limit
	if limit <= 0 {
		limit = 256
	}
	switch msg.String() {
	case "backspace", "ctrl+h":
		if r := []rune(f.Value); len(r) > 0 {
			f.Value = string(r[:len(r)-1])
		}
		return true
	case "ctrl+u":
		f.Value = ""
		return true
	case "space":
		msg.Text = " "
	}
	if msg.Text == "" || msg.Mod.Contains(tea.ModCtrl) || msg.Mod.Contains(tea.ModAlt) {
		return false
	}
	if len([]rune(f.Value))+len([]rune(msg.Text)) <= limit {
		f.Value += msg.Text
	}
	return true
}

// Render draws the value in width cells with a block cursor when focused,
// keeping the end of a long value in view.
func (f textField) Render(width int, focused bool) string {
	if width <= 0 {
		return ""
	}
	v := f.Value
	if focused {
		v += "▏"
	}
	if w := ansi.StringWidth(v); w > width {
		v = "…" + ansi.TruncateLeft(v, w-width+1, "")
	}
	return v + strings.Repeat(" ", max(width-ansi.StringWidth(v), 0))
}
