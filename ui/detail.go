package ui

import (
	"strings"

	"tokentop/issuer"

	"github.com/charmbracelet/x/ansi"
)

// detailHeadLines is how many lines the detail pane draws above its event log.
const detailHeadLines = 5

// selectedView returns the selected session's row, if any.
func (m Model) selectedView() (*sessionView, bool) {
	if m.cursor < 0 || m.cursor >= len(m.visible) {
		return nil, false
	}
	return &m.frame.Sessions[m.visible[m.cursor]], true
}

// detail draws the pane for the selected session in width x height cells:
// badges and decoded claims, the timeline lane, then the event log.
func (m Model) detail(height int) string {
	sv, ok := m.selectedView()
	if !ok {
		return fitBlock([]string{m.styles.Muted.Render(" no session selected")}, m.width, height)
	}
	var d *sessionDetail
	if m.frame.Detail != nil && m.frame.Detail.Name == sv.Name {
		d = m.frame.Detail
	}
	lines := make([]string, 0, height)
	if m.tokenOf == sv.Name {
		// The badges wrap rather than lose the last (the resource count that
		// proves a revocation); the claims give way first.
		lines = append(lines, flow(m.detailBadges(), m.width, 2)...)
		lines = append(lines, m.detailTimes(), m.detailClaims())
		lines = lines[:3]
	} else { // the selection moved and its detail is on its way: never show another session's claims
		lines = append(lines, m.styles.Muted.Render(" reading "+sv.Name+"…"), "", "")
	}
	lane := timelineLane{Now: m.frame.Now, Span: m.opts.Timeline, Virtual: m.virtual}
	if d != nil {
		lane.Valid, lane.Marks = d.Valid, d.Marks
	}
	label := " last " + spanLabel(m.opts.Timeline) + " "
	laneW := max(m.width-ansi.StringWidth(label)-5, 1)
	lines = append(lines,
		m.styles.Muted.Render(label)+lane.Render(laneW, m.styles)+m.styles.Muted.Render(" now"),
		strings.Repeat(" ", ansi.StringWidth(label))+m.styles.Muted.Render(lane.Recent(laneW)),
	)
	head := fitBlock(lines, m.width, min(height, detailHeadLines))
	if height <= detailHeadLines {
		return head
	}
	return head + "\n" + fitBlock(strings.Split(m.logView.View(), "\n"), m.width, height-detailHeadLines)
}

// detailBadges are the first line's segments: the token's fingerprint and
// the badges (decoded, signature, time, where it came from, the resource
// checks), each spelled out in words.
func (m Model) detailBadges() []string {
	s, t := m.styles, m.token
	badge := func(ok bool, neutral bool, text string) string {
		switch {
		case neutral:
			return s.BadgeNeutral.Render(text)
		case ok:
			return s.BadgeOK.Render(text)
		default:
			return s.BadgeBad.Render(text)
		}
	}
	decoded := badge(t.Decoded, false, "decoded: ok")
	if !t.Decoded {
		decoded = badge(false, false, "decoded: no ("+t.DecodeErr+")")
	}
	sig := badge(false, true, "signature: not checked")
	if err, checked := m.verified[t.Fingerprint]; checked && m.opts.VerifySignature != nil {
		if err == nil {
			what := "signature: verified"
			if t.Alg != "" {
				what += " (" + t.Alg + ")"
			}
			sig = badge(true, false, what)
		} else {
			sig = badge(false, false, "signature: INVALID")
		}
	}
	if d := m.frame.Detail; m.opts.VerifySignature == nil && d != nil && d.Name == m.tokenOf && d.Signature.State != "" {
		// The issuer adapter checked it (a JWKS): say what it found.
		v := d.Signature
		what := "signature: " + string(v.State)
		if v.State == issuer.SignatureVerified && v.Alg != "" {
			what += " (" + v.Alg + ")"
		} else if v.Why != "" {
			what += " (" + v.Why + ")"
		}
		sig = badge(v.State == issuer.SignatureVerified, v.State == issuer.SignatureNotChecked, what)
	}
	timeBadge := badge(true, false, "time: valid")
	if !t.TimeValid(m.frame.Now) {
		timeBadge = badge(false, false, "time: not valid")
		if t.Decoded && !t.ExpiresAt.IsZero() && !m.frame.Now.Before(t.ExpiresAt) {
			timeBadge = badge(false, false, "time: expired")
		}
	}
	var ended string // a sign-out: the token is refused whatever its times say
	revoked := false
	if d := m.frame.Detail; d != nil && d.Name == m.tokenOf {
		revoked = d.Revoked
		switch {
		case d.Revoked:
			timeBadge = badge(false, false, "revoked (signed out)")
		case d.SignedOut:
			ended = badge(false, false, "signed out")
		}
	}
	if sv, ok := m.selectedView(); ok && sv.State.ended() && !revoked {
		// The session serves this token no more: its times say nothing about it.
		why := sv.State.String()
		if ended != "" { // the issuer did not revoke it: a copy of it still works until exp
			why += ", not revoked"
		}
		timeBadge, ended = badge(false, true, "token no longer used ("+why+")"), ""
	}
	var source string // where the token came from: "from cache" after a restart
	if d := m.frame.Detail; d != nil && d.Name == m.tokenOf && d.Source != "" {
		source = badge(false, true, "from "+d.Source)
	}
	if m.tokenRaw == "" {
		decoded, sig, timeBadge, ended, source = s.Muted.Render("no token"), "", "", "", ""
	}
	return nonEmpty(s.Muted.Render(t.Fingerprint), decoded, sig, timeBadge, ended, source, m.resourceBadge())
}

