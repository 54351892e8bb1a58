package credential

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestEventsAndSnapshotsTellTheStoryOfARefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		release := make(chan struct{})
		r := &fakeRefresher{next: func(ctx context.Context, n int) (AccessToken, error) {
			<-release
			if err := sleep(ctx, 2*time.Second); err != nil {
				return AccessToken{}, err
			}
			if n == 2 {
				return AccessToken{}, errTest
			}
			return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
		}}
		rec := &recorder{}
		var self atomic.Pointer[Credential]
		var snaps atomic.Int32
		onEvent := func(e Event) {
			rec.on(e)
			if c := self.Load(); c != nil {
				c.Snapshot() // handlers may call Snapshot without deadlock
				snaps.Add(1)
			}
		}
		c, err := newCredential(Options{Refresher: r.refresh, RefreshProactively: true, OnEvent: onEvent},
			func() float64 { return 0 })
		if err != nil {
			t.Fatal(err)
		}
		self.Store(c)
		defer c.Dispose()
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := c.GetToken(context.Background()); err != nil {
				t.Error(err)
			}
		})
		synctest.Wait()
		s := c.Snapshot()
		if s.Phase != PhaseRefreshing || s.Waiters != 1 || s.Attempt != 1 || s.InFlight != 1 || s.Counters.RefresherCalls != 1 {
			t.Fatalf("during the initial refresh: %+v", s)
		}
		close(release)
		wg.Wait()
		synctest.Wait()
		if got, want := rec.kinds(), "started succeeded scheduled"; got != want {
			t.Fatalf("events %q, want %q", got, want)
		}
		ev := rec.events(EventStarted)[0]
		if ev.Reason != ReasonInitial || ev.Attempt != 1 || !ev.At.Equal(start) {
			t.Errorf("started = %+v", ev)
		}
		ok := rec.events(EventSucceeded)[0]
		if ok.Latency != 2*time.Second || !ok.ExpiresOn.Equal(start.Add(time.Hour+2*time.Second)) || ok.Waiters != 1 {
			t.Errorf("succeeded = %+v", ok)
		}
		sc := rec.events(EventScheduled)[0]
		if !sc.NextAt.Equal(ok.ExpiresOn.Add(-10 * time.Minute)) {
			t.Errorf("scheduled = %+v, want NextAt 10 minutes before expiry", sc)
		}
		s = c.Snapshot()
		if s.Phase != PhaseValid || s.Attempt != 0 || !s.LastSuccessAt.Equal(ok.At) || s.Counters.Successes != 1 || s.Policy != "tokentop" {
			t.Errorf("after success: %+v", s)
		}
		// The proactive refresh fails: failed, then retry-scheduled.
		time.Sleep(time.Until(sc.NextAt) + 2*time.Second)
		synctest.Wait()
		if got, want := rec.kinds(), "started succeeded scheduled started failed retry-scheduled"; got != want {
			t.Fatalf("events %q, want %q", got, want)
		}
		f := rec.events(EventFailed)[0]
		if f.Reason != ReasonProactive || !errors.Is(f.Err, errTest) || f.Attempt != 1 {
			t.Errorf("failed = %+v", f)
		}
		rs := rec.events(EventRetryScheduled)[0]
		if rs.Attempt != 2 || rs.NextAt.Sub(rs.At) != time.Second || !errors.Is(rs.Err, errTest) {
			t.Errorf("retry-scheduled = %+v", rs)
		}
		s = c.Snapshot()
		if s.Phase != PhaseRetrying || s.Attempt != 2 || !s.NextRefreshAt.Equal(rs.NextAt) || s.Counters.Failures != 1 {
			t.Errorf("while retrying: %+v", s)
		}
		c.Dispose()
		if got := rec.kinds(); got[len(got)-len("disposed"):] != "disposed" {
			t.Errorf("events %q do not end with disposed", got)
		}
		if snaps.Load() < 6 {
			t.Errorf("handler took %d snapshots, want one per event after the first", snaps.Load())
		}
	})
}

func TestEveryEventKindAndPhaseHasAName(t *testing.T) {
	for k := EventScheduled; k <= EventDisposed; k++ {
		if k.String() == "unknown" || k.String() == "" {
			t.Errorf("EventKind %d has no name", k)
		}
	}
	for p := PhaseIdle; p <= PhaseDisposed; p++ {
		if p.String() == "unknown" {
			t.Errorf("Phase %d has no name", p)
		}
	}
	for r := ReasonInitial; r <= ReasonRetry; r++ {
		if r.String() == "" {
			t.Errorf("Reason %d has no name", r)
		}
	}
}

// Issue 21, item 4: the refresher's Detail travels with its result, in the
// event of the very refresh, and the accepted token with it; a Detail
// returned with an error reaches the failure's event.
func TestEventsCarryTheRefreshersTokenAndDetail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type report struct{ call int }
		r := &fakeRefresher{next: func(ctx context.Context, n int) (AccessToken, error) {
			if n == 2 {
				return AccessToken{Detail: report{n}}, errTest
			}
			return AccessToken{Token: mintJWT(time.Now().Add(time.Hour)), Detail: report{n}}, nil
		}}
		rec := &recorder{}
		c := mustNew(t, Options{Refresher: r.refresh, OnEvent: rec.on})
		defer c.Dispose()
		tok, err := c.GetToken(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Refresh(context.Background()); !errors.Is(err, errTest) {
			t.Fatalf("second refresh: %v, want %v", err, errTest)
		}
		ok := rec.events(EventSucceeded)
		if len(ok) != 1 || ok[0].Token.Token != tok.Token || !ok[0].Token.ExpiresOn.Equal(ok[0].ExpiresOn) || ok[0].Token.Detail != (report{1}) {
			t.Errorf("succeeded events %+v, want one with the token returned (%s) and Detail {1}", ok, expiryOf(t, tok))
		}
		failed := rec.events(EventFailed)
		if len(failed) != 1 || failed[0].Token.Detail != (report{2}) || failed[0].Token.Token != "" {
			t.Errorf("failed events %+v, want one with Detail {2} and no token", failed)
		}
	})
}

func TestReasonsReadAsTheirNamesInJSON(t *testing.T) {
	b, err := json.Marshal(struct{ A, B Reason }{ReasonOnDemand, 0})
	if err != nil || string(b) != `{"A":"on-demand","B":""}` {
		t.Errorf("JSON %s (%v), want the names, empty for none", b, err)
	}
}
