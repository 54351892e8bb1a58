package ui

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// describeView is the full-screen description of the selected session
// (enter): what the table and the detail show, every header field and claim
// of its token, and its whole kept log, scrolled as one page. w saves the
// log to a file.
type describeView struct {
	view    viewport.Model
	content string // what view holds, to set it only when it changes
	// saving is set while the file name is typed; path holds it.
	saving bool
	path   textField
	// overwrite is a file that exists, waiting for y to be replaced.
	overwrite string
}

// maxSavedLog bounds a saved log file. A session keeps a bounded log, but
// its lines (errors, mostly) are not.
const maxSavedLog = 4 << 20

// savedMsg reports a save of the log: where, or why not; exists says the
// file was there and nothing was written.
type savedMsg struct {
	path   string
	err    error
	exists bool
}

// openDescribe shows the selected session's description.
func (m Model) openDescribe() (tea.Model, tea.Cmd) {
	if _, ok := m.selectedView(); !ok {
		m.status = "no session selected to describe"
		return m, nil
	}
	m.mode = modeDescribe
	m.describe = describeView{view: viewport.New()}
	m.describe.view.SoftWrap = false
	m.syncDescribe()
	return m, nil
}

// syncDescribe sizes the description to the window and refills it when
// the session changed; the scroll position stays.
func (m *Model) syncDescribe() {
	v := &m.describe.view
	v.SetWidth(m.width)
	v.SetHeight(max(m.height-len(m.headerLines())-3, 1))
	if c := m.describeText(); c != m.describe.content {
		m.describe.content = c
		v.SetContent(c)
	}
}

// describeText writes the selected session's description, wrapped to the
// width.
func (m Model) describeText() string {
	sv, ok := m.selectedView()
	if !ok {
		return ""
	}
	s := m.styles
	var lines []string
	add := func(k, v string) { // long values (a claim can be) wrap under themselves
		if w := cellWidth(k); w < 12 {
			k += strings.Repeat(" ", 12-w)
		}
		indent := strings.Repeat(" ", 2+cellWidth(k))
		v = strings.ReplaceAll(ansi.Hardwrap(v, max(m.width-len(indent), 8), true), "\n", "\n"+indent)
		lines = append(lines, " "+s.ClaimKey.Render(k)+" "+v)
	}
	title := func(t string) { lines = append(lines, "", " "+s.HeaderValue.Render(t)) }
	lines = append(lines, " "+s.HeaderValue.Render("session "+sv.Name))
	add("identity", sv.Identity)
	add("policy", sv.Policy)
	add("state", sv.State.String())
	if !sv.ExpiresOn.IsZero() && !sv.State.ended() {
		add("expires", clockText(sv.ExpiresOn, m.frame.Start)+" ("+relative(sv.ExpiresOn, m.frame.Now)+")")
	}
	add("refreshes", thousands(sv.Refreshes)+" ok, "+thousands(sv.Failures)+" failed, last "+latency(sv.LastLatency))
	if sv.ResourceAccepted+sv.ResourceRefused > 0 {
		add("resource", thousands(sv.ResourceAccepted)+" accepted, "+thousands(sv.ResourceRefused)+" refused")
	}
	var d *sessionDetail
	if fd := m.frame.Detail; fd != nil && fd.Name == sv.Name {
		d = fd
	}
	title("token")
	switch {
	case m.tokenOf != sv.Name:
		lines = append(lines, " "+s.Muted.Render("reading…"))
	case m.tokenRaw == "":
		lines = append(lines, " "+s.Muted.Render("no token"))
	default:
		add("fingerprint", m.token.Fingerprint+" (the token itself is never shown here)")
		if d != nil && d.Source != "" {
			add("from", d.Source)
		}
		if !m.token.Decoded {
			add("decoded", "no ("+m.token.DecodeErr+")")
		}
		for _, c := range m.token.All {
			k, v, _ := strings.Cut(c, "  ")
			add(k, v)
		}
		add("signature", "<redacted>")
	}
	title("log")
	if d == nil || len(d.Log) == 0 {
		lines = append(lines, " "+s.Muted.Render("no events yet"))
	} else {
		const indent = "                         " // " 2006-01-02 15:04:05.000  "
		w := max(m.width-len(indent), 8)
		for _, l := range d.Log {
			text := strings.ReplaceAll(ansi.Wrap(l.Text, w, ""), "\n", "\n"+indent)
			lines = append(lines, " "+s.EventTime.Render(l.At.Format(logTimeLayout))+"  "+text)
		}
	}
	return strings.Join(lines, "\n")
}

// logTimeLayout dates a saved or described log line to the millisecond.
const logTimeLayout = "2006-01-02 15:04:05.000"

