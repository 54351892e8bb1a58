package session

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"tokentop/internal/clock"
	"tokentop/issuer"
	"tokentop/scenario"
)

// ErrClosed is returned by actions on a closed Manager.
var ErrClosed = errors.New("session: the manager is closed")

// ErrUnknownSession is wrapped by actions naming a session that does not exist.
var ErrUnknownSession = errors.New("no such session")

// Manager owns many sessions over one issuer and one event loop (see
// loop.go): everything it simulates runs on the loop, one callback at a
// time. Its actions never block on the issuer: they are posted to the loop,
// an issuer call that blocks (HTTP, exec) runs in a goroutine that posts its
// result back, and results are reported as events. It is safe for concurrent use.
type Manager struct {
	opts     Options
	clock    clock.Clock
	loop     *clock.Loop // the clock: sim, paced, or following the wall clock (a real issuer)
	inline   bool        // the issuer answers at once and reports its latency (the fake): no goroutines
	teams    TeamsIssuer
	cache    TokenCache      // Options.Cache, or an in-memory one
	cacheID  cacheIdentity   // what the cache keys name the issuer by
	ctx      context.Context // cancelled by Close
	cancel   context.CancelFunc
	seq      atomic.Uint64
	calls    sync.WaitGroup // blocking issuer calls in flight, each in its goroutine
	stopLoop func()         // stops and waits for the loop the manager runs itself; nil if the caller runs it
	bursts   burstQueue     // burst calls waiting for a slot; only the loop touches it

	mu       sync.Mutex
	closed   bool
	sessions map[string]*Session // started sessions, by name
	pending  map[string]struct{} // names reserved by an Add in progress
	order    []*Session
	timers   timerQueue // pending timeline steps, soonest first
	timerSeq uint64     // timeline steps scheduled so far
	scenario scenarioInfo
	started  time.Time

	subsMu  sync.Mutex // also serialises publishing, so every subscriber sees Seq order
	subs    map[*Subscription]struct{}
	sink    func(Event) // called with every event as it is published (a headless run)
	notices eventLog    // the newest issuer-wide events (Events)
}

// NewManager returns a manager with no sessions.
func NewManager(opts Options) (*Manager, error) {
	if opts.Issuer == nil {
		return nil, errors.New("session: Options.Issuer is required: pass the issuer that mints the sessions' tokens")
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = defaultCallTimeout
	}
	if opts.IssueTimeout <= 0 {
		opts.IssueTimeout = defaultIssueTimeout
	}
	switch {
	case opts.IssuerLatency == 0:
		opts.IssuerLatency = DefaultIssuerLatency
	case opts.IssuerLatency < 0:
		opts.IssuerLatency = 0
	}
	if opts.Resource == nil {
		opts.Resource, _ = opts.Issuer.(ResourceChecker)
	}
	if opts.Faults == nil {
		opts.Faults, _ = opts.Issuer.(issuer.FaultInjector)
	}
	loop, own, err := managerLoop(opts)
	if err != nil {
		return nil, err
	}
	opts.Clock = loop
	m := &Manager{opts: opts, clock: loop, loop: loop, inline: inlineIssuer(opts), teams: opts.Teams,
		sessions: map[string]*Session{}, pending: map[string]struct{}{}, subs: map[*Subscription]struct{}{},
		notices: newEventLog(noticeLogSize(opts.LogSize))}
	if m.teams == nil {
		m.teams, _ = opts.Issuer.(TeamsIssuer)
	}
	if m.cache = opts.Cache; m.cache == nil {
		m.cache = NewMemoryCache()
	}
	if loop.Sim() && !m.inline {
		return nil, errNeedsInProcessIssuer(opts.Issuer.Name())
	}
	m.cacheID = newCacheIdentity(m.cache, opts.Issuer, m.teams)
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.started = m.clock.Now()
	if own {
		m.stopLoop = loop.Go()
	}
	return m, nil
}

