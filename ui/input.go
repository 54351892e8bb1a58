package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"tokentop/scenario"
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
	case modeBurst:
		return m.burstKey(msg)
	case modeLogSearch:
		return m.logSearchKey(msg)
	case modeDescribe:
		return m.describeKey(msg)
	}
	if m.focus == focusLog {
		if next, cmd, ok := m.logFocusKey(msg); ok {
			return next, cmd
		}
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
	case key.Matches(msg, k.Help), msg.String() == "esc" && m.help.ShowAll:
		m.help.ShowAll = !m.help.ShowAll
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
	case key.Matches(msg, k.Sort):
		m.sortBy = m.sortBy.next()
		m.applyFilter()
		m.status = "sorted by " + sortText(m.sortBy, m.sortReverse)
		return m, nil
	case key.Matches(msg, k.Reverse):
		m.sortReverse = !m.sortReverse
		m.applyFilter()
		m.status = "sorted by " + sortText(m.sortBy, m.sortReverse)
		return m, nil
	case key.Matches(msg, k.NextProblem):
		return m.nextProblem()
	case key.Matches(msg, k.Describe):
		return m.openDescribe()
	case key.Matches(msg, k.Pause):
		return m, m.timeCmd(timePause)
	case key.Matches(msg, k.Faster):
		return m, m.timeCmd(timeFaster)
	case key.Matches(msg, k.Slower):
		return m, m.timeCmd(timeSlower)
	case key.Matches(msg, k.ClearCache):
		if m.opts.Cache == "" { // no session persists: the run opened no cache
			m.status = "no token cache to clear: no session persists its tokens (persist=true)"
			return m, nil
		}
		m.confirm = confirmPrompt{Kind: confirmClearCache}
		m.mode = modeConfirm
		return m, nil
	case key.Matches(msg, k.New):
		m.form = newSessionForm(m.be.Policies())
		m.mode = modeForm
		m.resizeLog()
		m.clampScroll()
		return m, nil
	}
	if !hasSel {
		return m, nil
	}
	return m.sessionKey(msg, sv)
}

// sessionKey handles a key that acts on the selected session. Keys that
// would do nothing say why instead of reporting a request.
func (m Model) sessionKey(msg tea.KeyPressMsg, sv *sessionView) (tea.Model, tea.Cmd) {
	k := m.keys
	name, be := sv.Name, m.be
	switch {
	case key.Matches(msg, k.Refresh):
		switch {
		case sv.State.ended():
			m.status = name + " is " + sv.State.String() + ": nothing to refresh"
			return m, nil
		case sv.Static && sv.HasToken: // without its token yet, r asks for it again
			m.status = name + ": static sessions never refresh (one token, issued when added)"
			return m, nil
		}
		done := "requested"
		if sv.RetryAfter { // documented: r does not wait for the issuer's Retry-After
			done = "sent at once, not waiting for the issuer's Retry-After (the retry was due " + clockText(sv.NextAt, m.frame.Start) + ")"
		}
		return m, action("refresh "+name, done, func() error { return be.Refresh(name) })
	case key.Matches(msg, k.Abort):
		if sv.InFlight == 0 {
			m.status = name + ": nothing in flight to abort"
			return m, nil
		}
		return m, action("abort "+name, "requested", func() error { return be.Abort(name) })
	case key.Matches(msg, k.Burst):
		m.burst = textField{Value: strconv.Itoa(m.opts.BurstSize), Limit: 7}
		m.mode = modeBurst
	case key.Matches(msg, k.Dispose):
		if sv.State.ended() {
			m.status = name + " is already " + sv.State.String()
			return m, nil
		}
		m.confirm = confirmPrompt{Kind: confirmDispose, Target: name}
		m.mode = modeConfirm
	case key.Matches(msg, k.Remove):
		if !sv.State.ended() {
			m.status = name + " is " + sv.State.String() + ": only a disposed session can be removed (d disposes it)"
			return m, nil
		}
		return m, action("remove "+name, "removed", func() error { return be.Remove(name) })
	case key.Matches(msg, k.SignOut):
		m.confirm = confirmPrompt{Kind: confirmSignOut, Target: sv.Identity}
		m.mode = modeConfirm
	case key.Matches(msg, k.Copy):
		return m.copyToken(sv)
	case key.Matches(msg, k.Fault):
		m.faults = faultMenu{Items: m.be.Faults()}
		m.mode = modeFaults
		m.resizeLog()
		m.clampScroll()
	}
	return m, nil
}

// copyToken copies the selected session's token to the clipboard with
// OSC 52 (the terminal, even over ssh or in tmux, puts it on the system
// clipboard). The status names the token by its fingerprint only.
func (m Model) copyToken(sv *sessionView) (tea.Model, tea.Cmd) {
	if m.tokenOf != sv.Name || m.tokenRaw == "" {
		m.status = sv.Name + " has no token to copy"
		if m.tokenOf != sv.Name {
			m.status = sv.Name + "'s token is still being read: try again"
		}
		return m, nil
	}
	m.status = "copied token of " + sv.Name + " (" + m.token.Fingerprint + ") to the clipboard"
	return m, tea.SetClipboard(m.tokenRaw)
}