// describeKey handles a key in the description: scrolling, w to save the
// log (typing its file name, then y to replace a file that exists), esc
// to leave.
func (m Model) describeKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	dv := &m.describe
	switch {
	case dv.overwrite != "":
		path := dv.overwrite
		dv.overwrite = ""
		if strings.ToLower(msg.String()) == "y" {
			return m, saveLogCmd(path, m.logFile(), true)
		}
		m.status = "not saved: " + path + " is left as it was"
		return m, nil
	case dv.saving:
		switch msg.String() {
		case "esc":
			dv.saving = false
			m.status = "save cancelled"
		case "enter":
			dv.saving = false
			path := strings.TrimSpace(dv.path.Value)
			if path == "" {
				path = defaultLogFile(m.selected)
			}
			return m, saveLogCmd(path, m.logFile(), false)
		default:
			dv.path.Edit(msg)
		}
		return m, nil
	}
	k := m.keys
	switch {
	case msg.String() == "esc", key.Matches(msg, k.Quit), key.Matches(msg, k.Describe):
		m.mode = modeNormal
		m.describe = describeView{}
	case msg.String() == "w":
		dv.saving = true
		dv.path = textField{Value: defaultLogFile(m.selected), Limit: 1024}
	case key.Matches(msg, k.Up):
		dv.view.ScrollUp(1)
	case key.Matches(msg, k.Down):
		dv.view.ScrollDown(1)
	case key.Matches(msg, k.PageUp):
		dv.view.PageUp()
	case key.Matches(msg, k.PageDown):
		dv.view.PageDown()
	case key.Matches(msg, k.Top):
		dv.view.GotoTop()
	case key.Matches(msg, k.Bottom):
		dv.view.GotoBottom()
	}
	return m, nil
}

// applySaved reports a save: where the log went, or asks before replacing
// a file that exists.
func (m Model) applySaved(msg savedMsg) (tea.Model, tea.Cmd) {
	switch {
	case msg.exists && m.mode == modeDescribe:
		m.describe.overwrite = msg.path
	case msg.exists:
		m.status = m.styles.Warning.Render("not saved: " + msg.path + " exists")
	case msg.err != nil:
		m.status = m.styles.Warning.Render("save the log failed: " + msg.err.Error())
	default:
		m.status = "log of " + m.selected + " saved to " + msg.path
	}
	return m, nil
}

// defaultLogFile is the file name w offers, in the current directory.
func defaultLogFile(session string) string {
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == os.PathSeparator || r < ' ' {
			return '_'
		}
		return r
	}, session)
	return "tokentop-" + name + ".log"
}

// logFile is the saved log of the selected session: a line naming it, then
// every kept event with its date, cut at maxSavedLog. It holds no token.
func (m Model) logFile() string {
	var b strings.Builder
	sv, ok := m.selectedView()
	if !ok {
		return ""
	}
	b.WriteString("# tokentop: event log of session " + sv.Name + " (identity " + sv.Identity + ", policy " + sv.Policy + ")\n")
	if d := m.frame.Detail; d != nil && d.Name == sv.Name {
		for _, l := range d.Log {
			line := l.At.Format(logTimeLayout) + "  " + l.Text + "\n"
			if b.Len()+len(line) > maxSavedLog {
				b.WriteString("# cut here: the log is longer than " + itoa(maxSavedLog>>20) + " MiB\n")
				break
			}
			b.WriteString(line)
		}
	}
	return b.String()
}

// saveLogCmd writes content to path off the event loop: a new file only,
// unless overwrite (the user said y to replacing it). A file that exists is
// reported, not touched.
func saveLogCmd(path, content string, overwrite bool) tea.Cmd {
	return func() tea.Msg {
		flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
		if overwrite {
			flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		}
		f, err := os.OpenFile(filepath.Clean(path), flags, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return savedMsg{path: path, exists: true}
		}
		if err != nil {
			return savedMsg{path: path, err: err}
		}
		_, err = f.WriteString(content)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return savedMsg{path: path, err: err}
	}
}

// renderDescribe draws the description: the header, the session's page,
// and its keys or the save prompt.
func (m Model) renderDescribe() string {
	var b strings.Builder
	head := m.headerLines()
	for _, h := range head {
		b.WriteString(h + "\n")
	}
	dv := m.describe
	label := "describe " + m.selected + " " + m.styles.Muted.Render(itoa(int(dv.view.ScrollPercent()*100))+"%")
	b.WriteString(m.rule(label) + "\n")
	b.WriteString(fitBlock(strings.Split(dv.view.View(), "\n"), m.width, max(m.height-len(head)-3, 0)) + "\n")
	b.WriteString(m.rule(m.statusLabel()) + "\n")
	bind := func(k, desc string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc)) }
	switch {
	case dv.overwrite != "":
		q := confirmPrompt{Kind: confirmOverwrite, Target: dv.overwrite}
		b.WriteString(padRight(q.Render(m.width, m.styles), m.width))
	case dv.saving:
		b.WriteString(m.promptLine("save the log to:", "file:", dv.path, "enter save · esc cancel"))
	default:
		b.WriteString(padRight(" "+m.shortHelp(
			[]key.Binding{bind("↑/↓", "scroll"), bind("pgup/pgdn", "page"), bind("g/G", "top/end"), bind("w", "save the log")},
			[]key.Binding{bind("esc", "back")}), m.width))
	}
	return b.String()
}