// Clock returns the manager's clock: Options.Clock, or clock.Real when the
// manager runs its own loop over the wall clock (whose time it follows).
func (m *Manager) Clock() clock.Clock {
	if m.stopLoop != nil {
		return clock.Real{}
	}
	return m.clock
}

// IssuerName describes the issuer for display.
func (m *Manager) IssuerName() string { return m.opts.Issuer.Name() }

// Subscribe returns a subscription to every event published from now on,
// buffering up to buffer events (at least 1). Subscribe before adding
// sessions to see everything. On a closed manager the subscription's channel
// is already closed.
func (m *Manager) Subscribe(buffer int) *Subscription {
	sub := newSubscription(buffer, m.unsubscribe)
	m.mu.Lock()
	closed := m.closed
	if !closed {
		m.subsMu.Lock()
		m.subs[sub] = struct{}{}
		m.subsMu.Unlock()
	}
	m.mu.Unlock()
	if closed {
		sub.shut()
	}
	return sub
}

func (m *Manager) unsubscribe(sub *Subscription) {
	m.subsMu.Lock()
	delete(m.subs, sub)
	m.subsMu.Unlock()
}

// publish numbers e and hands it to every subscriber without blocking. An
// issuer-wide event is kept in the manager's log too (Events).
func (m *Manager) publish(e *Event) {
	m.subsMu.Lock()
	e.Seq = m.seq.Add(1)
	if issuerWide(*e) {
		m.notices.add(*e) // under subsMu: kept in Seq order
	}
	if m.sink != nil {
		m.sink(*e)
	}
	for sub := range m.subs {
		sub.send(*e)
	}
	m.subsMu.Unlock()
}

// setSink makes f receive every event as it is published, synchronously and
// under subsMu, so that f sees the events in order and never concurrently;
// nil removes it.
func (m *Manager) setSink(f func(Event)) {
	m.subsMu.Lock()
	m.sink = f
	m.subsMu.Unlock()
}

// Published returns how many events the manager has published.
func (m *Manager) Published() uint64 { return m.seq.Load() }

// IssuerLogSize is how many issuer-wide events the manager keeps (Events).
const IssuerLogSize = 100

// noticeLogSize is the size of the manager's log of issuer-wide events for
// a session log size of logSize: none when the sessions keep none either.
func noticeLogSize(logSize int) int {
	if logSize < 0 {
		return -1
	}
	return IssuerLogSize
}

// issuerWide reports an event about the issuer rather than one session's
// credential: the manager's own (faults, failed actions; no Session) and a
// sign-out's revocation outcome, which every session of the identity logs.
func issuerWide(e Event) bool {
	return e.Session == "" || e.Kind == KindRevokeFailed
}

// Events returns the newest issuer-wide events, oldest first, and how many
// older ones were not kept (at most IssuerLogSize are): faults injected and
// cleared, actions that failed, and failed revocations (one per signed-out
// session). A session's own events are in its log (Session.Events); these
// are the ones no single session's credential shows.
func (m *Manager) Events() (events []Event, older uint64) {
	m.subsMu.Lock()
	defer m.subsMu.Unlock()
	return m.notices.events(), m.notices.dropped
}

// ActiveFaults returns the faults the issuer holds now, as they stand (the
// calls and time they have left), when its fault injector can list them
// (the fake issuer can); ok is false when it cannot.
func (m *Manager) ActiveFaults() (faults []issuer.Fault, ok bool) {
	l, ok := m.opts.Faults.(faultLister)
	if !ok {
		return nil, false
	}
	return l.ActiveFaults(), true
}

// faultLister is a fault injector that lists the faults it holds.
type faultLister interface {
	ActiveFaults() []issuer.Fault
}

// emit publishes a manager-wide event (no session).
func (m *Manager) emit(kind EventKind, msg string, err error) {
	e := Event{At: m.clock.Now(), Kind: kind, Message: msg, Err: err}
	m.publish(&e)
}

