package ui

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tokentop/credential"
	"tokentop/internal/clock"
	"tokentop/issuer"
	"tokentop/scenario"
	"tokentop/session"
)

// managerBackend adapts a *session.Manager to the screen. It is the only
// file that knows session types; everything else draws frames.
type managerBackend struct {
	m     *session.Manager
	clock clock.Clock

	mu        sync.Mutex
	signedOut map[string]bool     // sessions ended by a sign-out rather than a dispose
	revoked   map[string]bool     // sessions whose identity the issuer revoked
	issued    map[string]issuedAt // per session: when its current token was issued
	windows   map[string]time.Duration
	last      detailCache // the detail built for the previous frame
	removed   totals      // the counters of the sessions x removed: the header shows run totals
	start     time.Time   // when the screen began, for the header's date and the scenario's end
}

// detailCache keeps the selected session's detail while its log and token
// are unchanged, so that an idle screen does not re-read and re-format up to
// a thousand events on every frame.
type detailCache struct {
	name   string
	logged uint64
	token  string
	detail *sessionDetail
}

// issuedAt caches the issue time of a session's current token, read from
// its iat once per token rather than once per frame.
type issuedAt struct {
	token string
	at    time.Time
}

func newManagerBackend(m *session.Manager, c clock.Clock) *managerBackend {
	if c == nil {
		c = m.Clock()
	}
	return &managerBackend{m: m, clock: c, signedOut: map[string]bool{}, revoked: map[string]bool{},
		issued: map[string]issuedAt{}, windows: map[string]time.Duration{}, start: c.Now()}
}

// observe notes what the frames cannot tell: which sessions were signed
// out, and whose tokens were revoked (the events may leave the bounded log).
func (b *managerBackend) observe(e session.Event) {
	if e.Session == "" || (e.Kind != session.KindSignedOut && e.Kind != session.KindRevoked) {
		return
	}
	b.mu.Lock()
	if e.Kind == session.KindRevoked {
		b.revoked[e.Session] = true
	}
	b.signedOut[e.Session] = true
	b.mu.Unlock()
}

// Frame copies every session's snapshot and the detail of one.
func (b *managerBackend) Frame(detail string) frame {
	f := frame{Now: b.clock.Now(), Start: b.start, Speed: 1}
	if tc, ok := b.clock.(TimeControl); ok {
		f.Speed, f.Paused = tc.Speed(), tc.Paused()
	}
	if a, ok := b.clock.(interface{ Achieved() float64 }); ok {
		f.Achieved = a.Achieved()
	}
	sessions := b.m.Sessions()
	f.Sessions = make([]sessionView, 0, len(sessions))
	b.mu.Lock()
	defer b.mu.Unlock()
	f.Totals = b.removed
	for _, s := range sessions {
		snap := s.Snapshot()
		f.Sessions = append(f.Sessions, b.view(snap, f.Now))
		f.Totals.add(snap.Stats)
		if s.Name() == detail {
			if l := b.last; l.detail == nil || l.name != detail || l.logged != snap.Stats.EventsLogged || l.token != snap.Token {
				b.last = detailCache{name: detail, logged: snap.Stats.EventsLogged, token: snap.Token, detail: b.detail(s, snap)}
			}
			f.Detail = b.last.detail
		}
	}
	f.Totals.Sessions = len(sessions)
	f.Run = b.run()
	return f
}

// add counts a session's counters into the totals.
func (t *totals) add(st session.Stats) {
	t.IssuerCalls += int64(st.IssuerCalls)
	t.Failures += int64(st.Failures)
	t.TokensServed += int64(st.GetTokenCalls - min(st.GetTokenErrors, st.GetTokenCalls))
	t.EventsNotKept += int64(st.EventsOlder)
}

