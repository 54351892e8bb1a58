package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"tokentop/scenario"
)

// formField indexes the new-session form's fields.
type formField int

const (
	fieldIdentity formField = iota
	fieldScopes
	fieldPolicy
	fieldProactive
	fieldStatic
	fieldLifetime
	fieldCallers
	fieldInterval
	fieldCount
)

// The form's defaults are what a blank field means, and what it shows:
// those of every declared session (scenario.NewSpec).
const (
	defaultFormLifetime = scenario.DefaultLifetime
	defaultFormCallers  = scenario.DefaultCallers
	defaultFormInterval = scenario.DefaultCallInterval
)

// Ranges the form accepts: a lifetime's is scenario's, as --session's is. A
// caller more often than once a second would flood the issuer at any time
// warp.
const (
	minFormLifetime = scenario.MinLifetime
	maxFormLifetime = scenario.MaxLifetime
	minFormInterval = time.Second
	maxFormInterval = 24 * time.Hour
)

// sessionForm is the new-session form: identity, scopes, policy, proactive
// refresh or a static token, token lifetime, and the simulated callers.
type sessionForm struct {
	Identity, Scopes, Lifetime textField
	Callers, Interval          textField
	Policies                   []string
	Policy                     int
	Proactive, Static          bool
	Focus                      formField
	Err                        string
}

// newSessionForm returns a form with its defaults filled in.
func newSessionForm(policies []string) sessionForm {
	return sessionForm{
		Scopes:    textField{Value: strings.Join(scenario.DefaultScopes(), " ")},
		Lifetime:  textField{Value: shortDuration(defaultFormLifetime)},
		Callers:   textField{Value: strconv.Itoa(defaultFormCallers), Limit: 6},
		Interval:  textField{Value: shortDuration(defaultFormInterval)},
		Policies:  policies,
		Proactive: scenario.DefaultProactive,
	}
}

// Key handles a key while the form is open. It reports done when the user
// submitted (valid is then the spec) or cancelled.
func (f *sessionForm) Key(msg tea.KeyPressMsg) (spec newSession, submitted, cancelled bool) {
	switch msg.String() {
	case "esc":
		return newSession{}, false, true
	case "enter":
		s, err := f.Spec()
		if err != nil {
			f.Err = err.Error()
			return newSession{}, false, false
		}
		return s, true, false
	case "tab", "down":
		f.Focus = (f.Focus + 1) % fieldCount
		return
	case "shift+tab", "up":
		f.Focus = (f.Focus + fieldCount - 1) % fieldCount
		return
	}
	switch f.Focus {
	case fieldIdentity:
		f.Identity.Edit(msg)
	case fieldScopes:
		f.Scopes.Edit(msg)
	case fieldLifetime:
		f.Lifetime.Edit(msg)
	case fieldCallers:
		f.Callers.Edit(msg)
	case fieldInterval:
		f.Interval.Edit(msg)
	case fieldPolicy:
		if n := len(f.Policies); n > 0 {
			switch msg.String() {
			case "left", "h":
				f.Policy = (f.Policy + n - 1) % n
			case "right", "l", "space":
				f.Policy = (f.Policy + 1) % n
			}
		}
	case fieldProactive:
		toggle(&f.Proactive, msg)
	case fieldStatic:
		toggle(&f.Static, msg)
	}
	f.Err = ""
	return
}

// toggle flips a yes/no field: space and the arrows flip it, y and n set it.
func toggle(v *bool, msg tea.KeyPressMsg) {
	switch msg.String() {
	case "space", "left", "right", "h", "l":
		*v = !*v
	case "y":
		*v = true
	case "n":
		*v = false
	}
}

