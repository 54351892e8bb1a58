// Package report turns a tokentop run into one self-contained HTML file:
// a timeline lane per session (or per group of sessions when there are
// thousands), a sortable comparison table per policy and per session, and
// the issuer's latency distribution. The page is inline HTML, CSS and SVG
// with a few lines of inline script for sorting; it loads nothing.
//
// A Recorder observes the run's events in order (session.HeadlessOptions.Observe,
// or a subscription on the live screen) and keeps a compact, bounded record
// of them; Write renders the page with the run's session.Summary.
package report

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"tokentop/credential"
	"tokentop/session"
)

// Limits that keep a Recorder's memory bounded whatever the run.
const (
	// DefaultMaxAttempts is how many refresh attempts (and token periods)
	// a session keeps in detail; older ones are counted, not kept.
	DefaultMaxAttempts = 2000
	// defaultBudget is how many records (attempts, token periods, gaps;
	// 16 bytes each) all sessions together may keep beyond minAttempts
	// each: 64 MiB.
	defaultBudget = 4 << 20
	// minAttempts is how many recent records of each kind every session
	// keeps even when the budget is spent.
	minAttempts = 16
	// maxMarks is how many dispose and sign-out marks a session keeps.
	maxMarks = 32
	// maxFaults is how many fault windows the recorder keeps.
	maxFaults = 1000
	// maxErrors is how many distinct error texts are kept; maxErrorLen
	// bounds each.
	maxErrors   = 4096
	maxErrorLen = 240
)

// reason is why an attempt started, as a small code in the order the
// report shows (and colours) them.
type reason uint8

const (
	reasonOther reason = iota
	reasonInitial
	reasonProactive
	reasonOnDemand
	reasonRetry
	reasonForced
	numReasons
)

// reasonNames are the reasons' names, the credential's own.
var reasonNames = [numReasons]string{"other", credential.ReasonInitial.String(), credential.ReasonProactive.String(),
	credential.ReasonOnDemand.String(), credential.ReasonRetry.String(), credential.ReasonForced.String()}

// reasonOf is the code of a credential's reason.
func reasonOf(r credential.Reason) reason {
	switch r {
	case credential.ReasonInitial:
		return reasonInitial
	case credential.ReasonProactive:
		return reasonProactive
	case credential.ReasonOnDemand:
		return reasonOnDemand
	case credential.ReasonRetry:
		return reasonRetry
	case credential.ReasonForced:
		return reasonForced
	}
	return reasonOther
}

// outcome is how an attempt ended.
type outcome uint8

const (
	outcomeSucceeded outcome = iota
	outcomeFailed
	outcomeRejected
	outcomeAborted
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"succeeded", "failed", "rejected", "aborted"}

// attempt is one issuer call, in 16 bytes.
type attempt struct {
	start   int64  // ns since the recorder's base time
	latency uint32 // ms, saturated
	err     uint16 // index into Recorder.errors; 0: none
	reason  reason
	outcome outcome
}

// span is a stretch of time in ns since the base time.
type span struct{ from, to int64 }

// mark is a dispose or sign-out at a time.
type mark struct {
	at   int64
	kind markKind
}

type markKind uint8

const (
	markDisposed markKind = iota
	markRestarted
	markSignedOut
)

// ring keeps the newest items up to a cap and counts the ones it let go.
type ring[T any] struct {
	buf     []T
	next    int // where the next item goes once buf is full
	dropped uint64
}

// push adds v, overwriting the oldest item when the ring holds limit
// items. It reports whether the ring grew.
func (r *ring[T]) push(v T, limit int) bool {
	if len(r.buf) < limit {
		r.buf = append(r.buf, v)
		return true
	}
	if len(r.buf) == 0 {
		r.dropped++
		return false
	}
	r.buf[r.next] = v
	r.next = (r.next + 1) % len(r.buf)
	r.dropped++
	return false
}

