package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// EventsMsg tells the screen that the sessions changed; n is how many events
// arrived since the last one. The screen then re-reads a frame at once
// instead of waiting for the next tick.
type EventsMsg struct{ N int }

// actionDoneMsg reports the outcome of an action issued to the backend.
// The status reads "what: done" on success and "what failed: err" on
// failure, so the success word never sits in front of an error.
type actionDoneMsg struct {
	what       string // the action, e.g. "refresh alice-chat"
	done       string // its success word, e.g. "requested"; "" when what says it all
	err        error
	selectName string // a session to select, e.g. one just added
}

// verifiedMsg carries a signature check result for a token fingerprint.
type verifiedMsg struct {
	fingerprint string
	err         error
}

// maxVerified bounds the signature results kept.
const maxVerified = 256

// Update applies a message to the model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 1), max(msg.Height, 1)
		m.resizeLog()
		m.clampScroll()
		if m.mode == modeDescribe {
			m.syncDescribe()
		}
		return m, nil
	case tea.ColorProfileMsg:
		if msg.Profile == colorprofile.ASCII || msg.Profile == colorprofile.NoTTY { // NO_COLOR, TERM=dumb, or not a terminal
			m.opts.NoColor = true
			m.setStyles(true)
			m.logKey = logKey{}
			m.syncLog()
		}
		return m, nil
	case tea.BackgroundColorMsg:
		m.setStyles(msg.IsDark())
		m.logKey = logKey{} // re-render the log in the new theme
		m.syncLog()
		return m, nil
	case frameMsg:
		return m.applyFrame(msg)
	case tickSkipMsg:
		return m, m.tick()
	case EventsMsg:
		if m.fetching {
			return m, nil
		}
		m.fetching = true
		return m, m.fetchFrame()
	case actionDoneMsg:
		if msg.err != nil {
			m.status = m.styles.Warning.Render(msg.what + " failed: " + msg.err.Error())
		} else {
			m.status = msg.what
			if msg.done != "" {
				m.status += ": " + msg.done
			}
			if msg.selectName != "" {
				m.selected = msg.selectName
			}
		}
		m.fetching = true
		return m, m.fetchFrame()
	case savedMsg:
		return m.applySaved(msg)
	case verifiedMsg:
		if len(m.verified) >= maxVerified {
			clear(m.verified) // bounded: a long run sees a token per refresh
		}
		m.verified[msg.fingerprint] = msg.err
		return m, nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}
	return m, nil
}

// applyFrame installs a fresh frame, keeps the selection on the same session
// and re-arms the ticker when the frame came from it.
func (m Model) applyFrame(msg frameMsg) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	if msg.tick {
		cmds = append(cmds, m.tick())
	} else {
		m.fetching = false
	}
	if msg.seq < m.frameSeq { // read before the frame shown: stale
		if d := m.frame.Detail; m.selected != "" && (d == nil || d.Name != m.selected) && !m.fetching {
			m.fetching = true
			cmds = append(cmds, m.fetchFrame()) // the frame shown lacks our detail: fetch it
		}
		return m, tea.Batch(cmds...)
	}
	m.frameSeq = msg.seq
	m.frame = msg.frame
	m.applyFilter()
	if sv, ok := m.selectedView(); ok && sv.Name != m.selected {
		m.selected = sv.Name
	}
	if m.selected != "" && msg.asked != m.selected && !m.fetching {
		m.fetching = true
		cmds = append(cmds, m.fetchFrame()) // the detail is for another session: fetch ours
	}
	if d := m.frame.Detail; d != nil && d.Name == m.selected {
		if d.Token != m.tokenRaw || d.Name != m.tokenOf {
			m.tokenRaw, m.tokenOf = d.Token, d.Name
			m.token = decodeToken(d.Token)
			if cmd := m.verify(); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	m.resizeLog()
	if m.mode == modeDescribe {
		m.syncDescribe()
	}
	return m, tea.Batch(cmds...)
}

// verify checks the current token's signature off the event loop, once per token.
func (m Model) verify() tea.Cmd {
	fn, raw, fp := m.opts.VerifySignature, m.tokenRaw, m.token.Fingerprint
	if fn == nil || raw == "" || !m.token.Decoded {
		return nil
	}
	if _, done := m.verified[fp]; done {
		return nil
	}
	return func() tea.Msg { return verifiedMsg{fingerprint: fp, err: fn(raw)} }
}

// applyFilter recomputes the visible rows and moves the cursor to the
// selected session, wherever it now is.
func (m *Model) applyFilter() {
	m.visible = m.visible[:0:0] // a fresh slice: earlier Model values still share the old one
	m.longestName, m.longestID = 0, 0
	needle := strings.ToLower(strings.TrimSpace(m.filter.Value))
	for i := range m.frame.Sessions {
		sv := &m.frame.Sessions[i]
		if needle == "" || matches(sv, needle) {
			m.visible = append(m.visible, i)
			m.longestName = max(m.longestName, cellWidth(sv.Name))
			m.longestID = max(m.longestID, cellWidth(sv.Identity))
		}
	}
	sortVisible(m.visible, m.frame.Sessions, m.sortBy, m.sortReverse)
	m.cursor = min(m.cursor, max(len(m.visible)-1, 0))
	if m.selected != "" {
		for r, i := range m.visible {
			if m.frame.Sessions[i].Name == m.selected {
				m.cursor = r
				break
			}
		}
	}
	m.clampScroll()
}

// matches reports whether the filter (lower case) is in the session's name
// or identity. Only those two: a filter that also matched the state or the
// policy would keep every "valid" row for "ali".
func matches(sv *sessionView, needle string) bool {
	return strings.Contains(strings.ToLower(sv.Name), needle) || strings.Contains(strings.ToLower(sv.Identity), needle)
}

// clampScroll keeps the cursor row inside the table's visible window.
func (m *Model) clampScroll() {
	rows := m.tableRowsShown()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+rows {
		m.offset = m.cursor - rows + 1
	}
	m.offset = max(min(m.offset, len(m.visible)-rows), 0)
}

// move moves the cursor (or scrolls the log when it has focus) by delta rows.
func (m Model) move(delta int) (tea.Model, tea.Cmd) {
	if m.focus == focusLog {
		m.scrollLog(delta)
		return m, nil
	}
	if len(m.visible) == 0 {
		return m, nil
	}
	m.cursor = min(max(m.cursor+delta, 0), len(m.visible)-1)
	return m.selectCursor()
}

// selectCursor makes the session under the cursor the selected one and
// fetches its detail.
func (m Model) selectCursor() (tea.Model, tea.Cmd) {
	m.clampScroll()
	sv, ok := m.selectedView()
	if !ok || sv.Name == m.selected {
		return m, nil
	}
	m.selected = sv.Name
	m.following = true
	m.fetching = true
	return m, m.fetchFrame()
}

// resizeLog sizes the event-log viewport to the detail pane.
func (m *Model) resizeLog() {
	h := max(m.layout().detail-detailHeadLines, 0)
	m.logView.SetWidth(m.width)
	m.logView.SetHeight(h)
	m.syncLog()
	if m.following {
		m.logView.GotoBottom()
	}
}
