package ui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// confirmKind is the action a confirm prompt guards.
type confirmKind int

const (
	confirmDispose confirmKind = iota
	confirmSignOut
	confirmClearCache
	confirmOverwrite // replace a file with the saved log
)

// confirmPrompt asks before an action that cannot be undone.
type confirmPrompt struct {
	Kind   confirmKind
	Target string // session name (dispose), identity (sign out), file (overwrite); "" to clear the cache
}

// Question is the prompt's text.
func (c confirmPrompt) Question() string {
	switch c.Kind {
	case confirmSignOut:
		return "Sign out " + c.Target + " everywhere (dispose its sessions, revoke its tokens)?"
	case confirmClearCache:
		return "Clear the token cache (persisted sessions ask the issuer at their next start)?"
	case confirmOverwrite:
		return c.Target + " exists: replace it with the log?"
	}
	return "Dispose session " + c.Target + "?"
}

// Render draws the prompt on one line.
func (c confirmPrompt) Render(width int, s Styles) string {
	keys := s.PromptKey.Render("y") + " yes  " + s.PromptKey.Render("n") + "/" + s.PromptKey.Render("esc") + " no"
	return ansi.Truncate(" "+s.Prompt.Render(c.Question())+"  "+keys, width, "…")
}

// faultMenu lets the user pick a fault to inject.
type faultMenu struct {
	Items  []faultOption
	Cursor int
}

// Move moves the cursor by delta, clamped to the items.
func (f *faultMenu) Move(delta int) {
	f.Cursor = min(max(f.Cursor+delta, 0), max(len(f.Items)-1, 0))
}

// Chosen returns the item under the cursor.
func (f faultMenu) Chosen() (faultOption, bool) {
	if f.Cursor < 0 || f.Cursor >= len(f.Items) {
		return faultOption{}, false
	}
	return f.Items[f.Cursor], true
}

// Render draws the menu in width x height cells; identity is whose token
// requests the faults are aimed at.
func (f faultMenu) Render(width, height int, identity string, s Styles) string {
	lines := []string{" " + s.Prompt.Render("Inject a fault at the issuer") +
		s.Muted.Render(" for "+identity+"'s token requests (unless it says every identity)")}
	if len(f.Items) == 0 {
		lines = append(lines, s.Muted.Render("   this issuer offers no faults"))
	}
	first := max(0, f.Cursor-(height-3)+1)
	for i := first; i < len(f.Items) && len(lines) < height-1; i++ {
		label := "   "
		if i < 9 {
			label = " " + strconv.Itoa(i+1) + " "
		}
		line := label + f.Items[i].Label
		if i == f.Cursor {
			line = s.Selected.Render(padRight(" >"+line, width))
		} else {
			line = "  " + line
		}
		lines = append(lines, line)
	}
	return fitBlock(lines, width, height)
}

// padRight pads (or truncates) s to exactly width cells.
func padRight(s string, width int) string {
	w := cellWidth(s)
	if w > width {
		return ansi.Truncate(s, width, "…")
	}
	return s + strings.Repeat(" ", width-w)
}

// padLeft right-aligns s in width cells.
func padLeft(s string, width int) string {
	w := cellWidth(s)
	if w > width {
		return ansi.Truncate(s, width, "…")
	}
	return strings.Repeat(" ", width-w) + s
}

// fitBlock truncates each line to width and pads or cuts the block to height lines.
func fitBlock(lines []string, width, height int) string {
	if height <= 0 {
		return ""
	}
	if len(lines) > height {
		lines = lines[:height]
	}
	var b strings.Builder
	for i := 0; i < height; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i < len(lines) {
			b.WriteString(padRight(lines[i], width))
		} else {
			b.WriteString(strings.Repeat(" ", width))
		}
	}
	return b.String()
}

// cellWidth is the display width of s, with a fast path for ASCII text
// wrapped in CSI escape sequences (most cells and log lines), which is
// measured without grapheme segmentation.
func cellWidth(s string) int {
	w := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0x1b && i+1 < len(s) && s[i+1] == '[':
			i += 2
			for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
				i++
			}
		case c >= 0x80 || c < 0x20:
			return ansi.StringWidth(s)
		default:
			w++
		}
	}
	return w
}