// items returns the kept items, oldest first.
func (r *ring[T]) items() []T {
	if r.next == 0 {
		return r.buf
	}
	out := make([]T, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}

// last returns a pointer to the newest item, or nil.
func (r *ring[T]) last() *T {
	if len(r.buf) == 0 {
		return nil
	}
	i := r.next - 1
	if i < 0 {
		i = len(r.buf) - 1
	}
	return &r.buf[i]
}

// sessionRec is what the recorder keeps of one session.
type sessionRec struct {
	name     string
	policy   string // from session-added; the summary's label wins
	identity string // from session-added, to match identity-limited faults
	classes  [numClasses]uint32
	attempts ring[attempt]
	periods  ring[span] // merged validity periods of the tokens held
	gaps     ring[span] // closed gaps: live, and no valid token
	marks    ring[mark]
	counts   [numOutcomes]uint64
	// holding: the session has had a token, and tokenEnd is the expiry
	// of the newest one (or when a dispose or sign-out ended it).
	holding  bool
	tokenEnd int64
	live     bool  // not disposed or signed out
	firstTry int64 // first attempt's start, for a session that never held a token; -1 none
	joined   bool  // Write found it in the summary (set and cleared there)
}

// fault is an injected fault's window; to is -1 while it is open. A fault
// limited to a count of calls ends when that many issuer calls (of its
// identity, if it names one) have started after it: left counts them down.
type fault struct {
	span
	what     string
	identity string
	left     int
}

// Recorder keeps a bounded record of a run's events for a report. Its zero
// value is not ready; use NewRecorder. Observe must be called from one
// goroutine at a time (it is, from HeadlessOptions.Observe); Write after the
// last Observe.
type Recorder struct {
	maxAttempts int
	budget      int // attempt records above minAttempts per session still allowed
	base        time.Time
	started     bool
	last        int64 // newest event time seen
	sessions    map[string]*sessionRec
	order       []*sessionRec // in order of first event
	faults      ring[fault]
	errors      []string // [0] is ""
	errIndex    map[string]uint16
	latency     histogram
	events      uint64
	// unmeasured counts issuer calls without a latency: initial issues when
	// a session starts, and calls aborted before an answer.
	unmeasured  struct{ initial, aborted uint64 }
	countFaults int // faults with calls left, so most calls skip the scan
	perPolicy   map[string]*latencyDist
	overTime    overTime
}

// NewRecorder returns a recorder keeping up to maxAttempts attempts per
// session (DefaultMaxAttempts if maxAttempts <= 0).
func NewRecorder(maxAttempts int) *Recorder {
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	return &Recorder{
		maxAttempts: maxAttempts,
		budget:      defaultBudget,
		sessions:    make(map[string]*sessionRec),
		errors:      []string{""},
		errIndex:    make(map[string]uint16),
		perPolicy:   make(map[string]*latencyDist),
	}
}

// offset is t in ns since the base time, saturated at zero below.
func (r *Recorder) offset(t time.Time) int64 {
	d := t.Sub(r.base)
	if d < 0 {
		return 0
	}
	return int64(d)
}

// Parts of a fault's text (issuer.Fault.String): its duration ("be down
// for 9m0s"), its count ("fail with 503 for the next 2 calls") and its
// identity ("... (bob only)").
var (
	faultFor      = regexp.MustCompile(` for ([0-9][0-9a-zµ.]*)(?: \(.+ only\))?$`)
	faultCount    = regexp.MustCompile(` for the next (call|[0-9]+ calls)\b`)
	faultIdentity = regexp.MustCompile(` \((.+) only\)$`)
)

// policyOf and identityOf find the policy and the identity in a
// session-added message ("identity alice, policy js, ..."); a static
// session's says "static token".
var (
	policyOf   = regexp.MustCompile(`policy ([A-Za-z0-9._-]+)`)
	identityOf = regexp.MustCompile(`^identity ([^,]+),`)
)

// Observe records one event. Events must come in the order published.
func (r *Recorder) Observe(e session.Event) {
	if !r.started {
		r.base, r.started = e.At, true
	}
	r.events++
	at := r.offset(e.At)
	r.last = max(r.last, at)
	if e.Session == "" {
		r.observeIssuer(e, at)
		return
	}
	s := r.sessions[e.Session]
	if s == nil {
		s = &sessionRec{name: e.Session, live: true, firstTry: -1}
		r.sessions[e.Session] = s
		r.order = append(r.order, s)
	}
	switch e.Kind {
	case session.KindAdded:
		r.added(s, e, at)
	case session.KindRefreshSucceeded, session.KindRefreshFailed, session.KindTokenRejected, session.KindRefreshAborted:
		r.observeAttempt(s, e, at)
	case session.KindStaticIssued:
		// An initial issue is an issuer call the session did not time.
		r.unmeasured.initial++
		r.issuerCall(s, at, at, classOK, false)
		if !e.ExpiresOn.IsZero() {
			r.gotToken(s, at, r.offset(e.ExpiresOn))
		}
	case session.KindIssuerCall:
		r.unmeasured.initial++
		a := attempt{start: at, reason: reasonInitial, outcome: outcomeFailed, err: r.errOf(e)}
		keep(r, &s.attempts, a)
		r.issuerCall(s, at, at, classify(e, outcomeFailed), true)
		if !s.holding && s.firstTry < 0 {
			s.firstTry = at
		}
	case session.KindRefreshScheduled:
		// A session resumed from a cache (a restart, a warm start) holds
		// its token without an issuer call: the schedule says until when.
		if exp := r.offset(e.ExpiresOn); s.live && !e.ExpiresOn.IsZero() && exp > at {
			r.gotToken(s, at, exp)
		}
	case session.KindDisposed:
		r.end(s, at, markDisposed)
	case session.KindSignedOut:
		r.end(s, at, markSignedOut)
	}
}

// added records a session-added event. The same name added again right
// after its dispose is a restart: the session is live again from now, with
// no token until it gets one (from its cache, or from the issuer).
func (r *Recorder) added(s *sessionRec, e session.Event, at int64) {
	if m := policyOf.FindStringSubmatch(e.Message); m != nil {
		s.policy = m[1]
	} else if strings.Contains(e.Message, "static token") {
		s.policy = "static"
	}
	if m := identityOf.FindStringSubmatch(e.Message); m != nil {
		s.identity = m[1]
	}
	if m := s.marks.last(); m != nil && m.at == at && m.kind == markDisposed {
		m.kind = markRestarted
	}
	if !s.live {
		s.live = true
		s.tokenEnd = min(s.tokenEnd, at) // the time it was gone is no gap
	}
}

func (r *Recorder) observeIssuer(e session.Event, at int64) {
	switch e.Kind {
	case session.KindFault:
		f := fault{span: span{at, -1}, what: clip(e.Message, maxErrorLen)}
		if m := faultFor.FindStringSubmatch(e.Message); m != nil {
			if d, err := time.ParseDuration(m[1]); err == nil && d > 0 {
				f.to = saturatingAdd(at, int64(d))
			}
		}
		if m := faultCount.FindStringSubmatch(e.Message); m != nil {
			f.left = 1
			if n, err := strconv.Atoi(strings.TrimSuffix(m[1], " calls")); err == nil && n > 0 {
				f.left = n
			}
			r.countFaults++
		}
		if m := faultIdentity.FindStringSubmatch(e.Message); m != nil {
			f.identity = m[1]
		}
		if len(r.faults.buf) == maxFaults && r.faults.buf[r.faults.next].left > 0 {
			r.countFaults-- // the oldest is let go with calls left
		}
		r.faults.push(f, maxFaults)
	case session.KindFaultsCleared:
		for i := range r.faults.buf {
			if f := &r.faults.buf[i]; f.to < 0 || f.to > at {
				f.to = at
			}
			r.faults.buf[i].left = 0
		}
		r.countFaults = 0
	}
}

// issuerCall counts one issuer call of s that started at start and ended
// at end: in the chart over time, in the session's outcome classes, and
// against the faults limited to a count of calls (the fake issuer takes
// one call of every matching fault as a call starts).
func (r *Recorder) issuerCall(s *sessionRec, start, end int64, c class, failed bool) {
	r.overTime.add(start, failed)
	s.classes[c] = min(s.classes[c]+1, ^uint32(0)-1)
	if r.countFaults == 0 {
		return
	}
	for i := range r.faults.buf {
		f := &r.faults.buf[i]
		if f.left == 0 || start < f.from || (f.identity != "" && f.identity != s.identity) {
			continue
		}
		if f.left--; f.left == 0 {
			r.countFaults--
			if f.to < 0 || f.to > end {
				f.to = end
			}
		}
	}
}

func (r *Recorder) observeAttempt(s *sessionRec, e session.Event, at int64) {
	a := attempt{reason: reasonOf(e.Reason), latency: saturatedMS(e.Latency)}
	switch e.Kind {
	case session.KindRefreshSucceeded:
		a.outcome = outcomeSucceeded
	case session.KindRefreshFailed:
		a.outcome = outcomeFailed
	case session.KindTokenRejected:
		a.outcome = outcomeRejected
	default:
		a.outcome = outcomeAborted
	}
	a.start = max(0, at-int64(e.Latency))
	if a.outcome != outcomeSucceeded {
		a.err = r.errOf(e)
	}
	s.counts[a.outcome]++
	if e.Latency > 0 || a.outcome != outcomeAborted {
		r.latency.add(e.Latency)
		r.policyLatency(s.policy).add(e.Latency)
	} else {
		r.unmeasured.aborted++
	}
	r.issuerCall(s, a.start, at, classify(e, a.outcome), a.outcome != outcomeSucceeded)
	keep(r, &s.attempts, a)
	if !s.holding && s.firstTry < 0 {
		s.firstTry = a.start
	}
	if a.outcome == outcomeSucceeded && !e.ExpiresOn.IsZero() {
		r.gotToken(s, at, r.offset(e.ExpiresOn))
	}
}

// errOf interns the error of a call that did not succeed: its error, or
// its message without one.
func (r *Recorder) errOf(e session.Event) uint16 {
	if e.Err != nil {
		return r.intern(e.Err.Error())
	}
	if e.Message != "" {
		return r.intern(e.Message)
	}
	return 0
}

// maxPolicies is how many policy labels get a latency distribution of
// their own; the rest share one.
const maxPolicies = 32

// policyLatency is the latency distribution of a policy's issuer calls.
func (r *Recorder) policyLatency(policy string) *latencyDist {
	d := r.perPolicy[policy]
	if d == nil {
		if len(r.perPolicy) >= maxPolicies {
			policy = otherPolicies
			if d = r.perPolicy[policy]; d != nil {
				return d
			}
		}
		d = &latencyDist{}
		r.perPolicy[policy] = d
	}
	return d
}

// otherPolicies names the shared distribution beyond maxPolicies labels.
const otherPolicies = "(other policies)"

// keep adds v to one of a session's rings: up to maxAttempts while the
// recorder's budget lasts, then up to minAttempts (the newest).
func keep[T any](r *Recorder, rg *ring[T], v T) {
	limit := minAttempts
	if r.budget > 0 {
		limit = r.maxAttempts
	}
	if rg.push(v, limit) && len(rg.buf) > minAttempts {
		r.budget--
	}
}

// gotToken records a new token valid from at to until: a gap closes if
// the old one had expired, and the validity period grows or a new one opens.
func (r *Recorder) gotToken(s *sessionRec, at, until int64) {
	if s.live && s.holding && at > s.tokenEnd {
		keep(r, &s.gaps, span{s.tokenEnd, at})
	}
	if !s.live { // back after a sign-out
		s.live = true
	}
	if p := s.periods.last(); p != nil && s.holding && at <= p.to {
		p.to = max(p.to, until)
	} else {
		keep(r, &s.periods, span{at, until})
	}
	s.holding = true
	s.tokenEnd = until
}

// end records a dispose or a sign-out: the token no longer counts, and
// neither does the time without one.
func (r *Recorder) end(s *sessionRec, at int64, k markKind) {
	// A sign-out disposes its sessions at the same instant: the sign-out
	// mark says both, and a dispose mark over it would hide it.
	if m := s.marks.last(); k != markDisposed || m == nil || m.at != at || m.kind != markSignedOut {
		s.marks.push(mark{at, k}, maxMarks)
	}
	if s.live && s.holding && at > s.tokenEnd {
		keep(r, &s.gaps, span{s.tokenEnd, at})
	}
	if p := s.periods.last(); p != nil && p.to > at {
		p.to = at
	}
	s.tokenEnd = min(s.tokenEnd, at)
	s.live = false
}

// intern returns the index of an error text, clipped; 0 once maxErrors
// distinct texts are kept (the report says the text was not kept).
func (r *Recorder) intern(text string) uint16 {
	text = clip(text, maxErrorLen)
	if i, ok := r.errIndex[text]; ok {
		return i
	}
	if len(r.errors) >= maxErrors {
		return 0
	}
	i := uint16(len(r.errors))
	r.errors = append(r.errors, text)
	r.errIndex[text] = i
	return i
}

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = strings.ToValidUTF8(s[:n], "")
	return s + "…"
}

func saturatedMS(d time.Duration) uint32 {
	ms := d.Milliseconds()
	switch {
	case ms < 0:
		return 0
	case ms > int64(^uint32(0)):
		return ^uint32(0)
	}
	return uint32(ms)
}

func saturatingAdd(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return int64(^uint64(0) >> 1)
}

// histogram counts issuer call latencies in fixed buckets.
type histogram struct {
	counts [len(latencyBounds) + 1]uint64
}

// latencyBounds are the buckets' upper bounds; the last bucket is open.
var latencyBounds = [...]time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond,
	20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
	30 * time.Second, time.Minute,
}

func (h *histogram) add(d time.Duration) {
	for i, b := range latencyBounds {
		if d <= b {
			h.counts[i]++
			return
		}
	}
	h.counts[len(latencyBounds)]++
}