// resourceBadge counts the resource checks (the fake's /api/me) of the
// tokens the selected session's callers got: refusals mean callers held a
// token the resource no longer took. Empty when there were none.
func (m Model) resourceBadge() string {
	sv, ok := m.selectedView()
	if !ok || sv.ResourceAccepted+sv.ResourceRefused == 0 {
		return ""
	}
	s := m.styles
	text := "resource: " + thousands(sv.ResourceAccepted) + " accepted, "
	if sv.ResourceRefused > 0 {
		return s.Muted.Render(text) + s.Warning.Render(thousands(sv.ResourceRefused)+" refused")
	}
	return s.Muted.Render(text + "0 refused")
}

// detailTimes is the second line: iat, nbf and exp as absolute and relative times.
func (m Model) detailTimes() string {
	s, t, now := m.styles, m.token, m.frame.Now
	if !t.Decoded {
		return ""
	}
	var parts []string
	add := func(k string, v string) { parts = append(parts, s.ClaimKey.Render(k)+" "+v) }
	if !t.IssuedAt.IsZero() {
		add("iat", t.IssuedAt.Format("15:04:05")+" ("+relative(t.IssuedAt, now)+")")
	}
	if !t.NotBefore.IsZero() && !t.NotBefore.Equal(t.IssuedAt) {
		add("nbf", t.NotBefore.Format("15:04:05")+" ("+relative(t.NotBefore, now)+")")
	}
	if !t.ExpiresAt.IsZero() {
		when := " (" + relative(t.ExpiresAt, now) + ")"
		if sv, ok := m.selectedView(); ok && sv.State.ended() {
			when = "" // a token the session no longer uses: no countdown to it
		}
		add("exp", t.ExpiresAt.Format("2006-01-02 15:04:05")+when)
	}
	if t.Subject != "" {
		add("sub", t.Subject)
	}
	return " " + strings.Join(parts, "  ")
}

// detailClaims is the third line: scopes, issuer, audience, header fields
// and the redacted signature.
func (m Model) detailClaims() string {
	s, t := m.styles, m.token
	if !t.Decoded {
		return ""
	}
	var parts []string
	add := func(k string, v string) {
		if v != "" {
			parts = append(parts, s.ClaimKey.Render(k)+" "+v)
		}
	}
	add("alg", t.Alg)
	add("kid", t.Kid)
	parts = append(parts, s.ClaimKey.Render("signature")+" <redacted>")
	add("scp", strings.Join(t.Scopes, " "))
	add("iss", t.Issuer)
	add("aud", strings.Join(t.Audience, " "))
	for _, o := range t.Other {
		parts = append(parts, s.Muted.Render(o))
	}
	return " " + strings.Join(parts, "  ")
}

func nonEmpty(ss ...string) []string {
	out := ss[:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
