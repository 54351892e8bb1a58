package session

import (
	"context"
	"fmt"
	"sync"
	"time"

	"tokentop/credential"
	"tokentop/internal/clock"
)

// callerState is one simulated caller: a timer on the manager's clock rather
// than a goroutine, so that ten thousand idle callers cost ten thousand
// timers. Guarded by the session's mutex.
type callerState struct {
	timer     clock.Timer
	fire      func() // the timer's callback, made once
	lastToken string // the last token this caller obtained, kept after disposal
}

// startCallers arms each caller's first call one interval from now. All
// callers of a session share the schedule, so they arrive together, as a
// herd would.
func (s *Session) startCallers() {
	if s.spec.Callers == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.callersDone {
		return
	}
	s.callers = make([]callerState, s.spec.Callers)
	for i := range s.callers {
		c := &s.callers[i]
		c.fire = func() { s.callerFires(i) }
		c.timer = s.m.clock.AfterFunc(s.spec.CallInterval, c.fire)
	}
}

// stopCallers stops every caller's timer; calls in progress finish on their
// own.
func (s *Session) stopCallers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callersDone = true
	for i := range s.callers {
		if t := s.callers[i].timer; t != nil {
			t.Stop()
		}
	}
}

// callerFires is caller i's visit: GetToken, then (if the session does
// resource checks) the resource call with the token obtained or, if
// GetToken failed, with the last token the caller holds. Nothing blocks:
// the caller's next visit is armed when its GetToken returns.
func (s *Session) callerFires(i int) {
	last, ok := s.callerToken(i)
	if !ok {
		return
	}
	start := s.m.clock.Now()
	if tok, ok := s.cred().Cached(); ok {
		s.callerCalled(i, start, tok, nil, last)
		return
	}
	s.m.waitAsync(getTokenLimit(s.m), s.cred().GetTokenAsync, func(tok credential.AccessToken, err error) {
		s.callerCalled(i, start, tok, err, last)
	})
}

// callerCalled counts caller i's GetToken, checks the token it then holds at
// the resource and arms its next visit once the check is done.
func (s *Session) callerCalled(i int, start time.Time, tok credential.AccessToken, err error, last string) {
	last = s.called(start, tok, err, last)
	if s.spec.Resource && last != "" && s.m.ctx.Err() == nil {
		if u, ok := s.resource.(urlResource); ok {
			s.checkResourceOffLoop(u, last, func() { s.callerDone(i, last) })
			return
		}
		s.checkResource(s.m.ctx, last)
	}
	s.callerDone(i, last)
}

// callerToken returns the last token caller i holds; ok is false once the
// callers are stopped.
func (s *Session) callerToken(i int) (last string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.callersDone {
		return "", false
	}
	return s.callers[i].lastToken, true
}

// callerDone records the token caller i holds after a call and arms its next.
func (s *Session) callerDone(i int, tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.callers[i]
	c.lastToken = tok
	if !s.callersDone {
		c.timer = s.m.loop.Rearm(c.timer, s.spec.CallInterval, c.fire)
	}
}

// called counts a GetToken call that started at start; it returns the
// token the caller holds afterwards.
func (s *Session) called(start time.Time, tok credential.AccessToken, err error, last string) string {
	s.hot.observeWait(s.m.clock.Since(start))
	s.hot.getTokenCalls.Add(1)
	if err != nil {
		s.hot.getTokenErrors.Add(1)
	} else {
		last = tok.Token
	}
	return last
}

// checkResource checks raw at an in-process resource, which answers at
// once, and counts the verdict.
func (s *Session) checkResource(ctx context.Context, raw string) {
	s.resourceChecked(s.resource.CheckToken(ctx, raw))
}

// checkResourceOffLoop checks raw at a resource URL, which answers over the
// network: the call runs off the loop, like a real issuer's, and its
// verdict is counted on the loop before then runs. (Spec.ResourceURL is
// refused in simulated time, where a network call has no virtual length.)
func (s *Session) checkResourceOffLoop(u urlResource, raw string, then func()) {
	ctx := s.m.ctx
	s.m.offLoop(func() {
		err := u.CheckToken(ctx, raw)
		s.m.loop.Post(func() {
			s.resourceChecked(err)
			then()
		})
	})
}

// resourceChecked counts a resource's verdict on a caller's token; the
// first refusal in a row is an event.
func (s *Session) resourceChecked(err error) {
	if err == nil {
		s.hot.resourceAccepted.Add(1)
		s.mu.Lock()
		s.refusing = false
		s.mu.Unlock()
		return
	}
	s.hot.resourceRefd.Add(1)
	s.mu.Lock()
	first := !s.refusing
	s.refusing = true
	s.mu.Unlock()
	if first {
		s.emit(Event{Kind: KindResource, Message: "the resource refused a caller's token (further refusals are counted, not logged)", Err: err})
	}
}

// burst is one Burst action's shared state.
type burst struct {
	s       *Session
	n       int
	start   time.Time
	toStart int // calls not started yet

	mu     sync.Mutex
	left   int64
	failed int
}

// burstQueue holds the bursts waiting for call slots; only the loop's
// goroutine touches it.
type burstQueue struct {
	queue    []*burst
	inFlight int
	pumping  bool
}

// call is one of the burst's calls; freed runs once it is over.
func (b *burst) call(freed func()) {
	start := b.s.m.clock.Now()
	if tok, ok := b.s.cred().Cached(); ok {
		b.called(start, tok, nil, freed)
		return
	}
	b.s.m.waitAsync(getTokenLimit(b.s.m), b.s.cred().GetTokenAsync, func(tok credential.AccessToken, err error) {
		b.called(start, tok, err, freed)
	})
}

// called counts one call's outcome, checks its token at the resource, and
// then runs freed.
func (b *burst) called(start time.Time, tok credential.AccessToken, err error, freed func()) {
	b.s.called(start, tok, err, "")
	if err == nil && b.s.spec.Resource {
		if u, ok := b.s.resource.(urlResource); ok {
			b.s.checkResourceOffLoop(u, tok.Token, func() {
				b.done(err)
				freed()
			})
			return
		}
		b.s.checkResource(b.s.m.ctx, tok.Token)
	}
	b.done(err)
	freed()
}

// done counts one call's end and reports the burst once all are done.
func (b *burst) done(err error) {
	b.mu.Lock()
	b.left--
	if err != nil {
		b.failed++
	}
	done, failed := b.left == 0, b.failed
	b.mu.Unlock()
	if done {
		b.s.emit(Event{Kind: KindBurstDone, Message: fmt.Sprintf("%d calls, %d failed, all done after %s",
			b.n, failed, formatDuration(b.s.m.clock.Since(b.start)))})
	}
}
