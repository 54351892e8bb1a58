package ui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// tableLayout is the column widths for one screen width.
type tableLayout struct {
	name, identity, policy, state, bar, expires, refr, fail, lat int
}

const (
	colGap     = 1
	cursorCols = 2
)

// layoutTable fits the columns into width: fixed columns first, then the
// countdown bar takes what is left, and name and identity give way first
// when space is short.
func (m Model) layoutTable(width int) tableLayout {
	// lat fits "1.234s" and "527µs"; fail fits "FAIL▼"; expires fits
	// "366 days"; state fits "valid, refresh failed" when wide.
	l := tableLayout{policy: 8, expires: 8, refr: 4, fail: 5, lat: 6, state: 14}
	if width >= 110 {
		l.state = 21
	}
	longestName, longestID := max(m.longestName, 4), max(m.longestID, 8)
	l.name = min(longestName, 24)
	l.identity = min(longestID, 16)
	fixed := cursorCols + l.policy + l.state + l.expires + l.refr + l.fail + l.lat + 8*colGap
	const minBar, wideBar = 5, 60
	for fixed+l.name+l.identity+minBar > width && (l.name > 8 || l.identity > 6) {
		if l.name >= l.identity && l.name > 8 {
			l.name--
		} else if l.identity > 6 {
			l.identity--
		} else {
			l.name--
		}
	}
	l.bar = max(min(width-fixed-l.name-l.identity, wideBar), 1)
	// Give any width beyond the widest bar back to name and identity.
	if spare := width - fixed - l.name - l.identity - l.bar; spare > 0 {
		grow := min(spare, max(longestName-l.name, 0))
		l.name += grow
		spare -= grow
		l.identity += min(spare, max(longestID-l.identity, 0))
	}
	return l
}

// tableHeader draws the column titles, the sorted one marked with an arrow.
// LAT reads VLAT when the clock is virtual: the fake plays its latency on
// the virtual clock, so the figures are virtual time, not a network's.
func (m Model) tableHeader(l tableLayout) string {
	lat := "LAT"
	if m.virtual {
		lat = "VLAT"
	}
	type col struct {
		title string
		width int
		left  bool
	}
	cols := []col{
		{"NAME", l.name, true}, {"IDENTITY", l.identity, true}, {"POLICY", l.policy, true},
		{"STATE", l.state, true}, {"EXPIRES IN", l.bar + colGap + l.expires, true},
		{"REFR", l.refr, false}, {"FAIL", l.fail, false}, {"LAT", l.lat, false},
	}
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", cursorCols-colGap))
	for _, c := range cols {
		title, sep := c.title, " "
		if c.title == "LAT" {
			title = lat
		}
		if c.title == m.sortBy.column() { // after the title: a right-aligned one ends at its figures
			title += sortMark(m.sortBy, m.sortReverse)
		}
		switch {
		case c.left:
			title = padRight(title, c.width)
		case cellWidth(title) > c.width: // a right-aligned title takes the gap before it
			sep, title = "", padLeft(title, c.width+colGap)
		default:
			title = padLeft(title, c.width)
		}
		b.WriteString(sep + title)
	}
	return m.styles.ColumnHeader.Render(padRight(b.String(), m.width))
}

// tableRows draws rows [offset, offset+height) of the visible sessions.
func (m Model) tableRows(l tableLayout, height int) []string {
	lines := make([]string, 0, height)
	for r := m.offset; r < len(m.visible) && len(lines) < height; r++ {
		lines = append(lines, m.tableRow(l, &m.frame.Sessions[m.visible[r]], r == m.cursor))
	}
	if len(m.visible) == 0 {
		msg := "  no sessions yet: press n to add one"
		if m.filter.Value != "" {
			msg = "  no session matches the filter " + strconv.Quote(m.filter.Value) + " (esc clears it)"
		}
		lines = append(lines, m.styles.Muted.Render(padRight(msg, m.width)))
	}
	return lines
}

// total is the row width the layout asks for.
func (l tableLayout) total() int {
	return cursorCols + l.name + l.identity + l.policy + l.state + l.bar + l.expires + l.refr + l.fail + l.lat + 8*colGap
}

// tableRow draws one session. The selected row is drawn plain and then
// highlighted as a whole, since inner colour resets would cut an outer
// background short. Other rows are painted cell by cell with precomputed
// escapes (see paint): this is the hot path of a frame.
func (m Model) tableRow(l tableLayout, sv *sessionView, selected bool) string {
	label := stateLabel(sv.State, sv.Waiters, sv.NextAt, l.state)
	remaining := sv.ExpiresOn.Sub(m.frame.Now)
	expires := "-"
	if !sv.ExpiresOn.IsZero() {
		expires = countdown(remaining)
	}
	bar := countdownBar{Lifetime: sv.ExpiresOn.Sub(sv.IssuedAt), Remaining: remaining, Window: sv.Window}
	if sv.ExpiresOn.IsZero() || sv.IssuedAt.IsZero() {
		bar.Lifetime = 0
	}
	if sv.State.ended() { // the credential serves nothing any more
		bar.Lifetime, expires = 0, "-"
	}
	lat := latency(sv.LastLatency)
	fail := strconv.FormatInt(sv.Failures, 10)

	if selected {
		cells := []string{
			">",
			padRight(sv.Name, l.name), padRight(sv.Identity, l.identity), padRight(sv.Policy, l.policy),
			padRight(label, l.state), bar.Render(l.bar, paint{}, paint{}, paint{}), padLeft(expires, l.expires),
			padLeft(strconv.FormatInt(sv.Refreshes, 10), l.refr), padLeft(fail, l.fail), padLeft(lat, l.lat),
		}
		style := m.styles.Selected
		if m.focus != focusTable || m.mode != modeNormal {
			style = m.styles.SelectedBlurred
		}
		return style.Render(padRight(strings.Join(cells, " "), m.width))
	}
	p := &m.paints
	st := p.states[sv.State]
	failCell := padLeft(fail, l.fail)
	if sv.Failures > 0 {
		failCell = p.warning.Render(failCell)
	}
	var b strings.Builder
	b.Grow(m.width + 128)
	for i, c := range [...]string{
		" ",
		padRight(sv.Name, l.name), p.muted.Render(padRight(sv.Identity, l.identity)), p.muted.Render(padRight(sv.Policy, l.policy)),
		st.Render(padRight(label, l.state)), bar.Render(l.bar, st, p.empty, p.marker), st.Render(padLeft(expires, l.expires)),
		padLeft(strconv.FormatInt(sv.Refreshes, 10), l.refr), failCell, padLeft(lat, l.lat),
	} {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c)
	}
	line := b.String()
	if w := l.total(); w < m.width {
		line += strings.Repeat(" ", m.width-w)
	} else if w > m.width {
		line = ansi.Truncate(line, m.width, "")
	}
	return line
}
