// Package metrics exports a session manager's state to Prometheus: per
// session the seconds left on its token, refreshes by reason and outcome,
// issuer call latency, token gap, waiters and resource refusals.
//
// An Exporter reads the manager's sessions when it is scraped and counts
// the events it is fed (Observe, or Follow for a live screen). It registers
// on a Registry of its own, never on Prometheus's global one.
package metrics

import (
	"context"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"tokentop/credential"
	"tokentop/scenario"
	"tokentop/session"
)

// DefaultGroupThreshold is how many sessions are exported one by one: above
// it, sessions are exported per group (a "count" group's name-1 ... name-N
// is group "name") as sums and maxima, so that a scenario of 100,000
// sessions makes a handful of series rather than a million.
const DefaultGroupThreshold = 1000

// maxTracked bounds the sessions whose event counters are kept: twice the
// most a scenario may hold, leaving room for sessions added live. Events of
// sessions beyond it are counted as untracked.
const maxTracked = 2 * scenario.MaxScenarioSessions

// LatencyBuckets are the issuer call latency histogram's upper bounds, in seconds.
var LatencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// Options configure an Exporter.
type Options struct {
	// GroupThreshold is how many sessions are exported one by one; above it
	// they are exported per group. Zero means DefaultGroupThreshold.
	GroupThreshold int
	// Version is tokentop_build_info's version label; empty means the main
	// module's version the Go toolchain recorded, or "devel".
	Version string
}

// Exporter is a prometheus.Collector of one manager's sessions. It is safe
// for concurrent use: Observe may run on the event writer while a scrape
// collects.
type Exporter struct {
	threshold int
	reg       *prometheus.Registry

	mu        sync.Mutex
	m         *session.Manager
	sessions  map[string]*counters
	untracked uint64
}

// counters are what one session's events add up to.
type counters struct {
	refreshes map[refreshKey]uint64 // bounded: a few reasons times three outcomes
	latency   histogram
}

type refreshKey struct{ reason, outcome string }

// histogram counts latencies in LatencyBuckets (non-cumulative here).
type histogram struct {
	buckets [12]uint64
	count   uint64
	sum     float64
}

func (h *histogram) observe(seconds float64) {
	for i, b := range LatencyBuckets {
		if seconds <= b {
			h.buckets[i]++
			break
		}
	}
	h.count++
	h.sum += seconds
}

func (h *histogram) add(o *histogram) {
	for i := range h.buckets {
		h.buckets[i] += o.buckets[i]
	}
	h.count += o.count
	h.sum += o.sum
}

// proto returns the histogram as Prometheus wants it: counts at or below
// each bound, in the bounds' order.
func (h *histogram) proto() *dto.Histogram {
	out := &dto.Histogram{SampleCount: new(h.count), SampleSum: new(h.sum), Bucket: make([]*dto.Bucket, len(LatencyBuckets))}
	var n uint64
	for i, b := range LatencyBuckets {
		n += h.buckets[i]
		out.Bucket[i] = &dto.Bucket{CumulativeCount: new(n), UpperBound: new(b)}
	}
	return out
}

// New returns an exporter registered on a fresh registry (Registry).
func New(opts Options) *Exporter {
	e := &Exporter{threshold: opts.GroupThreshold, sessions: map[string]*counters{}, reg: prometheus.NewRegistry()}
	if e.threshold <= 0 {
		e.threshold = DefaultGroupThreshold
	}
	e.reg.MustRegister(e, buildInfo(opts.Version))
	return e
}

// buildInfo is the tokentop_build_info gauge: 1, labelled with the version
// (version, else the module's, else "devel") and the Go release that built
// the binary, as Prometheus exporters conventionally say which build runs.
func buildInfo(version string) prometheus.Collector {
	if info, ok := debug.ReadBuildInfo(); version == "" && ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		version = info.Main.Version
	}
	if version == "" {
		version = "devel"
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "tokentop_build_info",
		Help:        "1, labelled with the tokentop version and the Go version that built it.",
		ConstLabels: prometheus.Labels{"version": strings.ToValidUTF8(version, "\uFFFD"), "goversion": runtime.Version()}})
	g.Set(1)
	return g
}