// view turns a snapshot into a table row. b.mu is held.
func (b *managerBackend) view(snap session.Snapshot, now time.Time) sessionView {
	cs := snap.Credential
	sv := sessionView{
		Name: snap.Spec.Name, Identity: snap.Spec.Identity, Policy: snap.Spec.PolicyLabel(),
		Waiters: cs.Waiters, NextAt: cs.NextRefreshAt, ExpiresOn: snap.ExpiresOn,
		Refreshes: int64(snap.Stats.Successes), Failures: int64(snap.Stats.Failures),
		LastLatency: snap.Stats.LastLatency, Static: snap.Spec.Static, HasToken: snap.Token != "",
		InFlight:         cs.InFlight,
		ResourceAccepted: int64(snap.Stats.ResourceAccepted), ResourceRefused: int64(snap.Stats.ResourceRefused),
	}
	if !snap.Spec.Static {
		sv.Window = b.window(snap.Spec.Policy)
	}
	var ra credential.RetryAfterError
	sv.RetryAfter = errors.As(cs.LastErr, &ra) && ra.RetryDelay() > 0 && cs.NextRefreshAt.After(now)
	if snap.Token != "" {
		sv.IssuedAt = b.issuedAt(snap.Spec.Name, snap.Token, cs.LastSuccessAt, now)
	}
	switch cs.Phase {
	case credential.PhaseIdle:
		sv.State = stateStarting
	case credential.PhaseValid:
		sv.State = stateValid
		if sv.Window > 0 && !sv.ExpiresOn.IsZero() && sv.ExpiresOn.Sub(now) <= sv.Window {
			sv.State = stateInWindow
		}
	case credential.PhaseRefreshing:
		sv.State = stateRefreshing
	case credential.PhaseRetrying:
		sv.State = stateRetrying
	case credential.PhaseExpired:
		sv.State = stateExpired
	case credential.PhaseAborted:
		sv.State = stateAborted
	case credential.PhaseFailed:
		sv.State = stateFailed
		if snap.Token != "" && snap.ExpiresOn.After(now) { // callers are still served
			sv.State = stateValidFailed
		}
	case credential.PhaseDisposed:
		sv.State = stateDisposed
	case credential.PhaseAttention:
		sv.State = stateAttention
	}
	if snap.Disposed {
		sv.State = stateDisposed
		if b.signedOut[sv.Name] {
			sv.State = stateSignedOut
		}
	}
	return sv
}

// window is the policy's refresh window, cached by name. b.mu is held.
func (b *managerBackend) window(policy string) time.Duration {
	if w, ok := b.windows[policy]; ok {
		return w
	}
	var w time.Duration
	if p, err := credential.PolicyByName(policy); err == nil {
		w = p.ExpiringSoonWindow
	}
	b.windows[policy] = w
	return w
}

// issuedAt is when the current token was issued: its iat claim, else the
// last successful refresh, else when the screen first saw it. b.mu is held.
func (b *managerBackend) issuedAt(name, token string, lastSuccess, now time.Time) time.Time {
	if c, ok := b.issued[name]; ok && c.token == token {
		return c.at
	}
	at := lastSuccess
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err == nil {
		if iat, err := claims.GetIssuedAt(); err == nil && iat != nil {
			at = iat.Time
		}
	}
	if at.IsZero() {
		at = now
	}
	b.issued[name] = issuedAt{token: token, at: at}
	return at
}

