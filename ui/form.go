package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
)

// formField indexes the new-session form's fields.
type formField int

const (
	fieldIdentity formField = iota
	fieldScopes
	fieldPolicy
	fieldProactive
	fieldLifetime
	fieldCount
)

// sessionForm is the new-session form: identity, scopes, policy, proactive
// refresh and token lifetime.
type sessionForm struct {
	Identity, Scopes, Lifetime textField
	Policies                   []string
	Policy                     int
	Proactive                  bool
	Focus                      formField
	Err                        string
}

// newSessionForm returns a form with sensible defaults.
func newSessionForm(policies []string) sessionForm {
	return sessionForm{
		Scopes:    textField{Value: "chat voip"},
		Lifetime:  textField{Value: "60m"},
		Policies:  policies,
		Proactive: true,
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
		switch msg.String() {
		case "space", "left", "right", "h", "l":
			f.Proactive = !f.Proactive
		case "y":
			f.Proactive = true
		case "n":
			f.Proactive = false
		}
	}
	f.Err = ""
	return
}

// Spec validates the form and returns the session it describes.
func (f sessionForm) Spec() (newSession, error) {
	id := strings.TrimSpace(f.Identity.Value)
	if id == "" {
		return newSession{}, errors.New("identity is empty: type the user the session gets tokens for")
	}
	var lifetime time.Duration
	if v := strings.TrimSpace(f.Lifetime.Value); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return newSession{}, fmt.Errorf("lifetime %q is not a positive duration: try 60m or 24h", v)
		}
		lifetime = d
	}
	policy := ""
	if f.Policy >= 0 && f.Policy < len(f.Policies) {
		policy = f.Policies[f.Policy]
	}
	return newSession{
		Identity: id, Scopes: strings.Fields(f.Scopes.Value), Policy: policy,
		Proactive: f.Proactive, Lifetime: lifetime,
	}, nil
}

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
	policy := "-"
	if f.Policy >= 0 && f.Policy < len(f.Policies) {
		policy = "‹ " + f.Policies[f.Policy] + " ›"
	}
	proactive := "[ ] no"
	if f.Proactive {
		proactive = "[x] yes"
	}
	lines := []string{
		" " + s.Prompt.Render("New session"),
		row(fieldIdentity, "identity", f.Identity.Render(fieldW, f.Focus == fieldIdentity)),
		row(fieldScopes, "scopes", f.Scopes.Render(fieldW, f.Focus == fieldScopes)),
		row(fieldPolicy, "policy", policy),
		row(fieldProactive, "proactive", proactive),
		row(fieldLifetime, "lifetime", f.Lifetime.Render(fieldW, f.Focus == fieldLifetime)),
	}
	if f.Err != "" {
		lines = append(lines, "   "+s.Warning.Render(f.Err))
	}
	return fitBlock(lines, width, height)
}
