package credential

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"tokentop/internal/clock"
)

// Refresher fetches a new token and must return promptly once ctx is done.
// If the returned ExpiresOn is zero, the credential reads the expiry from the
// JWT "exp" claim. A token of three dot-separated segments that does not
// parse is malformed (*ParseError), unless AccessToken.Minted vouches for it. Any other non-empty token (opaque, or a
// five-segment JWE) gets Policy.OpaqueTokenLifetime and an EventOpaqueToken.
type Refresher func(ctx context.Context) (AccessToken, error)

// AsyncRefresher is a Refresher for an event loop (see clock.Loop): it starts
// fetching a token and returns without blocking, and done is called once
// with the result, later (never before AsyncRefresher returns). When ctx
// ends first, the credential has already settled the refresh: a late done is
// ignored, and need not be called at all.
type AsyncRefresher func(ctx context.Context, done func(AccessToken, error))

// Options configure a refreshing credential made by New.
type Options struct {
	// Refresher fetches new tokens, each call in its own goroutine. Exactly
	// one of Refresher and AsyncRefresher is required.
	Refresher Refresher
	// AsyncRefresher replaces Refresher where every action must happen on
	// one event loop (a simulation): no goroutine is started per refresh.
	AsyncRefresher AsyncRefresher
	// InitialToken is an optional raw JWT (with exp) to start with; parsed in New.
	InitialToken string
	// RefreshProactively refreshes in the background before the token
	// expires, so that callers rarely wait.
	RefreshProactively bool
	// Policy decides when to refresh; the zero value means DefaultPolicy.
	Policy Policy
	// Clock tells time and schedules refreshes; nil means the real clock.
	Clock clock.Clock
	// OnEvent, if set, is called for every Event, one at a time, in the
	// order things happened, outside the credential's lock; it must not
	// block. A refresh's EventStarted precedes its outcome, and nothing
	// follows EventDisposed. A handler may call back into the credential;
	// the events that causes are delivered after the handler returns.
	OnEvent func(Event)
	// Jitter, if set, is the source of the retry jitter, in [0, 1); nil
	// means math/rand/v2. A seeded source makes retries reproducible.
	Jitter func() float64
}

// Credential is a Communication Token Credential: it holds a token and,
// unless static, refreshes it with a Refresher. It is safe for concurrent use.
// GetToken on a fresh cached token is a single atomic load.
type Credential struct {
	// fresh holds the token while it may be served without a clock read: it
	// is set when a token outside the on-demand buffer is stored and cleared
	// by a timer when the token enters the buffer, and by Dispose.
	fresh atomic.Pointer[freshToken]

	clock     clock.Clock
	policy    Policy
	async     AsyncRefresher // the refresher; a Refresher is adapted (GoRefresher)
	proactive bool
	static    bool
	onEvent   func(Event)
	jitter    func() float64 // in [0, 1)

	// emitMu is the turn to deliver events: whoever holds it drains queue
	// (filled under mu, in the order things happened) outside mu.
	emitMu        sync.Mutex
	mu            sync.Mutex
	queue         []Event     // events not yet delivered
	spare         []Event     // the queue's other buffer, owned by the deliverer
	fx            effects     // what the decisions under mu want done (shell.go)
	queueClosed   bool        // EventDisposed was queued: nothing follows it
	token         AccessToken // Token == "" until the first token
	disposed      bool
	flights       map[*flight]struct{} // refreshes in flight
	started       uint64               // refreshes started, numbering flights
	shared        *flight              // the flight callers join (Policy.Coalesce)
	schedT        timerSlot            // the proactive refresh or retry, due at nextAt
	schedKind     schedKind
	nextAt        time.Time
	freshT        timerSlot // withdraws the fresh token from the lock-free path
	failures      int       // consecutive failed refreshes
	permanent     int       // consecutive permanent failures (isPermanent)
	holdUntil     time.Time // callers do not call the issuer before this (Retry-After, needs attention)
	outcome       outcome
	lastErr       error
	lastLatency   time.Duration
	lastSuccessAt time.Time
	counters      Counters
}

type freshToken struct {
	tok   AccessToken
	until time.Time // when the token enters the on-demand buffer; zero: never (static)
}

type schedKind int

const (
	schedNone schedKind = iota
	schedProactive
	schedRetry
)

