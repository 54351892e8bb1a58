package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// headerLines draws the header: product and issuer, virtual clock and speed,
// the totals, then the scenario, its next step and the active faults.
// Segments that do not fit on a line wrap to the next, on up to
// maxSegmentLines lines. The newest issuer-wide event (a fault, a failed
// action, a sign-out the issuer could not revoke) gets a line of its own
// below. The result is one to four lines.
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
	clockSeg := s.HeaderValue.Render(clockText(f.Now, f.Start)) + " " + s.HeaderLabel.Render(speedLabel(f.Speed))
	if f.Paused {
		clockSeg += " " + s.Paused.Render(" PAUSED ")
	} else if behind(f) {
		clockSeg += " " + s.Warning.Render("("+speedLabel(roundSpeed(f.Achieved))+" achieved)")
	}
	segs := []string{
		s.Title.Render("tokentop"),
		pair("issuer:", m.opts.Issuer),
	}
	if m.opts.Cache != "" {
		segs = append(segs, pair("cache:", m.opts.Cache))
	}
	segs = append(segs,
		clockSeg,
		pair("sessions", strconv.Itoa(f.Totals.Sessions)),
		pair("issuer calls", thousands(f.Totals.IssuerCalls)),
		warn("failures", f.Totals.Failures),
		pair("served", thousands(f.Totals.TokensServed)),
	)
	if n := f.Totals.EventsNotKept; n > 0 { // trimmed history, not a loss: shown plainly, only when there is some
		segs = append(segs, pair("events not kept", thousands(n)))
	}
	segs = append(segs, m.runSegments()...)
	lines := flow(segs, m.width, maxSegmentLines)
	if n := f.Run.Notice; n.Text != "" {
		text := s.HeaderValue.Render(n.Text)
		if n.Warn {
			text = s.Warning.Render(n.Text)
		}
		lines = append(lines, " "+s.HeaderLabel.Render("issuer event "+clockText(n.At, f.Start)+":")+" "+text)
	}
	for i := range lines {
		lines[i] = padRight(lines[i], m.width)
	}
	return lines
}

// clockText writes a virtual time of the run: the time of day on the day
// the run began, with the date once the run has gone on into another day
// ("2026-01-03 01:48:32"), so that a multi-day run is not read as hours.
func clockText(t, start time.Time) string {
	if !start.IsZero() && t.Format(time.DateOnly) != start.Format(time.DateOnly) {
		return t.Format(time.DateTime)
	}
	return t.Format(time.TimeOnly)
}

// flow lays segments out on lines of width cells, each line led by a space
// and its segments two spaces apart; a segment that does not fit goes to the
// next line, up to maxLines, and the last line takes the rest (to be cut).
func flow(segs []string, width, maxLines int) []string {
	var lines []string
	var cur strings.Builder
	cur.WriteString(" ")
	curW := 1
	for i, seg := range segs {
		w := ansi.StringWidth(seg)
		if i > 0 && curW+2+w > width && len(lines) < maxLines-1 {
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
	return append(lines, cur.String())
}

// maxSegmentLines is how many lines the header's segments wrap onto; what
// does not fit on the last is cut off.
const maxSegmentLines = 3

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

// runSegments are the header's segments about the run: the scenario and
// its duration, its next timeline step and when it is due, and the faults
// the issuer holds (shown only while there are some).
func (m Model) runSegments() []string {
	s, r := m.styles, m.frame.Run
	pair := func(label, value string) string {
		return s.HeaderLabel.Render(label) + " " + s.HeaderValue.Render(value)
	}
	var segs []string
	if r.Scenario != "" {
		v := r.Scenario
		switch start := m.frame.Start; {
		case r.Duration > 0 && !start.IsZero() && !m.frame.Now.Before(start.Add(r.Duration)):
			// The screen plays on after the scenario's time: say so.
			v += " (" + spanText(r.Duration) + ", ended " + relative(start.Add(r.Duration), m.frame.Now) + ")"
		case r.Duration > 0:
			v += " (" + spanText(r.Duration) + ")"
		}
		segs = append(segs, pair("scenario", v))
	}
	if r.Next != "" {
		segs = append(segs, pair("next", r.Next+" "+relative(r.NextAt, m.frame.Now)))
	}
	switch n := len(r.Faults); {
	case n == 1:
		segs = append(segs, s.HeaderLabel.Render("fault:")+" "+s.Warning.Render(r.Faults[0]))
	case n > 1:
		segs = append(segs, s.HeaderLabel.Render("faults "+strconv.Itoa(n)+":")+" "+s.Warning.Render(strings.Join(r.Faults, "; ")))
	}
	return segs
}

// spanText writes a scenario's duration without zero units at the end:
// "2h", "1h30m", "45m", "3 days".
func spanText(d time.Duration) string {
	t := roughDuration(d)
	for _, zero := range []string{"00m", "00s"} {
		if strings.HasSuffix(t, zero) && len(t) > len(zero) {
			t = strings.TrimSuffix(t, zero)
			break
		}
	}
	return t
}