// Registry returns the exporter's own registry, to serve (Handler) or gather.
func (e *Exporter) Registry() *prometheus.Registry { return e.reg }

// Attach makes the exporter read m's sessions at scrape time; until then a
// scrape shows no sessions. session.HeadlessOptions.Started takes it.
func (e *Exporter) Attach(m *session.Manager) {
	e.mu.Lock()
	e.m = m
	e.mu.Unlock()
}

// Observe counts one event: a refresh's outcome (by reason) and its issuer
// call's latency. session.HeadlessOptions.Observe takes it. It never blocks
// for long: it only takes the exporter's lock.
func (e *Exporter) Observe(ev session.Event) {
	outcome, reason, ok := classify(ev)
	if !ok {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.sessions[ev.Session]
	if c == nil {
		if len(e.sessions) >= maxTracked {
			e.untracked++
			return
		}
		c = &counters{refreshes: map[refreshKey]uint64{}}
		e.sessions[ev.Session] = c
	}
	c.refreshes[refreshKey{reason, outcome}]++
	if ev.Latency > 0 && outcome != outcomeAbort {
		c.latency.observe(ev.Latency.Seconds())
	}
}

// Refresh outcomes (the outcome label).
const (
	outcomeSuccess = "success"
	outcomeFailure = "failure"
	outcomeAbort   = "abort"
)

// reasonInitialIssue is the reason label of a static or pre-seeded
// session's initial token, an issuer call the credential does not make.
const reasonInitialIssue = "initial-issue"

// refreshKeys returns the refresh series a session exports from its first
// scrape, at 0 until an event counts: every reason its spec can give a
// refresh, times every outcome. A series that appeared only at its first
// failure would read increase() 0 at that failure, so an alert on failures
// would miss a single one. Only reasons the spec can give are exported, to
// keep a scrape of many sessions small.
func refreshKeys(spec scenario.Spec) []refreshKey {
	var keys []refreshKey
	add := func(reason string, outcomes ...string) {
		for _, o := range outcomes {
			keys = append(keys, refreshKey{reason, o})
		}
	}
	if spec.Static || spec.IssueInitial { // the issue when the session is added: never aborted
		add(reasonInitialIssue, outcomeSuccess, outcomeFailure)
	}
	if spec.Static {
		return keys
	}
	reasons := []credential.Reason{credential.ReasonInitial, credential.ReasonOnDemand, credential.ReasonForced}
	if spec.Proactive {
		reasons = append(reasons, credential.ReasonProactive)
		if p, err := credential.PolicyByName(spec.Policy); err == nil && p.RetryOnFailure {
			reasons = append(reasons, credential.ReasonRetry)
		}
	}
	for _, r := range reasons {
		add(r.String(), outcomeSuccess, outcomeFailure, outcomeAbort)
	}
	return keys
}

// keyShape says which refreshKeys a spec has: it is all they depend on, so
// that a scrape works them out once a shape rather than once a session.
type keyShape uint8

const (
	shapeStatic keyShape = 1 << iota
	shapeIssueInitial
	shapeProactive
	shapeRetry
	numShapes
)

// shapeKeys holds each shape's refreshKeys, made once.
var shapeKeys = func() (out [numShapes][]refreshKey) {
	for shape := range numShapes {
		spec := scenario.Spec{Static: shape&shapeStatic != 0, IssueInitial: shape&shapeIssueInitial != 0, Proactive: shape&shapeProactive != 0}
		spec.Policy = policyRetrying[shape&shapeRetry != 0]
		out[shape] = refreshKeys(spec)
	}
	return out
}()

// policyRetrying names a policy that retries on failure (true) and one
// that does not (false).
var policyRetrying = func() map[bool]string {
	out := map[bool]string{}
	for _, p := range credential.Policies() {
		if _, ok := out[p.RetryOnFailure]; !ok {
			out[p.RetryOnFailure] = p.Name
		}
	}
	return out
}()

// keys returns the shape's refreshKeys, shared: do not modify them.
func (k keyShape) keys() []refreshKey { return shapeKeys[k] }

// keyShapes remembers, for one scrape, whether each policy named retries.
type keyShapes struct{ retries map[string]bool }

// of returns spec's shape.
func (ks *keyShapes) of(spec scenario.Spec) keyShape {
	var k keyShape
	if spec.Static {
		k |= shapeStatic
	}
	if spec.IssueInitial {
		k |= shapeIssueInitial
	}
	if spec.Proactive {
		k |= shapeProactive
	}
	if spec.Proactive && !spec.Static {
		retry, ok := ks.retries[spec.Policy]
		if !ok {
			p, err := credential.PolicyByName(spec.Policy)
			retry = err == nil && p.RetryOnFailure
			if ks.retries == nil {
				ks.retries = map[string]bool{}
			}
			if len(ks.retries) < 64 { // a scenario names a few policies; the bound is for safety
				ks.retries[spec.Policy] = retry
			}
		}
		if retry {
			k |= shapeRetry
		}
	}
	return k
}

// keyPairs holds the reason and outcome label pairs of every key a spec
// can give (refreshKeys), made once and shared by every series that has
// them: a scrape of many sessions then allocates no label pair for them.
var keyPairs = func() map[refreshKey][2]*dto.LabelPair {
	out := map[refreshKey][2]*dto.LabelPair{}
	for _, spec := range []scenario.Spec{{Static: true}, {Proactive: true, IssueInitial: true}} {
		for _, k := range refreshKeys(spec) {
			out[k] = k.pairs()
		}
	}
	return out
}()

// classify says which refresh outcome an event is, if any, so that the
// counters add up to the summary's successes, failures and aborts.
func classify(ev session.Event) (outcome, reason string, ok bool) {
	reason = ev.Reason.String()
	switch ev.Kind {
	case session.KindRefreshSucceeded:
		outcome = outcomeSuccess
	case session.KindRefreshFailed, session.KindTokenRejected:
		outcome = outcomeFailure
	case session.KindRefreshAborted:
		outcome = outcomeAbort
	case session.KindStaticIssued:
		outcome, reason = outcomeSuccess, reasonInitialIssue
	case session.KindIssuerCall:
		outcome, reason = outcomeFailure, reasonInitialIssue
	default:
		return "", "", false
	}
	if ev.Session == "" {
		return "", "", false
	}
	if reason == "" {
		reason = "none"
	}
	return outcome, reason, true
}

// Follow subscribes to m's events and observes them until ctx ends or m
// closes (the live screen, where no headless writer calls Observe). It
// returns when it has stopped. Events lost by a full buffer are not
// counted; the buffer holds 65,536.
func (e *Exporter) Follow(ctx context.Context, m *session.Manager) {
	sub := m.Subscribe(1 << 16)
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C():
			if !ok {
				return
			}
			e.Observe(ev)
		}
	}
}

// groupOf names a session's group: its name without a "-N" suffix, as a
// scenario's "count" names its copies.
func groupOf(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 || i == len(name)-1 {
		return name
	}
	for _, c := range name[i+1:] {
		if c < '0' || c > '9' {
			return name
		}
	}
	return name[:i]
}

// sessionState is what a scrape reads from one session.
type sessionState struct {
	name, identity, policy string
	keys                   keyShape // of its spec: which refreshKeys it has
	disposed, valid        bool
	left, gap              time.Duration
	waiters                int
	refused                uint64
}

func readSession(s *session.Session, shapes *keyShapes) sessionState {
	snap := s.Snapshot()
	st := sessionState{name: snap.Spec.Name, identity: snap.Spec.Identity, policy: snap.Spec.PolicyLabel(), keys: shapes.of(snap.Spec),
		disposed: snap.Disposed, gap: snap.Stats.TokenGap, waiters: snap.Credential.Waiters, refused: snap.Stats.ResourceRefused}
	if snap.Token != "" && !snap.Disposed && snap.At.Before(snap.ExpiresOn) {
		st.valid, st.left = true, snap.ExpiresOn.Sub(snap.At)
	}
	return st
}
