package ui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// headerLines draws the header: product and issuer, virtual clock and speed,
// and the totals. Segments that do not fit on the first line wrap to a
// second; the result is one or two lines.
func (m Model) headerLines() []string {
	s, f := m.styles, m.frame
	pair := func(label, value string) string {
		return s.HeaderLabel.Render(label) + " " + s.HeaderValue.Render(value)
	}
	warn := func(label string, n int64) string {
		if n > 0 {
			return s.HeaderLabel.Render(label) + " " + s.Warning.Render(thousands(n))
		}
		return pair(label, thousands(n))
	}
	clockSeg := s.HeaderValue.Render(f.Now.Format("15:04:05")) + " " + s.HeaderLabel.Render(speedLabel(f.Speed))
	if f.Paused {
		clockSeg += " " + s.Paused.Render(" PAUSED ")
	} else if behind(f) {
		clockSeg += " " + s.Warning.Render("("+speedLabel(roundSpeed(f.Achieved))+" achieved)")
	}
	segs := []string{
		s.Title.Render("tokentop"),
		pair("issuer:", m.opts.Issuer),
		clockSeg,
		pair("sessions", strconv.Itoa(f.Totals.Sessions)),
		pair("issuer calls", thousands(f.Totals.IssuerCalls)),
		warn("failures", f.Totals.Failures),
		pair("served", thousands(f.Totals.TokensServed)),
	}
	if n := f.Totals.EventsNotKept; n > 0 { // trimmed history, not a loss: shown plainly, only when there is some
		segs = append(segs, pair("events not kept", thousands(n)))
	}
	var lines []string
	var cur strings.Builder
	cur.WriteString(" ")
	curW := 1
	for i, seg := range segs {
		w := ansi.StringWidth(seg)
		if i > 0 && curW+2+w > m.width && len(lines) == 0 {
			lines = append(lines, cur.String())
			cur.Reset()
			cur.WriteString(" ")
			curW = 1
		} else if i > 0 {
			cur.WriteString("  ")
			curW += 2
		}
		cur.WriteString(seg)
		curW += w
	}
	lines = append(lines, cur.String())
	for i := range lines {
		lines[i] = padRight(lines[i], m.width)
	}
	return lines
}

// rule draws a horizontal separator, optionally carrying a label.
func (m Model) rule(label string) string {
	if label == "" {
		return m.styles.Rule.Render(strings.Repeat("─", m.width))
	}
	label = ansi.Truncate(label, max(m.width-6, 0), "…")
	rest := max(m.width-3-ansi.StringWidth(label)-1, 0)
	return m.styles.Rule.Render("── ") + label + " " + m.styles.Rule.Render(strings.Repeat("─", rest))
}

// behind reports a clock that made clearly less virtual time than its speed
// asks: the machine could not keep up, and virtual time slowed down.
func behind(f frame) bool {
	return f.Achieved > 0 && f.Achieved < 0.9*f.Speed
}

// roundSpeed keeps three significant digits of an achieved speed.
func roundSpeed(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return r
}
