package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// The event log's viewport follows its newest line until the user scrolls
// up; then it keeps the entry it shows in place as events arrive (and as the
// bounded log drops its oldest), and counts the events that arrived since.
// G (or scrolling back to the end) follows again.

// logSearch is the event log's search: / while the log has focus.
type logSearch struct {
	field   textField
	matches []int // indexes of the log entries that match, oldest first
	at      int   // the match shown, an index into matches
}

// query is the text searched for, lower case; "" for none.
func (s logSearch) query() string { return strings.ToLower(strings.TrimSpace(s.field.Value)) }

// syncLog refills the event-log viewport when the log changed, following the
// newest line unless the user scrolled up (m.following).
func (m *Model) syncLog() {
	var d *sessionDetail
	if fd := m.frame.Detail; fd != nil && fd.Name == m.selected {
		d = fd
	}
	k := logKey{name: m.selected, width: m.width, query: m.logSearch.query()}
	if m.opts.ShowSecrets && m.tokenOf == m.selected {
		k.token = m.tokenRaw
	}
	if d != nil {
		k.lines, k.logged = len(d.Log), d.Logged
		if k.lines > 0 {
			k.last, k.text = d.Log[k.lines-1].At, d.Log[k.lines-1].Text
		}
	}
	if k == m.logKey {
		return
	}
	if k.name != m.logKey.name {
		m.following = true // another session's log starts at its newest line
	}
	old, oldStarts, oldOffset := m.logKey, m.logStarts, m.logView.YOffset()
	content, starts, matches := m.renderLog(d, k.token, k.query)
	m.logKey, m.logStarts, m.logSearch.matches = k, starts, matches
	m.logSearch.at = min(m.logSearch.at, len(matches)-1)
	m.logView.SetContent(content)
	switch {
	case m.following:
		m.logView.GotoBottom()
	case k.name == old.name:
		m.logView.SetYOffset(keptOffset(old, oldStarts, oldOffset, k, starts))
	}
}

// keptOffset is the viewport offset that shows the same entry at the top
// after the log changed from old to cur: new entries only add lines below,
// but the bounded log drops its oldest entries, and a resize re-wraps them.
// Entries are told apart by their place in the session's whole history
// (logged counts every event), not by their index in the kept log.
func keptOffset(old logKey, oldStarts []int, oldOffset int, cur logKey, starts []int) int {
	if len(oldStarts) < 2 || len(starts) < 2 {
		return oldOffset
	}
	top := 0 // the entry holding the old top line
	for top+1 < len(oldStarts)-1 && oldStarts[top+1] <= oldOffset {
		top++
	}
	within := oldOffset - oldStarts[top]
	abs := int64(old.logged) - int64(old.lines-top) // its place in the history
	idx := int64(cur.lines) - (int64(cur.logged) - abs)
	switch {
	case idx < 0: // the entry left the log: show the oldest kept
		return 0
	case idx >= int64(len(starts)-1):
		return oldOffset
	}
	return starts[idx] + min(within, starts[idx+1]-starts[idx]-1)
}

// setFollowing turns following on (jumping to the newest line) or off
// (noting how many events the log had, to count the new ones).
func (m *Model) setFollowing(on bool) {
	switch {
	case on:
		m.following = true
		m.logView.GotoBottom()
	case m.following:
		m.following = false
		m.pausedAt = m.logKey.logged
	}
}

// logNew is how many events arrived since the log stopped following.
func (m Model) logNew() uint64 {
	if m.following || m.logKey.logged < m.pausedAt {
		return 0
	}
	return m.logKey.logged - m.pausedAt
}

// scrollLog scrolls the log by delta lines; reaching the end follows again.
func (m *Model) scrollLog(delta int) {
	if delta < 0 {
		m.logView.ScrollUp(-delta)
	} else {
		m.logView.ScrollDown(delta)
	}
	m.setFollowing(m.logView.AtBottom())
}

// logPage is how many lines PgUp and PgDn move the log: its own height.
func (m Model) logPage() int { return max(m.logView.Height(), 1) }

// logTop shows the log's oldest line (it stops following unless it all fits).
func (m *Model) logTop() {
	m.logView.GotoTop()
	m.setFollowing(m.logView.AtBottom())
}

// showMatch scrolls the log to the search match at m.logSearch.at, a third
// of the way down the pane so that the events around it show too.
func (m *Model) showMatch() {
	s := m.logSearch
	if s.at < 0 || s.at >= len(s.matches) || s.matches[s.at] >= len(m.logStarts) {
		return
	}
	line := m.logStarts[s.matches[s.at]]
	if top := m.logView.YOffset(); line < top || line >= top+m.logView.Height() {
		m.logView.SetYOffset(line - m.logView.Height()/3)
	}
	m.setFollowing(m.logView.AtBottom())
}

// renderLog formats the selected session's event log for the viewport and,
// with --show-secrets, its whole token last, where a following log keeps it
// in view. It returns the first line of each entry (and, last, the line
// after them) and the entries that match query, which are marked.
func (m Model) renderLog(d *sessionDetail, token, query string) (content string, starts, matches []int) {
	// Long lines (errors, mostly) wrap at word boundaries under their text,
	// clear of the time column.
	const indent = "           " // " 15:04:05  "
	textWidth := max(m.width-len(indent), 8)
	lines := make([]string, 0, 8)
	if d == nil || len(d.Log) == 0 {
		lines = append(lines, m.styles.Muted.Render(" no events yet"))
	} else {
		starts = make([]int, 0, len(d.Log)+1)
		n := 0
		for i, l := range d.Log {
			starts = append(starts, n)
			text := strings.ReplaceAll(ansi.Wrap(l.Text, textWidth, ""), "\n", "\n"+indent)
			n += 1 + strings.Count(text, "\n")
			mark := " "
			if query != "" && strings.Contains(strings.ToLower(l.Text), query) {
				mark = m.styles.Focused.Render("›")
				matches = append(matches, i)
			}
			lines = append(lines, mark+m.styles.EventTime.Render(l.At.Format("15:04:05"))+"  "+text)
		}
		starts = append(starts, n)
	}
	if token != "" {
		// The token runs the full width with no indent, so that a mouse
		// selection across its rows picks up nothing but the token; c copies
		// it whole.
		lines = append(lines, " "+m.styles.ClaimKey.Render("token")+m.styles.Muted.Render(" (c copies it)"),
			ansi.Hardwrap(token, max(m.width, 1), false))
	}
	return strings.Join(lines, "\n"), starts, matches
}