// detail builds the selected session's timeline and log from its events.
func (b *managerBackend) detail(s *session.Session, snap session.Snapshot) *sessionDetail {
	events, older := s.Events()
	d := &sessionDetail{Name: snap.Spec.Name, Token: snap.Token, Signature: snap.Signature, Source: snap.TokenSource, Log: make([]logLine, 0, len(events)+1),
		Logged: older + uint64(len(events)), Revoked: b.revoked[snap.Spec.Name], SignedOut: b.signedOut[snap.Spec.Name]}
	if older > 0 {
		d.Log = append(d.Log, logLine{At: events[0].At, Text: fmt.Sprintf("(%d older events not kept)", older)})
	}
	var ended time.Time               // dispose or sign-out: no token is valid after it
	disposedAt, disposedLog := -1, -1 // a dispose's mark and log line, until a session-added says it was a restart
	resuming := false                 // the session (re)started: a token it starts with is resumed
	var endedHow string               // "signed out" or "disposed" once the credential serves no token
	for _, e := range events {
		d.Log = append(d.Log, logLine{At: e.At, Text: e.Text()})
		switch e.Kind {
		case session.KindAdded:
			if disposedAt >= 0 { // disposed, then added again: the restart action
				markRestart(d, disposedAt, disposedLog, e.At)
				ended, disposedAt, endedHow = time.Time{}, -1, ""
			}
			resuming = true
		case session.KindRefreshScheduled:
			if resuming && e.ExpiresOn.After(e.At) { // the credential starts with a token of before
				d.Valid = append(d.Valid, interval{From: e.At, To: e.ExpiresOn})
				d.Log[len(d.Log)-1].Text = resumedFrom(snap.Spec) + " (expires " + e.ExpiresOn.Format("15:04:05") + "): " + e.Text()
			}
			resuming = false
		case session.KindRefreshSucceeded, session.KindStaticIssued:
			d.Marks = append(d.Marks, laneMark{At: e.At, Kind: markOK, Latency: e.Latency})
			if !e.ExpiresOn.IsZero() {
				d.Valid = append(d.Valid, interval{From: e.At, To: e.ExpiresOn})
			}
			resuming = false
		case session.KindRefreshFailed, session.KindTokenRejected:
			d.Marks = append(d.Marks, laneMark{At: e.At, Kind: markFailed, Latency: e.Latency})
			resuming = false
		case session.KindRefreshAborted:
			d.Marks = append(d.Marks, laneMark{At: e.At, Kind: markAborted})
		case session.KindRefreshStarted, session.KindIssuerCall:
			resuming = false
		case session.KindRevoked:
			d.Revoked, d.SignedOut, endedHow = true, true, "signed out"
		case session.KindSignedOut:
			d.SignedOut, endedHow = true, "signed out"
		case session.KindBurstDone:
			if endedHow != "" && !strings.Contains(e.Message, " 0 failed") { // the session does not say why
				d.Log[len(d.Log)-1].Text += " (the session is " + endedHow + ": its credential serves no token)"
			}
		case session.KindDisposed:
			if endedHow == "" {
				endedHow = "disposed"
			}
			d.Marks = append(d.Marks, laneMark{At: e.At, Kind: markDisposed})
			disposedAt, disposedLog = len(d.Marks)-1, len(d.Log)-1
			if ended.IsZero() {
				ended = e.At
			}
		}
	}
	if len(d.Valid) == 0 && snap.Token != "" && !snap.ExpiresOn.IsZero() {
		// The token came from before the kept log (an initial token).
		d.Valid = append(d.Valid, interval{From: b.issued[snap.Spec.Name].at, To: snap.ExpiresOn})
	}
	if !ended.IsZero() {
		for i := range d.Valid {
			if d.Valid[i].To.After(ended) {
				d.Valid[i].To = ended
			}
		}
	}
	return d
}

// markRestart turns the dispose mark at mark, and its log line at line,
// into a restart at at: for the restart action the session emits a dispose
// and a session-added, and no event of its own. The token held in memory is
// gone from then: a valid span that ran on is cut there.
func markRestart(d *sessionDetail, mark, line int, at time.Time) {
	d.Marks[mark].Kind = markRestarted
	d.Log[line].Text = "restarted: the credential and the token it held in memory are dropped; the session starts again from its spec"
	for j := range d.Valid {
		if d.Valid[j].To.After(at) {
			d.Valid[j].To = at
		}
	}
}

// resumedFrom says where a session that starts with a token of before got
// it: the spec's initial token, else the token cache (Spec.Persist).
func resumedFrom(spec scenario.Spec) string {
	if spec.InitialToken != "" {
		return "started with the initial token"
	}
	return "restored from cache"
}

func (b *managerBackend) Refresh(name string) error { return b.m.Refresh(name) }
func (b *managerBackend) Abort(name string) error   { return b.m.Abort(name) }
func (b *managerBackend) Dispose(name string) error { return b.m.Dispose(name) }

// ClearCache empties the sessions' token cache.
func (b *managerBackend) ClearCache() error { return b.m.ClearCache() }
func (b *managerBackend) Burst(name string, n int) error {
	return b.m.Burst(name, n)
}

// Remove takes a disposed session out of the manager and forgets what the
// backend noted about it, so that a new session of the same name starts
// clean; its counters stay in the header's run totals.
func (b *managerBackend) Remove(name string) error {
	s, ok := b.m.Get(name)
	if err := b.m.Remove(name); err != nil {
		return err
	}
	b.mu.Lock()
	if ok {
		b.removed.add(s.Snapshot().Stats) // read after Remove: its callers have stopped
	}
	delete(b.signedOut, name)
	delete(b.revoked, name)
	delete(b.issued, name)
	if b.last.name == name {
		b.last = detailCache{}
	}
	b.mu.Unlock()
	return nil
}