// Spec validates the form and returns the session it describes. A blank
// lifetime, callers or interval field means its default, the value the
// field starts with.
func (f sessionForm) Spec() (newSession, error) {
	id := strings.TrimSpace(f.Identity.Value)
	if id == "" {
		return newSession{}, errors.New("identity is empty: type the user the session gets tokens for")
	}
	if len(id) > scenario.MaxNameLen {
		return newSession{}, fmt.Errorf("identity is %d bytes long, over the limit of %d bytes: type a shorter one", len(id), scenario.MaxNameLen)
	}
	lifetime, err := formDuration("lifetime", f.Lifetime.Value, defaultFormLifetime, minFormLifetime, maxFormLifetime)
	if err != nil {
		return newSession{}, err
	}
	callers := defaultFormCallers
	if v := strings.TrimSpace(f.Callers.Value); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > scenario.MaxCallers {
			return newSession{}, fmt.Errorf("callers %q: type a whole number from 0 to %d", v, scenario.MaxCallers)
		}
		callers = n
	}
	interval, err := formDuration("interval", f.Interval.Value, defaultFormInterval, minFormInterval, maxFormInterval)
	if err != nil {
		return newSession{}, err
	}
	policy := ""
	if f.Policy >= 0 && f.Policy < len(f.Policies) {
		policy = f.Policies[f.Policy]
	}
	return newSession{
		Identity: id, Scopes: strings.Fields(f.Scopes.Value), Policy: policy,
		Proactive: f.Proactive && !f.Static, Static: f.Static, Lifetime: lifetime,
		Callers: callers, Interval: interval,
	}, nil
}

// formDuration reads a duration field: blank means def, and the value must
// lie in [lo, hi].
func formDuration(field, v string, def, lo, hi time.Duration) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a duration: type one such as %s", field, v, shortDuration(def))
	}
	if err := scenario.CheckRange(field, v, d, lo, hi); err != nil {
		return 0, err
	}
	return d, nil
}

// shortDuration writes a duration without its zero parts: "60m", "1s", "8784h".
func shortDuration(d time.Duration) string { return scenario.ShortDuration(d) }

// Lines is how many lines the form draws: a title, the fields and the error.
func (f sessionForm) Lines() int { return 1 + int(fieldCount) + 1 }

// Render draws the form in width x height cells.
func (f sessionForm) Render(width, height int, s Styles) string {
	const labelW = 12
	fieldW := max(width-labelW-4, 8)
	row := func(field formField, label, value string) string {
		marker := "  "
		l := s.Muted.Render(padRight(label, labelW))
		if f.Focus == field {
			marker = s.Focused.Render("> ")
			l = s.Focused.Render(padRight(label, labelW))
		}
		return " " + marker + l + value
	}
	text := func(field formField, v textField, hint string) string {
		if strings.TrimSpace(v.Value) == "" { // blank: say what it means
			cursor := ""
			if f.Focus == field {
				cursor = "▏"
			}
			return cursor + s.Muted.Render(hint)
		}
		return v.Render(fieldW, f.Focus == field)
	}
	policy := "-"
	if f.Policy >= 0 && f.Policy < len(f.Policies) {
		policy = "‹ " + f.Policies[f.Policy] + " ›"
	}
	yesNo := func(v bool, yes string) string {
		if v {
			return "[x] yes" + s.Muted.Render(yes)
		}
		return "[ ] no"
	}
	proactive := yesNo(f.Proactive, "")
	if f.Static {
		proactive = s.Muted.Render("-   a static session never refreshes")
	}
	lines := []string{
		" " + s.Prompt.Render("New session"),
		row(fieldIdentity, "identity", f.Identity.Render(fieldW, f.Focus == fieldIdentity)),
		row(fieldScopes, "scopes", f.Scopes.Render(fieldW, f.Focus == fieldScopes)),
		row(fieldPolicy, "policy", policy),
		row(fieldProactive, "proactive", proactive),
		row(fieldStatic, "static", yesNo(f.Static, "  one token, issued now, never refreshed")),
		row(fieldLifetime, "lifetime", text(fieldLifetime, f.Lifetime,
			"blank: "+shortDuration(defaultFormLifetime)+" ("+shortDuration(minFormLifetime)+" to "+shortDuration(maxFormLifetime)+")")),
		row(fieldCallers, "callers", text(fieldCallers, f.Callers, "blank: "+strconv.Itoa(defaultFormCallers))),
		row(fieldInterval, "every", text(fieldInterval, f.Interval, "blank: "+shortDuration(defaultFormInterval))),
	}
	if f.Err != "" {
		lines = append(lines, "   "+s.Warning.Render(f.Err))
	}
	return fitBlock(lines, width, height)
}
