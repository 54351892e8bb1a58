package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// EventsMsg tells the screen that the sessions changed; n is how many events
// arrived since the last one. The screen then re-reads a frame at once
// instead of waiting for the next tick.
type EventsMsg struct{ N int }

// actionDoneMsg reports the outcome of an action issued to the backend.
type actionDoneMsg struct {
	what       string
	err        error
	selectName string // a session to select, e.g. one just added
}

// verifiedMsg carries a signature check result for a token fingerprint.
type verifiedMsg struct {
	fingerprint string
	err         error
}

// Update applies a message to the model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 1), max(msg.Height, 1)
		m.resizeLog()
		m.clampScroll()
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
			if msg.selectName != "" {
				m.selected = msg.selectName
			}
		}
		m.fetching = true
		return m, m.fetchFrame()
	case verifiedMsg:
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
		if d.Token != m.tokenRaw {
			m.tokenRaw = d.Token
			m.token = decodeToken(d.Token)
			if cmd := m.verify(); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	m.resizeLog()
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

func matches(sv *sessionView, needle string) bool {
	for _, f := range []string{sv.Name, sv.Identity, sv.Policy, sv.State.String()} {
		if strings.Contains(strings.ToLower(f), needle) {
			return true
		}
	}
	return false
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
		if delta < 0 {
			m.logView.ScrollUp(-delta)
		} else {
			m.logView.ScrollDown(delta)
		}
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
	m.fetching = true
	return m, m.fetchFrame()
}

// handleKey routes a key by mode.
func (m Model) handleKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if msg.String() == "ctrl+c" {
		return m, tea.Quit
	}
	switch m.mode {
	case modeConfirm:
		return m.confirmKey(msg)
	case modeFilter:
		return m.filterKey(msg)
	case modeFaults:
		return m.faultKey(msg)
	case modeForm:
		return m.formKey(msg)
	}
	return m.normalKey(msg)
}

func (m Model) normalKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	sv, hasSel := m.selectedView()
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.resizeLog()
		m.clampScroll()
		return m, nil
	case key.Matches(msg, k.Up):
		return m.move(-1)
	case key.Matches(msg, k.Down):
		return m.move(1)
	case key.Matches(msg, k.PageUp):
		return m.move(-m.tableRowsShown())
	case key.Matches(msg, k.PageDown):
		return m.move(m.tableRowsShown())
	case key.Matches(msg, k.Top):
		return m.move(-len(m.visible))
	case key.Matches(msg, k.Bottom):
		return m.move(len(m.visible))
	case key.Matches(msg, k.Focus):
		if m.focus == focusTable {
			m.focus = focusLog
		} else {
			m.focus = focusTable
		}
		return m, nil
	case key.Matches(msg, k.Filter):
		m.mode = modeFilter
		return m, nil
	case msg.String() == "esc" && m.filter.Value != "":
		m.filter.Value = ""
		m.applyFilter()
		return m, nil
	case key.Matches(msg, k.Pause):
		return m, m.timeCmd(timePause)
	case key.Matches(msg, k.Faster):
		return m, m.timeCmd(timeFaster)
	case key.Matches(msg, k.Slower):
		return m, m.timeCmd(timeSlower)
	case key.Matches(msg, k.New):
		m.form = newSessionForm(m.be.Policies())
		m.mode = modeForm
		return m, nil
	}
	if !hasSel {
		return m, nil
	}
	name, be := sv.Name, m.be
	switch {
	case key.Matches(msg, k.Refresh):
		return m, action("refresh "+name+": requested", func() error { return be.Refresh(name) })
	case key.Matches(msg, k.Abort):
		return m, action("abort "+name+": requested", func() error { return be.Abort(name) })
	case key.Matches(msg, k.Burst):
		n := m.opts.BurstSize
		return m, action(fmt.Sprintf("burst of %d GetToken calls on %s: started", n, name),
			func() error { return be.Burst(name, n) })
	case key.Matches(msg, k.Dispose):
		if sv.State.ended() {
			m.status = name + " is already " + sv.State.String()
			return m, nil
		}
		m.confirm = confirmPrompt{Kind: confirmDispose, Target: name}
		m.mode = modeConfirm
	case key.Matches(msg, k.SignOut):
		m.confirm = confirmPrompt{Kind: confirmSignOut, Target: sv.Identity}
		m.mode = modeConfirm
	case key.Matches(msg, k.Fault):
		m.faults = faultMenu{Items: m.be.Faults()}
		m.mode = modeFaults
	}
	return m, nil
}

// action runs fn off the event loop and reports its outcome.
func action(what string, fn func() error) tea.Cmd {
	return func() tea.Msg { return actionDoneMsg{what: what, err: fn()} }
}

