package credential

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// checkEventOrder fails if an outcome (succeeded, failed, rejected, aborted)
// has no "started" before it, or if anything follows "disposed".
func checkEventOrder(t *testing.T, evs []Event) {
	t.Helper()
	open, disposed := 0, false
	for i, e := range evs {
		if disposed {
			t.Fatalf("event %d %v after disposed: %v", i, e.Kind, kindsOf(evs))
		}
		switch e.Kind {
		case EventStarted:
			open++
		case EventSucceeded, EventFailed, EventRejected, EventAborted:
			if open == 0 {
				t.Fatalf("event %d %v without its started: %v", i, e.Kind, kindsOf(evs))
			}
			open--
		case EventDisposed:
			disposed = true
		}
	}
}

func kindsOf(evs []Event) []string {
	var s []string
	for _, e := range evs {
		s = append(s, e.Kind.String())
	}
	return s
}

func TestAFlightAbortedBeforeItRanStillReportsStartedFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRefresher{next: lifetime(time.Hour)}
		rec := &recorder{}
		var c *Credential
		aborted := false
		c, err := build(Options{Refresher: r.refresh, RefreshProactively: true, OnEvent: func(e Event) {
			rec.on(e)
			if e.Kind == EventStarted && !aborted {
				aborted = true
				c.Abort() // events are delivered before the refresh is launched: it has not run
			}
		}}, func() float64 { return 0.5 })
		if err != nil {
			t.Fatal(err)
		}
		c.open() // what New does, with c known to the handler
		synctest.Wait()
		c.Dispose()
		if got, want := rec.kinds(), "started aborted retry-scheduled disposed"; got != want {
			t.Fatalf("events %q, want %q", got, want)
		}
		if s := c.Snapshot(); s.Counters.Aborts != 1 || s.Counters.RefresherCalls != 0 || r.Calls() != 0 {
			t.Fatalf("counters %+v, %d calls; want one abort and no refresher call", s.Counters, r.Calls())
		}
	})
}

// Racing Dispose against a fresh refresh on the real clock: every outcome
// follows its "started" and nothing follows "disposed".
func TestEventsAreWellOrderedWhenDisposeRacesARefresh(t *testing.T) {
	for range 2000 {
		var mu sync.Mutex
		var evs []Event
		on := func(e Event) {
			mu.Lock()
			evs = append(evs, e)
			mu.Unlock()
		}
		c := mustNew(t, Options{Refresher: func(context.Context) (AccessToken, error) {
			return AccessToken{Token: "opaque"}, nil
		}, RefreshProactively: true, OnEvent: on})
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.GetToken(context.Background())
		}()
		c.Dispose()
		<-done
		mu.Lock()
		checkEventOrder(t, evs)
		mu.Unlock()
	}
}

// A handler may call back into the credential (Snapshot, even Abort)
// without deadlocking; the events it causes are delivered after it returns.
func TestAHandlerCallingAbortDoesNotDeadlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRefresher{next: func(ctx context.Context, _ int) (AccessToken, error) {
			<-ctx.Done()
			return AccessToken{}, ctx.Err()
		}}
		rec := &recorder{}
		var c *Credential
		c = mustNew(t, Options{Refresher: r.refresh, OnEvent: func(e Event) {
			rec.on(e)
			if e.Kind == EventStarted && e.Attempt == 1 {
				_ = c.Snapshot()
				c.Abort()
			}
		}})
		defer c.Dispose()
		if _, err := c.GetToken(context.Background()); !errors.Is(err, ErrAborted) {
			t.Fatalf("GetToken = %v, want the abort", err)
		}
		if got := rec.kinds(); got != "started aborted" {
			t.Fatalf("events %q, want the abort's events after the started", got)
		}
	})
}
