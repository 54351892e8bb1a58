package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

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

// normalKey handles a key outside any prompt: movement, actions, time.
func (m Model) normalKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if why := disabledReason(k, msg); why != "" {
		m.status = why
		return m, nil
	}
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
		return m, action("refresh "+name, "requested", func() error { return be.Refresh(name) })
	case key.Matches(msg, k.Abort):
		return m, action("abort "+name, "requested", func() error { return be.Abort(name) })
	case key.Matches(msg, k.Burst):
		n := m.opts.BurstSize
		return m, action(fmt.Sprintf("burst of %d GetToken calls on %s", n, name), "started",
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

// disabledReason says why a key does nothing when it belongs to a binding
// that is switched off (and so missing from the help), or "" otherwise.
func disabledReason(k KeyMap, msg tea.KeyPressMsg) string {
	pressed := func(b key.Binding) bool { return !b.Enabled() && slices.Contains(b.Keys(), msg.String()) }
	switch {
	case pressed(k.Pause), pressed(k.Faster), pressed(k.Slower):
		return "time control needs the fake issuer (its scaled clock)"
	case pressed(k.Fault):
		return "faults need the fake issuer: this issuer takes no injected faults"
	}
	return ""
}

// action runs fn off the event loop and reports its outcome: what names the
// action ("refresh alice-chat"), done is the word for its success
// ("requested").
func action(what, done string, fn func() error) tea.Cmd {
	return func() tea.Msg { return actionDoneMsg{what: what, done: done, err: fn()} }
}

// confirmKey answers a confirm prompt: only y carries the action out.
func (m Model) confirmKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch strings.ToLower(msg.String()) {
	case "y":
		m.mode = modeNormal
		c, be := m.confirm, m.be
		if c.Kind == confirmSignOut {
			return m, action("sign out "+c.Target, "requested", func() error { return be.SignOut(c.Target) })
		}
		return m, action("dispose "+c.Target, "requested", func() error { return be.Dispose(c.Target) })
	case "n", "esc", "q":
		m.mode = modeNormal
		m.status = "cancelled"
	}
	return m, nil
}

// filterKey edits the / filter; the table narrows as the user types.
func (m Model) filterKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "enter":
		m.mode = modeNormal
		return m, nil
	case "esc":
		m.mode = modeNormal
		m.filter.Value = ""
	case "up", "down": // pick among the matches while typing
		if msg.String() == "up" {
			return m.move(-1)
		}
		return m.move(1)
	default:
		if !m.filter.Edit(msg) {
			return m, nil
		}
	}
	m.applyFilter()
	return m.selectCursor()
}

// faultKey picks from the fault menu by arrows and enter, or by digit.
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
	return m, action("fault "+fault, "injected", func() error { return be.InjectFault(fault, target) })
}

// formKey passes a key to the new-session form and submits it.
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
			if err != nil {
				return actionDoneMsg{what: "new session for " + spec.Identity, err: err}
			}
			return actionDoneMsg{what: "new session " + name + " for " + spec.Identity, done: "added", selectName: name}
		}
	}
	return m, nil
}
