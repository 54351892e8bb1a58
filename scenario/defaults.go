package scenario

import (
	"time"

	"tokentop/credential"
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

// What a session typed by hand (--session, the screen's new-session form n)
// gets for a field left out, where a scenario file's session gets zero: one
// caller (a file's: none), proactive refresh unless static (a file's: on
// demand), 1h tokens (a file's: the issuer's default) and the scopes
// HandScopes (a file's: the issuer's default). HandDefaults starts a spec
// from them. The two sets differ on purpose for now; a later issue may
// make them agree.
const (
	HandCallers   = 1
	HandLifetime  = time.Hour
	HandProactive = true
)

// HandScopes returns the scopes a session typed by hand asks for.
func HandScopes() []string { return []string{"chat", "voip"} }

// HandDefaults returns the spec a session typed by hand starts from: the
// Hand values above, the rest zero (so WithDefaults still applies).
func HandDefaults() Spec {
	return Spec{Callers: HandCallers, Lifetime: HandLifetime, Proactive: HandProactive, Scopes: HandScopes()}
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
