package ui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// layout is the height of each region for the current window size.
type layout struct {
	header, table, detail, help int
}

// minDetail is the detail pane height the table never squeezes below.
const minDetail = 8

func (m Model) layout() layout {
	l := layout{header: len(m.headerLines()), help: 1} // a prompt or the short help
	// header, rule, table, rule, detail, rule, help
	free := max(m.height-l.header-l.help-3, 2)
	want := max(len(m.visible), 1) + 1 // rows + column header
	detail := max(minDetail, free*2/5, m.overlayLines())
	l.table = max(min(want, free-detail), min(3, free))
	l.detail = max(free-l.table, 0)
	return l
}

// overlayLines is how many lines the form or menu drawn in place of the
// detail pane needs; the table gives way to it while it is open.
func (m Model) overlayLines() int {
	switch m.mode {
	case modeForm:
		return m.form.Lines()
	case modeFaults:
		return len(m.faults.Items) + 1
	}
	return 0
}

// tableRowsShown is how many session rows fit in the table region.
func (m Model) tableRowsShown() int { return max(m.layout().table-1, 1) }

// View draws the screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "tokentop"
	return v
}

// render draws the whole screen as text, exactly height lines of width cells.
func (m Model) render() string {
	switch {
	case m.width <= 0 || m.height <= 0:
		return ""
	case m.tooSmall():
		return m.renderTooSmall()
	case m.fullHelpShown():
		return m.renderHelpPage()
	case m.mode == modeDescribe:
		return m.renderDescribe()
	}
	l := m.layout()
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	for _, h := range m.headerLines() {
		b.WriteString(h + "\n")
	}
	b.WriteString(m.rule("") + "\n")

	tl := m.layoutTable(m.width)
	rows := m.tableRows(tl, l.table-1)
	b.WriteString(fitBlock(append([]string{m.tableHeader(tl)}, rows...), m.width, l.table) + "\n")

	b.WriteString(m.rule(m.middleLabel()) + "\n")
	if l.detail > 0 {
		switch m.mode {
		case modeFaults:
			identity := ""
			if sv, ok := m.selectedView(); ok {
				identity = sv.Identity
			}
			b.WriteString(m.faults.Render(m.width, l.detail, identity, m.styles))
		case modeForm:
			b.WriteString(m.form.Render(m.width, l.detail, m.styles))
		default:
			b.WriteString(m.detail(l.detail))
		}
		b.WriteString("\n")
	}
	b.WriteString(m.rule(m.statusLabel()) + "\n")
	b.WriteString(m.bottom())
	out := b.String()
	if strings.Count(out, "\n") != m.height-1 { // a window too small for the layout: keep the top
		out = fitBlock(strings.Split(out, "\n"), m.width, m.height)
	}
	return out
}

// middleLabel labels the rule between table and detail: the scroll position,
// the filter, the log's search and whether it follows, and the focused region.
func (m Model) middleLabel() string {
	s := m.styles
	var parts []string
	if sv, ok := m.selectedView(); ok {
		parts = append(parts, s.HeaderValue.Render(sv.Name)+" "+s.Muted.Render(itoa(m.cursor+1)+"/"+itoa(len(m.visible))))
	}
	if m.filter.Value != "" && m.mode != modeFilter {
		parts = append(parts, s.Muted.Render("filter: ")+m.filter.Value)
	}
	if !m.following {
		paused := "log paused"
		if n := m.logNew(); n > 0 {
			paused += " ↓ " + thousands(int64(n)) + " new"
		}
		if m.focus == focusLog {
			paused += " (G follows)"
		}
		parts = append(parts, s.Warning.Render(paused))
	}
	if q := m.logSearch.field.Value; q != "" {
		found := "no match"
		if n := len(m.logSearch.matches); n > 0 {
			found = itoa(max(m.logSearch.at, 0)+1) + "/" + itoa(n)
		}
		parts = append(parts, s.Muted.Render("search: ")+q+" "+s.Muted.Render(found))
	}
	if m.focus == focusLog {
		parts = append(parts, s.Focused.Render("focus: event log (tab: table)"))
	}
	return strings.Join(parts, s.Muted.Render(" · "))
}