// logFocusKey handles the keys that act on the event log while it has focus:
// scrolling by its own page, its ends, and its search. ok is false for the
// other keys, which act as usual.
func (m Model) logFocusKey(msg tea.KeyPressMsg) (next tea.Model, cmd tea.Cmd, ok bool) {
	k := m.keys
	switch {
	case key.Matches(msg, k.PageUp):
		m.scrollLog(-m.logPage())
	case key.Matches(msg, k.PageDown):
		m.scrollLog(m.logPage())
	case key.Matches(msg, k.Top):
		m.logTop()
	case key.Matches(msg, k.Bottom):
		m.setFollowing(true)
	case key.Matches(msg, k.Filter):
		m.mode = modeLogSearch
	case msg.String() == "esc" && m.logSearch.field.Value != "":
		m.logSearch = logSearch{}
		m.syncLog()
	default:
		return m, nil, false
	}
	return m, nil, true
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
	case pressed(k.Copy):
		return "c copies a token only with --show-secrets: without it tokens stay off the screen and the clipboard"
	}
	return ""
}

// action runs fn off the event loop and reports its outcome: what names the
// action ("refresh alice-chat"), done is the word for its success
// ("requested").
func action(what, done string, fn func() error) tea.Cmd {
	return func() tea.Msg { return actionDoneMsg{what: what, done: done, err: fn()} }
}

// clearCacheCmd clears the token cache off the event loop; the status
// reads "token cache cleared", or the error.
func clearCacheCmd(be backend) tea.Cmd {
	return func() tea.Msg {
		if err := be.ClearCache(); err != nil {
			return actionDoneMsg{what: "clear the token cache", err: err}
		}
		return actionDoneMsg{what: "token cache cleared"}
	}
}

// confirmKey answers a confirm prompt: only y carries the action out.
func (m Model) confirmKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch strings.ToLower(msg.String()) {
	case "y":
		m.mode = modeNormal
		c, be := m.confirm, m.be
		switch c.Kind {
		case confirmSignOut:
			return m, action("sign out "+c.Target, "requested", func() error { return be.SignOut(c.Target) })
		case confirmClearCache:
			return m, clearCacheCmd(be)
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
		m.resizeLog()
		m.clampScroll()
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
	m.resizeLog()
	m.clampScroll()
	be, target := m.be, m.selected
	if fault.ClearAll {
		return m, action("faults cleared", "", func() error { return be.InjectFault(fault.Label, target) })
	}
	return m, action("fault "+fault.Label, "injected", func() error { return be.InjectFault(fault.Label, target) })
}

// formKey passes a key to the new-session form and submits it.
func (m Model) formKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	spec, submitted, cancelled := m.form.Key(msg)
	if cancelled || submitted {
		m.mode = modeNormal
		m.resizeLog()
		m.clampScroll()
	}
	if submitted {
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

// burstKey edits the burst size; enter starts the burst, esc cancels.
func (m Model) burstKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "esc":
		m.mode = modeNormal
		m.status = "burst cancelled"
		return m, nil
	case "enter":
		n, err := parseBurst(m.burst.Value, m.opts.BurstSize)
		if err != nil {
			m.status = m.styles.Warning.Render(err.Error())
			return m, nil
		}
		m.mode = modeNormal
		sv, ok := m.selectedView()
		if !ok {
			return m, nil
		}
		name, be, done := sv.Name, m.be, "started"
		if sv.State.ended() {
			done += ": every call will fail, " + name + " is " + sv.State.String() + " and serves no token"
		}
		return m, action(fmt.Sprintf("burst of %d GetToken calls on %s", n, name), done,
			func() error { return be.Burst(name, n) })
	}
	if strings.Trim(msg.Text, "0123456789") == "" { // digits and editing keys only
		m.burst.Edit(msg)
	}
	return m, nil
}

// parseBurst reads the burst size typed; blank means the default.
func parseBurst(v string, def int) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > scenario.MaxBurst {
		return 0, fmt.Errorf("burst size %q: type a number of calls from 1 to %d", v, scenario.MaxBurst)
	}
	return n, nil
}

// logSearchKey edits the event log search: the log jumps to the newest
// matching entry as the user types, ↑ and ↓ step to older and newer matches,
// enter keeps the search (its matches stay marked), esc clears it.
func (m Model) logSearchKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	s := &m.logSearch
	switch msg.String() {
	case "enter":
		m.mode = modeNormal
		return m, nil
	case "esc":
		m.mode = modeNormal
		m.logSearch = logSearch{}
		m.syncLog()
		return m, nil
	case "up":
		s.at = max(s.at-1, 0)
	case "down":
		s.at = min(s.at+1, len(s.matches)-1)
	default:
		if !s.field.Edit(msg) {
			return m, nil
		}
		m.syncLog()
		s.at = len(s.matches) - 1 // the newest match
	}
	m.showMatch()
	return m, nil
}

// nextProblem moves the cursor to the next visible session, after the
// cursor and wrapping round, that is failing or needs attention, and says
// so when none is.
func (m Model) nextProblem() (tea.Model, tea.Cmd) {
	n := len(m.visible)
	for step := 1; step <= n; step++ {
		r := (m.cursor + step) % n
		sv := &m.frame.Sessions[m.visible[r]]
		if sv.State.needsLook() {
			m.cursor = r
			m.status = sv.Name + " is " + sv.State.String()
			return m.selectCursor()
		}
	}
	m.status = "no session is failing or needs attention"
	return m, nil
}
