package credential

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/internal/clock"
)

// manualClock is a clock whose time and timers the test drives by hand.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*manualTimer
}

type manualTimer struct {
	clock   *manualClock
	d       time.Duration
	f       func()
	stopped bool
}

func (m *manualClock) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

func (m *manualClock) Since(t time.Time) time.Duration { return m.Now().Sub(t) }

func (m *manualClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := &manualTimer{clock: m, d: d, f: f}
	m.timers = append(m.timers, t)
	return t
}

func (t *manualTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// pending returns the timers neither stopped nor fired.
func (m *manualClock) pending() []*manualTimer {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*manualTimer
	for _, t := range m.timers {
		if !t.stopped {
			out = append(out, t)
		}
	}
	return out
}

// fire runs t's callback now, whatever its delay.
func (m *manualClock) fire(t *manualTimer) {
	m.mu.Lock()
	t.stopped = true
	m.mu.Unlock()
	t.f()
}

func (m *manualClock) set(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = now
}

// A year-3000 token is ~974 years away, beyond any timer's range: the delay
// is clamped, and a clamped timer that fires before the due time re-arms
// instead of refreshing early.
func TestTimersBeyondRangeAreClampedAndNeverFireEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &manualClock{now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
		exp := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
		r := &fakeRefresher{next: lifetime(time.Hour)}
		c := mustNew(t, Options{Refresher: r.refresh, InitialToken: mintJWT(exp), RefreshProactively: true, Clock: m})
		defer c.Dispose()
		if got, want := c.Snapshot().NextRefreshAt, exp.Add(-10*time.Minute); !got.Equal(want) {
			t.Fatalf("NextRefreshAt = %v, want %v", got, want)
		}
		var clamped *manualTimer
		for _, tm := range m.pending() {
			if tm.d <= 0 || tm.d > clock.MaxTimerDelay {
				t.Fatalf("timer armed for %v, outside (0, MaxTimerDelay]", tm.d)
			}
			if tm.d == clock.MaxTimerDelay {
				clamped = tm
			}
		}
		if clamped == nil {
			t.Fatal("no timer clamped to MaxTimerDelay")
		}
		m.set(m.Now().Add(clock.MaxTimerDelay)) // the clamped delay has passed, the due time has not
		m.fire(clamped)
		synctest.Wait()
		if r.Calls() != 0 {
			t.Fatalf("a clamped timer refreshed early (%d calls)", r.Calls())
		}
		if got, want := c.Snapshot().NextRefreshAt, exp.Add(-10*time.Minute); !got.Equal(want) {
			t.Fatalf("after the early fire NextRefreshAt = %v, want %v", got, want)
		}
		m.set(exp.Add(-10 * time.Minute))
		for _, tm := range m.pending() { // the re-armed schedule and the freshness re-check
			m.fire(tm)
		}
		synctest.Wait()
		if r.Calls() != 1 {
			t.Fatalf("refresher calls = %d at the due time, want 1", r.Calls())
		}
	})
}

func TestProactiveScheduleOfAFarFutureTokenIsExact(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exp := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	if at := DefaultPolicy.proactiveAt(AccessToken{ExpiresOn: exp}, now); !at.Equal(exp.Add(-10 * time.Minute)) {
		t.Fatalf("proactiveAt = %v, want 10 minutes before %v", at, exp)
	}
}

// jumpClock is the real (bubbled) clock whose wall time can jump without
// firing timers, like a laptop waking from sleep.
type jumpClock struct{ offset atomic.Int64 }

func (j *jumpClock) Now() time.Time                                  { return time.Now().Add(time.Duration(j.offset.Load())) }
func (j *jumpClock) Since(t time.Time) time.Duration                 { return j.Now().Sub(t) }
func (j *jumpClock) AfterFunc(d time.Duration, f func()) clock.Timer { return time.AfterFunc(d, f) }
func (j *jumpClock) jump(d time.Duration)                            { j.offset.Add(int64(d)) }

func TestNoTokenIsServedMoreThanOneSecondPastExpiryAfterAWallClockJump(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &jumpClock{}
		r := &fakeRefresher{next: func(context.Context, int) (AccessToken, error) {
			return AccessToken{Token: mintJWT(j.Now().Add(time.Hour))}, nil
		}}
		old := mintJWT(j.Now().Add(time.Hour))
		c := mustNew(t, Options{Refresher: r.refresh, InitialToken: old, Clock: j})
		defer c.Dispose()
		j.jump(2 * time.Hour) // the machine slept through the expiry
		time.Sleep(time.Second)
		synctest.Wait()
		tok, err := c.GetToken(context.Background())
		if err != nil || tok.Token == old || !tok.ExpiresOn.After(j.Now()) || r.Calls() != 1 {
			t.Fatalf("1 s after the jump GetToken = %v (expires %v, now %v), want a fresh token", err, tok.ExpiresOn, j.Now())
		}
	})
}

func TestProactiveRefreshCatchesUpAfterAWallClockJump(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &jumpClock{}
		r := &fakeRefresher{next: func(context.Context, int) (AccessToken, error) {
			return AccessToken{Token: mintJWT(j.Now().Add(time.Hour))}, nil
		}}
		c := mustNew(t, Options{Refresher: r.refresh, InitialToken: mintJWT(j.Now().Add(time.Hour)), Clock: j, RefreshProactively: true})
		defer c.Dispose()
		j.jump(55 * time.Minute) // now inside the window; the schedule's timer is 50 minutes away
		time.Sleep(time.Second)
		synctest.Wait()
		if r.Calls() != 1 {
			t.Fatalf("refresher calls = %d 1 s after the jump, want 1", r.Calls())
		}
	})
}

// A loop paced at 60x warps time; the credential follows it.
func TestCredentialRunsOnAPacedLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := clock.NewPaced(time.Now(), 60)
		defer s.Go()()
		r := &fakeRefresher{next: func(context.Context, int) (AccessToken, error) {
			return AccessToken{Token: mintJWT(s.Now().Add(time.Hour))}, nil
		}}
		c := mustNew(t, Options{Refresher: r.refresh, InitialToken: mintJWT(s.Now().Add(time.Hour)), Clock: s, RefreshProactively: true})
		defer c.Dispose()
		time.Sleep(50*time.Second - time.Millisecond) // 50 virtual minutes, less a bit
		synctest.Wait()
		if r.Calls() != 0 {
			t.Fatalf("refreshed early on the paced loop")
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		if r.Calls() != 1 {
			t.Fatalf("refresher calls = %d after 50 virtual minutes, want 1", r.Calls())
		}
	})
}