// Sessions returns the sessions in the order they were added.
func (m *Manager) Sessions() []*Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Session(nil), m.order...)
}

// Get returns the session with that name.
func (m *Manager) Get(name string) (*Session, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[name]
	return s, ok
}

func (m *Manager) lookup(name string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	s, ok := m.sessions[name]
	if !ok {
		return nil, fmt.Errorf("session %q: %w; the sessions are %v", name, ErrUnknownSession, m.namesLocked())
	}
	return s, nil
}

func (m *Manager) namesLocked() []string {
	names := make([]string, 0, len(m.order))
	for _, s := range m.order {
		names = append(names, s.spec.Name)
	}
	sort.Strings(names)
	if len(names) > 10 {
		names = append(names[:10], "...")
	}
	return names
}

// Add validates spec, creates its credential and starts its simulated
// callers. A static session, or one with IssueInitial, gets its token from
// the issuer here (each issuer call bounded by Options.IssueTimeout); every
// other issuer call happens in the background.
func (m *Manager) Add(spec scenario.Spec) (*Session, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("session spec: %w", err)
	}
	spec = spec.WithDefaults()
	if spec.Teams != nil && m.teams == nil {
		return nil, fmt.Errorf("session %q: a Teams session needs an issuer that issues upstream tokens and exchanges them (the fake issuer does); this one, %s, does not", spec.Name, m.opts.Issuer.Name())
	}
	if spec.ResourceURL != "" && m.loop.Sim() {
		return nil, fmt.Errorf("session %q: resource_url %s is called over the network, which takes no virtual time; use --clock scaled or a real issuer, or leave resource_url out to check with the in-process fake", spec.Name, spec.ResourceURL)
	}
	if spec.Resource && m.opts.Resource == nil && spec.ResourceURL == "" {
		spec.Resource = false // nothing to check against; counters stay zero
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	_, dup := m.sessions[spec.Name]
	_, adding := m.pending[spec.Name]
	if dup || adding {
		m.mu.Unlock()
		return nil, fmt.Errorf("session %q already exists; pick another name", spec.Name)
	}
	m.pending[spec.Name] = struct{}{} // reserve the name while the credential is made
	m.mu.Unlock()

	s := newSession(m, spec)
	err := s.start()
	m.mu.Lock()
	delete(m.pending, spec.Name)
	closed := m.closed
	if err == nil && !closed {
		m.sessions[spec.Name] = s
		m.order = append(m.order, s)
	}
	m.mu.Unlock()
	switch {
	case err != nil:
		return nil, fmt.Errorf("session %q: %w", spec.Name, err)
	case closed: // Close ran while the credential was being made
		s.shutdown()
		return nil, ErrClosed
	}
	s.startCallers()
	return s, nil
}

// Totals sums every session's counters.
func (m *Manager) Totals() Stats {
	var t Stats
	for _, s := range m.Sessions() {
		t.add(s.Stats())
	}
	return t
}

// Close stops every simulated caller, timeline step and action, disposes
// every credential, waits for the issuer calls in flight (their contexts
// end) and for the loop if the manager runs it, and closes every
// subscription. It is idempotent and returns nil. It must not be called from
// a callback of the manager's loop.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	sessions := append([]*Session(nil), m.order...)
	for _, t := range m.timers {
		t.timer.Stop()
		t.index = -1
	}
	m.timers = nil
	m.mu.Unlock()

	m.cancel()
	for _, s := range sessions {
		s.shutdown()
	}
	m.calls.Wait()
	if m.stopLoop != nil {
		m.stopLoop()
	}

	m.subsMu.Lock()
	subs := m.subs
	m.subs = map[*Subscription]struct{}{}
	m.subsMu.Unlock()
	for sub := range subs {
		sub.shut()
	}
	return nil
}
