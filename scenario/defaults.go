package scenario

import (
	"fmt"
	"strconv"
	"time"

	"tokentop/credential"
	"tokentop/issuer"
)

// What a session gets for a setting left out, however it is declared (a
// scenario file, --session, the screen's new-session form n): one caller,
// proactive refresh unless static, 1h tokens and the scopes DefaultScopes.
// NewSpec starts a spec from them. Until issue 23 a scenario file's session
// got none of these (no callers, on demand, the issuer's lifetime and
// scopes), so {"name": "a"} did nothing for hours.
const (
	DefaultCallers   = 1
	DefaultLifetime  = time.Hour
	DefaultProactive = true
)

// What a zero field of a Spec means when the session is played, whatever
// declared it (a scenario file, --session, the screen's form, code):
// WithDefaults fills these in.
const (
	DefaultPolicy        = "tokentop"
	DefaultCallInterval  = time.Minute
	DefaultTeamsClientID = "tokentop"
	DefaultUpstreamLife  = time.Hour
	DefaultRenewalOffset = 5 * time.Minute
)

// The token lifetimes a session declared by hand (--session, the screen's
// form) may ask for. A lifetime under a minute gives tokens that expire
// before a refresh can use them (the fake mints whole seconds), and the
// fake refuses one over issuer.MaxLifetime on every call: either would
// leave the session failing for ever.
const (
	MinLifetime = time.Minute
	MaxLifetime = issuer.MaxLifetime
)

// DefaultScopes returns the scopes a session asks for unless it names some.
func DefaultScopes() []string { return []string{"chat", "voip"} }

// NewSpec returns the spec a declared session starts from: the defaults
// above, the rest zero (so WithDefaults still applies).
func NewSpec() Spec {
	return Spec{Callers: DefaultCallers, Lifetime: DefaultLifetime, Proactive: DefaultProactive, Scopes: DefaultScopes()}
}

// CheckRange refuses d, written as written, outside [lo, hi], saying so as
// the screen's form and --session do: "lifetime 9000h is out of range: use
// 1m to 8784h (366 days)".
func CheckRange(field, written string, d, lo, hi time.Duration) error {
	if d >= lo && d <= hi {
		return nil
	}
	upTo := ShortDuration(hi)
	if hi >= 48*time.Hour {
		upTo += fmt.Sprintf(" (%d days)", hi/(24*time.Hour))
	}
	return fmt.Errorf("%s %s is out of range: use %s to %s", field, written, ShortDuration(lo), upTo)
}

// ShortDuration writes a duration without its zero parts: "60m", "1s",
// "8784h".
func ShortDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0 && d >= 2*time.Hour:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0 && d >= time.Minute:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// WithDefaults returns the spec with what its zero fields mean filled in
// (the Default values above) and its policy named as credential names it
// ("JS" is "js").
func (s Spec) WithDefaults() Spec {
	if p, err := credential.PolicyByName(s.Policy); err == nil {
		s.Policy = p.Name // "" is DefaultPolicy's name
	}
	if s.CallInterval == 0 {
		s.CallInterval = DefaultCallInterval
	}
	if s.Teams != nil {
		t := *s.Teams
		if t.ClientID == "" {
			t.ClientID = DefaultTeamsClientID
		}
		if t.UpstreamLifetime == 0 {
			t.UpstreamLifetime = DefaultUpstreamLife
		}
		if t.RenewalOffset == 0 {
			t.RenewalOffset = DefaultRenewalOffset
		}
		s.Teams = &t
	}
	return s
}
