package ui

import "charm.land/bubbles/v2/key"

// KeyMap lists the screen's key bindings. It implements help.KeyMap, so the
// help line and the full help (toggled with ?) are drawn from it.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Refresh, Abort, Dispose, SignOut, Burst key.Binding
	Remove, Copy, Sort, Reverse, ClearCache key.Binding
	NextProblem, Describe                   key.Binding
	Fault, New                              key.Binding
	Pause, Faster, Slower                   key.Binding
	Filter, Focus, Help, Quit               key.Binding
}

// DefaultKeyMap returns the standard bindings.
func DefaultKeyMap() KeyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return KeyMap{
		Up:       b([]string{"up", "k"}, "↑/k", "up"),
		Down:     b([]string{"down", "j"}, "↓/j", "down"),
		PageUp:   b([]string{"pgup"}, "pgup", "page up"),
		PageDown: b([]string{"pgdown"}, "pgdn", "page down"),
		Top:      b([]string{"home", "g"}, "g/home", "first"),
		Bottom:   b([]string{"end", "G"}, "G/end", "last"),
		Refresh:  b([]string{"r"}, "r", "refresh"),
		Abort:    b([]string{"a"}, "a", "abort"),
		Dispose:  b([]string{"d"}, "d", "dispose"),
		SignOut:  b([]string{"s"}, "s", "sign out"),
		Burst:    b([]string{"b"}, "b", "burst"),
		Remove:   b([]string{"x"}, "x", "remove disposed"),
		Copy:     b([]string{"c"}, "c", "copy token"),
		Sort:     b([]string{"o"}, "o", "sort"),
		Reverse:  b([]string{"O"}, "O", "reverse sort"),
		// e for "error": the next session failing or needing attention.
		NextProblem: b([]string{"e"}, "e", "next failing"),
		Describe:    b([]string{"enter"}, "enter", "describe"),
		ClearCache:  b([]string{"C"}, "C", "clear token cache"),
		Fault:       b([]string{"f"}, "f", "fault"),
		New:         b([]string{"n"}, "n", "new"),
		Pause:       b([]string{"p"}, "p", "pause"),
		Faster:      b([]string{"+", "="}, "+", "faster"),
		Slower:      b([]string{"-", "_"}, "-", "slower"),
		Filter:      b([]string{"/"}, "/", "filter"),
		Focus:       b([]string{"tab"}, "tab", "focus"),
		Help:        b([]string{"?"}, "?", "help"),
		Quit:        b([]string{"q", "ctrl+c"}, "q", "quit"),
	}
}

// shortHelpKept are the short help's keys that are never cut off: the way
// to more help and the way out.
func (k KeyMap) shortHelpKept() []key.Binding { return []key.Binding{k.Help, k.Quit} }

// shortHelpRest are the short help's other keys, cut from the end when the
// line is too narrow.
func (k KeyMap) shortHelpRest() []key.Binding {
	// Copy (only there with --show-secrets) comes early, so the narrow
	// screen that wraps the token still offers the key that copies it.
	return []key.Binding{k.Up, k.Down, k.Copy, k.Refresh, k.Abort, k.Dispose, k.SignOut, k.Burst,
		k.Describe, k.Fault, k.New, k.Pause, k.Faster, k.Slower, k.Filter, k.Focus}
}

// faultMenuHelp is the help line while the fault menu is open.
func faultMenuHelp() (rest, kept []key.Binding) {
	b := func(k, desc string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc)) }
	return []key.Binding{b("↑/↓", "choose"), b("enter/1-9", "inject")},
		[]key.Binding{b("esc", "cancel")}
}

// formHelp is the help line while the new-session form is open.
func formHelp() (rest, kept []key.Binding) {
	b := func(k, desc string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc)) }
	return []key.Binding{b("tab/↑/↓", "field"), b("←/→/space", "change"), b("y/n", "yes/no"), b("enter", "create")},
		[]key.Binding{b("esc", "cancel")}
}

// logKeysHelp is the help line while the event log has focus.
func (k KeyMap) logKeysHelp() (rest, kept []key.Binding) {
	b := func(k, desc string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc)) }
	return []key.Binding{b("↑/↓", "scroll"), b("pgup/pgdn", "page"), b("g/G", "top/follow"), b("/", "search"),
			b("tab", "table"), k.Copy},
		k.shortHelpKept()
}

// ShortHelp is the one-line help.
func (k KeyMap) ShortHelp() []key.Binding {
	return append(k.shortHelpRest(), k.shortHelpKept()...)
}

// FullHelp is the help page shown after ?, grouped by what the keys act on:
// three columns of nine, which fit 80 columns beside the page's legend.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Filter, k.Focus, k.Describe},
		{k.Refresh, k.Abort, k.Dispose, k.SignOut, k.Burst, k.Remove, k.Fault, k.New, k.Copy},
		{k.NextProblem, k.Sort, k.Reverse, k.ClearCache, k.Pause, k.Faster, k.Slower, k.Help, k.Quit},
	}
}