// SignOut signs the identity out; its sessions show "signed out" at once.
func (b *managerBackend) SignOut(identity string) error {
	var names []string
	for _, s := range b.m.Sessions() {
		if s.Spec().Identity == identity {
			names = append(names, s.Name())
		}
	}
	b.mu.Lock()
	for _, n := range names {
		b.signedOut[n] = true
	}
	b.mu.Unlock()
	return b.m.SignOut(identity)
}

// faultChoice is one entry of the fault menu.
type faultChoice struct {
	label    string
	fault    issuer.Fault
	global   bool // for every identity, not only the selected session's
	clearAll bool
}

// faultChoices is the fault menu, in order.
var faultChoices = []faultChoice{
	{label: "fail the next 3 calls (500)", fault: issuer.Fault{Kind: issuer.FaultFail, Count: 3, Status: 500}},
	{label: "throttle the next 3 calls (429, Retry-After 30s)", fault: issuer.Fault{Kind: issuer.FaultFail, Count: 3, Status: 429, RetryAfter: 30 * time.Second}},
	{label: "refuse the next call (401)", fault: issuer.Fault{Kind: issuer.FaultFail, Count: 1, Status: 401}},
	{label: "add 2s latency to the next 5 calls", fault: issuer.Fault{Kind: issuer.FaultLatency, Count: 5, Latency: 2 * time.Second}},
	{label: "hang the next call until the caller gives up", fault: issuer.Fault{Kind: issuer.FaultHang, Count: 1}},
	{label: "return an already expired token (next call)", fault: issuer.Fault{Kind: issuer.FaultExpiredToken, Count: 1}},
	{label: "return a malformed token (next call)", fault: issuer.Fault{Kind: issuer.FaultMalformedToken, Count: 1}},
	{label: "return 5-minute tokens (next 3 calls)", fault: issuer.Fault{Kind: issuer.FaultShortLifetime, Count: 3, Lifetime: 5 * time.Minute}},
	{label: "issuer down for 5m (every identity)", fault: issuer.Fault{Kind: issuer.FaultDown, Duration: 5 * time.Minute}, global: true},
	{label: "clear all faults", clearAll: true, global: true},
}

func (b *managerBackend) Faults() []faultOption {
	out := make([]faultOption, len(faultChoices))
	for i, c := range faultChoices {
		out[i] = faultOption{Label: c.label, ClearAll: c.clearAll}
	}
	return out
}

// InjectFault injects the chosen fault for the selected session's identity
// (or for everyone, for the global entries).
func (b *managerBackend) InjectFault(label, sessionName string) error {
	for _, c := range faultChoices {
		if c.label != label {
			continue
		}
		if c.clearAll {
			return b.m.ClearFaults()
		}
		f := c.fault
		if !c.global {
			s, ok := b.m.Get(sessionName)
			if !ok {
				return fmt.Errorf("no session %q to aim the fault at", sessionName)
			}
			f.Identity = s.Spec().Identity
		}
		return b.m.InjectFault(f)
	}
	return fmt.Errorf("unknown fault %q", label)
}

func (b *managerBackend) Policies() []string { return scenario.PolicyNames() }

// Add adds a session named after its identity ("dave", "dave-2", ...) with
// the form's callers, so that it serves tokens like the demo's sessions.
func (b *managerBackend) Add(ns newSession) (string, error) {
	if ns.Identity == "" {
		return "", errors.New("a new session needs an identity")
	}
	base := strings.ReplaceAll(ns.Identity, " ", "-")
	name := base
	for i := 2; ; i++ {
		if _, taken := b.m.Get(name); !taken {
			break
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
	_, err := b.m.Add(scenario.Spec{
		Name: name, Identity: ns.Identity, Scopes: ns.Scopes, Policy: ns.Policy,
		Proactive: ns.Proactive, Static: ns.Static, Lifetime: ns.Lifetime,
		Callers: ns.Callers, CallInterval: ns.Interval,
	})
	return name, err
}
