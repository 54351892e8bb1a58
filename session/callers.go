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
// own (the manager waits for them).
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

func (s *Session) callerFires(i int) {
	if s.m.loop != nil {
		s.callerFiresOnLoop(i)
		return
	}
	if !s.m.enter() {
		return
	}
	defer s.m.wg.Done()
	last, ok := s.callerToken(i)
	if !ok {
		return
	}
	s.callerDone(i, s.call(last))
}

// callerFiresOnLoop is callerFires on an event loop, where nothing blocks:
// the caller's next call is armed when its GetToken returns.
func (s *Session) callerFiresOnLoop(i int) {
	last, ok := s.callerToken(i)
	if !ok {
		return
	}
	start := s.m.clock.Now()
	if tok, ok := s.cred().Cached(); ok {
		s.callerDone(i, s.called(s.m.ctx, start, tok, nil, last))
		return
	}
	s.m.waitAsync(getTokenLimit(s.m), s.cred().GetTokenAsync, func(tok credential.AccessToken, err error) {
		s.callerDone(i, s.called(s.m.ctx, start, tok, err, last))
	})
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
		c.timer = s.m.rearm(c.timer, s.spec.CallInterval, c.fire)
	}
}

// call is one caller's visit: GetToken, then (if the session does resource
// checks) the resource call with the token obtained or, if GetToken failed,
// with the last token the caller holds. It returns the token the caller
// holds afterwards. A fresh cached token costs no deadline timer.
func (s *Session) call(last string) string {
	start := s.m.clock.Now()
	if tok, ok := s.cred().Cached(); ok {
		return s.called(s.m.ctx, start, tok, nil, last)
	}
	ctx, cancel := s.m.deadline(s.m.ctx, getTokenLimit(s.m))
	defer cancel()
	tok, err := s.cred().GetToken(ctx)
	return s.called(ctx, start, tok, err, last)
}

// called counts a GetToken call that started at start and checks the token
// at the resource; it returns the token the caller holds afterwards.
func (s *Session) called(ctx context.Context, start time.Time, tok credential.AccessToken, err error, last string) string {
	s.hot.observeWait(s.m.clock.Since(start))
	s.hot.getTokenCalls.Add(1)
	if err != nil {
		s.hot.getTokenErrors.Add(1)
	} else {
		last = tok.Token
	}
	if s.spec.Resource && last != "" && s.m.ctx.Err() == nil {
		s.checkResource(ctx, last)
	}
	return last
}

func (s *Session) checkResource(ctx context.Context, raw string) {
	err := s.resource.CheckToken(ctx, raw)
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
	toStart int // calls not started yet (event loop only)

	mu     sync.Mutex
	left   int64
	failed int
}

// burstQueue holds the bursts waiting for call slots on an event loop; only
// the loop's goroutine touches it.
type burstQueue struct {
	queue    []*burst
	inFlight int
	pumping  bool
}

func (b *burst) call() {
	start := b.s.m.clock.Now()
	if tok, ok := b.s.cred().Cached(); ok {
		b.called(b.s.m.ctx, start, tok, nil)
		return
	}
	ctx, cancel := b.s.m.deadline(b.s.m.ctx, getTokenLimit(b.s.m))
	defer cancel()
	tok, err := b.s.cred().GetToken(ctx)
	b.called(ctx, start, tok, err)
}

// callOnLoop is call on an event loop; freed runs once the call is over.
func (b *burst) callOnLoop(freed func()) {
	start := b.s.m.clock.Now()
	if tok, ok := b.s.cred().Cached(); ok {
		b.called(b.s.m.ctx, start, tok, nil)
		freed()
		return
	}
	b.s.m.waitAsync(getTokenLimit(b.s.m), b.s.cred().GetTokenAsync, func(tok credential.AccessToken, err error) {
		b.called(b.s.m.ctx, start, tok, err)
		freed()
	})
}

// called counts one call's outcome and reports the burst once all are done.
func (b *burst) called(ctx context.Context, start time.Time, tok credential.AccessToken, err error) {
	b.s.hot.observeWait(b.s.m.clock.Since(start))
	b.s.hot.getTokenCalls.Add(1)
	if err != nil {
		b.s.hot.getTokenErrors.Add(1)
	} else if b.s.spec.Resource {
		b.s.checkResource(ctx, tok.Token)
	}
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