type outcome int

const (
	outcomeNone outcome = iota
	outcomeSucceeded
	outcomeFailed
	outcomeAborted
)

// wallRecheck is how often a credential on the real clock compares the time
// with its token's deadline. Go timers run on the monotonic clock, which
// stands still while a laptop sleeps; this re-check bounds how long a token
// can be served past its expiry after the wall clock jumps.
const wallRecheck = time.Second

// NewStatic returns a credential that always returns token, even once expired,
// and never refreshes. The token must be a JWT with an exp claim.
func NewStatic(token string) (*Credential, error) {
	tok, err := parseNamed(token, "static token")
	if err != nil {
		return nil, err
	}
	c := &Credential{clock: clock.Real{}, static: true, token: tok, policy: Policy{Name: "static"}}
	c.fresh.Store(&freshToken{tok: tok})
	return c, nil
}

// New returns a credential that gets its tokens from opts.Refresher. A valid
// InitialToken is served without calling the refresher; with
// RefreshProactively and no valid token, the first refresh starts at once.
func New(opts Options) (*Credential, error) {
	jitter := opts.Jitter
	if jitter == nil {
		jitter = rand.Float64
	}
	return newCredential(opts, jitter)
}

// newCredential is New with the jitter source injected (tests pin it).
func newCredential(opts Options, jitter func() float64) (*Credential, error) {
	c, err := build(opts, jitter)
	if err != nil {
		return nil, err
	}
	c.open()
	return c, nil
}