// statusLabel labels the lowest rule with feedback on the last action.
func (m Model) statusLabel() string {
	if m.status == "" {
		return ""
	}
	return m.status
}

// fullHelpShown reports whether the full help page (? in the table or the
// log) is shown in place of the table and the detail.
func (m Model) fullHelpShown() bool { return m.help.ShowAll && m.mode == modeNormal }

// bottom is the last line(s): a prompt, the filter input, or the help.
func (m Model) bottom() string {
	switch m.mode {
	case modeConfirm:
		return padRight(m.confirm.Render(m.width, m.styles), m.width)
	case modeFilter:
		return m.promptLine("filter names/identities:", "/", m.filter, "enter keep · esc clear")
	case modeBurst:
		name := ""
		if sv, ok := m.selectedView(); ok {
			name = " on " + sv.Name
		}
		return m.promptLine("burst: concurrent GetToken calls"+name+":", "burst:", m.burst, "enter start · esc cancel")
	case modeLogSearch:
		return m.promptLine("search the log:", "/", m.logSearch.field, "↑/↓ older/newer · enter keep · esc clear")
	case modeFaults:
		return padRight(" "+m.shortHelp(faultMenuHelp()), m.width)
	case modeForm:
		return padRight(" "+m.shortHelp(formHelp()), m.width)
	}
	b := func(k, desc string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc)) }
	switch {
	case m.fullHelpShown():
		return padRight(" "+m.shortHelp(nil, []key.Binding{b("?/esc", "close the help"), m.keys.Quit}), m.width)
	case m.focus == focusLog:
		return padRight(" "+m.shortHelp(m.keys.logKeysHelp()), m.width)
	}
	return padRight(" "+m.shortHelp(m.keys.shortHelpRest(), m.keys.shortHelpKept()), m.width)
}

// promptLine draws a one-line prompt: the label, the field being typed and
// a hint of its keys, always within the width. The field takes what the
// label and hint leave; on a narrow screen the hint goes first, then the
// label gives way to short.
func (m Model) promptLine(label, short string, f textField, hint string) string {
	const minField = 8
	s := m.styles
	var line string
	for _, c := range []struct{ label, hint string }{{label, hint}, {label, ""}, {short, ""}} {
		fieldW := m.width - 2 - cellWidth(c.label)
		if c.hint != "" {
			fieldW -= 1 + cellWidth(c.hint)
		}
		line = " " + s.Prompt.Render(c.label) + " " + f.Render(max(fieldW, 1), true)
		if c.hint != "" {
			line += " " + s.Muted.Render(c.hint)
		}
		if fieldW >= minField {
			break
		}
	}
	return padRight(line, m.width)
}

// shortHelp draws one help line that always ends with the kept keys; the
// rest are cut from the end, whole, with an ellipsis, to fit the window.
func (m Model) shortHelp(rest, kept []key.Binding) string {
	h := m.help
	h.SetWidth(0)
	tail := h.ShortHelpView(kept)
	sep := h.Styles.ShortSeparator.Inline(true).Render(h.ShortSeparator)
	ellipsis := h.Styles.Ellipsis.Inline(true).Render(h.Ellipsis)
	avail := m.width - 1 - ansi.StringWidth(tail) - ansi.StringWidth(sep)
	var head strings.Builder
	used := 0
	for i, kb := range rest {
		if !kb.Enabled() {
			continue
		}
		item := h.ShortHelpView([]key.Binding{kb})
		if used > 0 {
			item = sep + item
		}
		w := ansi.StringWidth(item)
		last := !slices.ContainsFunc(rest[i+1:], key.Binding.Enabled)
		reserve := 0
		if !last {
			reserve = 2 // room for " …" should a later item not fit
		}
		if used+w+reserve > avail {
			if used+2 <= avail+ansi.StringWidth(sep) { // the ellipsis stands in for the separator
				head.WriteString(" " + ellipsis)
			}
			break
		}
		head.WriteString(item)
		used += w
	}
	switch {
	case head.Len() == 0:
		return tail
	case tail == "":
		return head.String()
	case strings.HasSuffix(head.String(), ellipsis): // cut short: the ellipsis separates
		return head.String() + " " + tail
	}
	return head.String() + sep + tail
}