func (m Model) confirmKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch strings.ToLower(msg.String()) {
	case "y":
		m.mode = modeNormal
		c, be := m.confirm, m.be
		if c.Kind == confirmSignOut {
			return m, action("sign out "+c.Target+": requested", func() error { return be.SignOut(c.Target) })
		}
		return m, action("dispose "+c.Target+": requested", func() error { return be.Dispose(c.Target) })
	case "n", "esc", "q":
		m.mode = modeNormal
		m.status = "cancelled"
	}
	return m, nil
}

func (m Model) filterKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "enter":
		m.mode = modeNormal
		return m, nil
	case "esc":
		m.mode = modeNormal
		m.filter.Value = ""
	default:
		if !m.filter.Edit(msg) {
			return m, nil
		}
	}
	m.applyFilter()
	return m.selectCursor()
}

func (m Model) faultKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch s := msg.String(); s {
	case "esc", "q", "f":
		m.mode = modeNormal
		return m, nil
	case "up", "k":
		m.faults.Move(-1)
		return m, nil
	case "down", "j":
		m.faults.Move(1)
		return m, nil
	case "enter":
	default:
		if len(s) == 1 && s[0] >= '1' && s[0] <= '9' && int(s[0]-'1') < len(m.faults.Items) {
			m.faults.Cursor = int(s[0] - '1')
		} else {
			return m, nil
		}
	}
	fault, ok := m.faults.Chosen()
	if !ok {
		return m, nil
	}
	m.mode = modeNormal
	be, target := m.be, m.selected
	return m, action("fault "+fault+": injected", func() error { return be.InjectFault(fault, target) })
}

func (m Model) formKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	spec, submitted, cancelled := m.form.Key(msg)
	switch {
	case cancelled:
		m.mode = modeNormal
	case submitted:
		m.mode = modeNormal
		be := m.be
		return m, func() tea.Msg {
			name, err := be.Add(spec)
			return actionDoneMsg{what: "new session " + name + " for " + spec.Identity + ": added", err: err, selectName: name}
		}
	}
	return m, nil
}

// timeChange is a p, + or - key.
type timeChange int

const (
	timePause timeChange = iota
	timeFaster
	timeSlower
)

// speedSteps are the speeds + and - step through.
var speedSteps = []float64{0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 3600}

// timeCmd changes the clock off the event loop; the next frame shows it.
func (m Model) timeCmd(c timeChange) tea.Cmd {
	tc, ok := m.opts.Clock.(TimeControl)
	if !ok {
		return nil
	}
	return func() tea.Msg {
		switch c {
		case timePause:
			if tc.Paused() {
				tc.Resume()
				return actionDoneMsg{what: "time resumed"}
			}
			tc.Pause()
			return actionDoneMsg{what: "time paused"}
		case timeFaster:
			s := nextSpeed(tc.Speed(), 1)
			tc.SetSpeed(s)
			return actionDoneMsg{what: "speed " + speedLabel(s)}
		default:
			s := nextSpeed(tc.Speed(), -1)
			tc.SetSpeed(s)
			return actionDoneMsg{what: "speed " + speedLabel(s)}
		}
	}
}

// nextSpeed is the next step up (dir > 0) or down from the current speed.
func nextSpeed(cur float64, dir int) float64 {
	if dir > 0 {
		for _, s := range speedSteps {
			if s > cur {
				return s
			}
		}
		return speedSteps[len(speedSteps)-1]
	}
	for i := len(speedSteps) - 1; i >= 0; i-- {
		if speedSteps[i] < cur {
			return speedSteps[i]
		}
	}
	return speedSteps[0]
}

// resizeLog sizes the event-log viewport to the detail pane.
func (m *Model) resizeLog() {
	h := max(m.layout().detail-detailHeadLines, 0)
	m.logView.SetWidth(m.width)
	m.logView.SetHeight(h)
	m.syncLog()
}

// syncLog refills the event-log viewport when the log changed, following the
// newest line unless the user scrolled up.
func (m *Model) syncLog() {
	var d *sessionDetail
	if fd := m.frame.Detail; fd != nil && fd.Name == m.selected {
		d = fd
	}
	k := logKey{name: m.selected, width: m.width}
	if d != nil {
		k.lines = len(d.Log)
		if k.lines > 0 {
			k.last, k.text = d.Log[k.lines-1].At, d.Log[k.lines-1].Text
		}
	}
	if k == m.logKey {
		return
	}
	follow := m.logView.AtBottom() || k.name != m.logKey.name
	m.logKey = k
	m.logView.SetContent(m.renderLog(d))
	if follow {
		m.logView.GotoBottom()
	}
}