// build makes a refreshing credential that has decided nothing yet.
func build(opts Options, jitter func() float64) (*Credential, error) {
	if (opts.Refresher == nil) == (opts.AsyncRefresher == nil) {
		return nil, errors.New("credential: set exactly one of Options.Refresher and Options.AsyncRefresher (use NewStatic for a fixed token)")
	}
	p := opts.Policy
	if p == (Policy{}) {
		p = DefaultPolicy
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	c := &Credential{
		clock:     opts.Clock,
		policy:    p,
		async:     opts.AsyncRefresher,
		proactive: opts.RefreshProactively,
		onEvent:   opts.OnEvent,
		jitter:    jitter,
		flights:   map[*flight]struct{}{},
	}
	if opts.Refresher != nil {
		c.async = GoRefresher(opts.Refresher, nil)
	}
	if c.clock == nil {
		c.clock = clock.Real{}
	}
	c.schedT.fire = c.onSchedTimer
	c.freshT.fire = c.onFreshTimer
	if !clock.Steady(c.clock) {
		c.freshT.every = wallRecheck // the wall clock jumps after a laptop sleeps
	}
	if opts.InitialToken != "" {
		tok, err := parseNamed(opts.InitialToken, "initial token (Options.InitialToken)")
		if err != nil {
			return nil, err
		}
		c.token = tok
	}
	return c, nil
}

// open takes and applies New's decisions.
func (c *Credential) open() { c.decide((*Credential).newLocked) }

// newLocked takes New's decisions: publish a fresh initial token, and
// schedule (or start) the proactive refresh.
func (c *Credential) newLocked(now time.Time) {
	c.updateFreshLocked(now)
	if c.proactive {
		c.scheduleLocked(now)
	}
}

// GetToken returns a valid token, refreshing it first if it is expired or
// inside the policy's on-demand buffer. Concurrent callers share one refresh
// (unless the policy does not coalesce). If ctx ends first, GetToken returns
// ctx.Err() and the refresh goes on for the other callers; it is aborted when
// none is left. A static credential returns its token even when expired.
func (c *Credential) GetToken(ctx context.Context) (AccessToken, error) {
	if f := c.fresh.Load(); f != nil {
		return f.tok, nil
	}
	return c.getTokenSlow(ctx)
}

// Cached returns the token GetToken would return without waiting, if the
// credential holds one outside the on-demand buffer: the same single atomic
// load. It lets a caller skip setting up a deadline for a call that cannot wait.
func (c *Credential) Cached() (AccessToken, bool) {
	if f := c.fresh.Load(); f != nil {
		return f.tok, true
	}
	return AccessToken{}, false
}

// getTokenSlow is kept out of GetToken so that the fast path inlines.
//
//go:noinline
func (c *Credential) getTokenSlow(ctx context.Context) (AccessToken, error) {
	return c.wait(ctx, false)
}

// Refresh forces a refresh (joining one already in flight) and returns its
// token. It fails with ErrStatic on a static credential.
func (c *Credential) Refresh(ctx context.Context) (AccessToken, error) {
	return c.wait(ctx, true)
}

// wait is the blocking GetToken (forced=false) or Refresh (forced=true): the
// asynchronous call, waited for until ctx ends, when the call is cancelled.
func (c *Credential) wait(ctx context.Context, forced bool) (AccessToken, error) {
	type result struct {
		tok AccessToken
		err error
	}
	got := make(chan result, 1)
	cancel := c.acquire(forced, ctx.Err, func(tok AccessToken, err error) { got <- result{tok, err} })
	select {
	case r := <-got:
		return r.tok, r.err
	case <-ctx.Done():
		cancel(ctx.Err()) // done runs at once, unless the result is already on its way
		r := <-got
		return r.tok, r.err
	}
}

// Abort cancels the refreshes in flight, if any: their callers get an error
// wrapping ErrAborted and the current token is kept. The credential stays
// usable; a proactive schedule continues from the current token.
func (c *Credential) Abort() { c.decide((*Credential).abortAllLocked) }

// abortAllLocked decides Abort.
func (c *Credential) abortAllLocked(now time.Time) {
	if c.disposed || len(c.flights) == 0 {
		return
	}
	background := false
	for _, f := range c.flightsInOrder() {
		background = background || f.background
		c.abortLocked(f, now, errAbortCalled)
	}
	if background && c.proactive {
		c.continueAfterAbortLocked(now)
	}
}

// Dispose stops the credential: the scheduled refresh is cancelled, the
// refreshes in flight are cancelled and their callers get ErrDisposed, and
// later GetToken calls get ErrDisposed. Nothing is scheduled afterwards, even
// by a refresher that returns late. Dispose is idempotent and does not wait
// for a cancelled refresher to return.
func (c *Credential) Dispose() { c.decide((*Credential).disposeLocked) }

// disposeLocked decides Dispose.
func (c *Credential) disposeLocked(now time.Time) {
	if c.disposed {
		return
	}
	c.disposed = true
	c.stopSchedLocked()
	c.withdrawFreshLocked()
	waiters := 0
	for _, f := range c.flightsInOrder() {
		waiters += f.waiters
		c.abortLocked(f, now, ErrDisposed)
	}
	c.queueLocked(Event{Kind: EventDisposed, At: now, ExpiresOn: c.token.ExpiresOn, Waiters: waiters})
}

// Close disposes of the credential, for io.Closer. It returns nil.
func (c *Credential) Close() error {
	c.Dispose()
	return nil
}

// queueLocked queues an event for delivery by deliver, after c.mu is
// released. Nothing is queued after EventDisposed.
func (c *Credential) queueLocked(e Event) {
	if c.onEvent == nil || c.queueClosed {
		return
	}
	c.queue = append(c.queue, e)
	c.queueClosed = e.Kind == EventDisposed
}

// deliver passes the queued events to the handler, in order; call it without
// holding c.mu, after queueing. Events are delivered by one goroutine at a
// time: if another holds the turn (or this is a handler calling back), that
// one delivers these events too, and deliver returns at once.
//
// No event is stranded: a goroutine that fails to take the turn queued its
// events before trying, and the holder looks at the queue again after giving
// the turn up.
func (c *Credential) deliver() {
	if c.onEvent == nil {
		return
	}
	for c.emitMu.TryLock() {
		for {
			c.mu.Lock()
			evs := c.queue
			if len(evs) == 0 { // keep both buffers: swapping an empty queue would drop one
				c.mu.Unlock()
				break
			}
			c.queue, c.spare = c.spare[:0], nil
			c.mu.Unlock()
			for _, e := range evs {
				c.onEvent(e)
			}
			clear(evs) // let the errors go
			c.mu.Lock()
			c.spare = evs // the next queue, so that a steady flow allocates none
			c.mu.Unlock()
		}
		c.emitMu.Unlock()
		c.mu.Lock()
		more := len(c.queue) > 0
		c.mu.Unlock()
		if !more {
			return
		}
	}
}
