package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// The smallest window the screen is laid out for (the README's minimum).
// Below it the screen says so rather than squeezing names to nothing.
const minWidth, minHeight = 80, 24

// tooSmall reports a window below the minimum.
func (m Model) tooSmall() bool { return m.width < minWidth || m.height < minHeight }

// renderTooSmall draws the notice a window below the minimum gets, centred,
// over the bottom line, which keeps a prompt typed and the way out in view.
func (m Model) renderTooSmall() string {
	s := m.styles
	notice := []string{
		s.Warning.Render("window too small (need " + itoa(minWidth) + "x" + itoa(minHeight) + ")"),
		s.Muted.Render("this one is " + itoa(m.width) + "x" + itoa(m.height) + ": enlarge it, or q quits"),
	}
	body := max(m.height-1, 0)
	lines := make([]string, 0, body)
	for len(lines) < (body-len(notice))/2 {
		lines = append(lines, "")
	}
	for _, n := range notice {
		lines = append(lines, strings.Repeat(" ", max((m.width-ansi.StringWidth(n))/2, 0))+n)
	}
	bottom := m.bottom()
	if i := strings.LastIndexByte(bottom, '\n'); i >= 0 { // the full help: keep its one-line form
		bottom = padRight(" "+m.shortHelp(m.keys.shortHelpRest(), m.keys.shortHelpKept()), m.width)
	}
	if body == 0 {
		return bottom
	}
	return fitBlock(lines, m.width, body) + "\n" + bottom
}

// renderHelpPage draws the full help (?) in place of the table and the
// detail: the keys, then a legend of what the screen's words, figures and
// marks mean.
func (m Model) renderHelpPage() string {
	var b strings.Builder
	head := m.headerLines()
	for _, h := range head {
		b.WriteString(h + "\n")
	}
	b.WriteString(m.rule("help") + "\n")
	h := m.help
	h.SetWidth(m.width - 1)
	lines := strings.Split(h.View(m.keys), "\n")
	lines = append(lines, "")
	for _, n := range m.legend() {
		lines = append(lines, strings.Split(ansi.Wrap(n, m.width-3, ""), "\n")...)
	}
	for i, l := range lines {
		lines[i] = " " + l
	}
	b.WriteString(fitBlock(lines, m.width, max(m.height-len(head)-3, 0)) + "\n")
	b.WriteString(m.rule(m.statusLabel()) + "\n")
	b.WriteString(m.bottom())
	return b.String()
}

// legend explains what the keys do not: the states, the figures of the
// header, the bar and the timeline's marks. (The log's own keys are on the
// help line while it has focus.)
func (m Model) legend() []string {
	s := m.styles
	term := func(t, what string) string { return s.HeaderValue.Render(t+":") + " " + s.Muted.Render(what) }
	notes := []string{
		term("STATE", "no token · valid · in window (refresh due) · refreshing (n waiting) · "+
			"retrying (next try at) · expired · aborted · failed · valid, refresh failed (still served) · "+
			"needs attention (asked once a minute, or on r) · disposed · signed out"),
		term("bar", "█ the token's time left; | where its refresh window opens"),
		term("last "+spanLabel(m.opts.Timeline), laneValid+" token held "+laneGap+" none "+markGlyphs[markOK]+" ok "+
			markGlyphs[markFailed]+" failed "+markGlyphs[markAborted]+" aborted "+markGlyphs[markDisposed]+" disposed "+
			markGlyphs[markRestarted]+" restarted"),
		term("header", "run totals (x keeps them); served: GetToken calls answered with a token; "+
			"events not kept: older than the logs keep, still counted"),
	}
	if m.virtual {
		notes = append(notes, term("VLAT", "the issuer's latency in virtual time (the fake plays it on the virtual clock)"))
	}
	return notes
}
