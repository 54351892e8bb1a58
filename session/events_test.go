package session

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/credential"
	"tokentop/scenario"
)

func TestEventLogKeepsTheLastThousandAndCountsOlderOnes(t *testing.T) {
	l := newEventLog(0)
	for i := range 2500 {
		l.add(Event{Seq: uint64(i + 1)})
	}
	got := l.events()
	if len(got) != DefaultLogSize || l.dropped != 1500 {
		t.Fatalf("kept %d, dropped %d; want 1000, 1500", len(got), l.dropped)
	}
	for i, e := range got {
		if e.Seq != uint64(1501+i) {
			t.Fatalf("event %d has seq %d, want %d (oldest first)", i, e.Seq, 1501+i)
		}
	}
}

func TestSlowSubscriberLosesOldestEventsAndTheLossIsCounted(t *testing.T) {
	sub := newSubscription(3, nil)
	for i := range 10 {
		sub.send(Event{Seq: uint64(i + 1), Session: fmt.Sprint("s", i%2)})
	}
	if sub.Offered() != 10 || sub.Dropped() != 7 || sub.DroppedFor("s0")+sub.DroppedFor("s1") != 7 {
		t.Fatalf("dropped %d (s0 %d, s1 %d), want 7", sub.Dropped(), sub.DroppedFor("s0"), sub.DroppedFor("s1"))
	}
	sub.Close()
	var seqs []uint64
	for e := range sub.C() {
		seqs = append(seqs, e.Seq)
	}
	if fmt.Sprint(seqs) != "[8 9 10]" {
		t.Errorf("kept %v, want the newest [8 9 10]", seqs)
	}
	sub.send(Event{Seq: 11}) // after Close: ignored, no panic
}

func TestPublishingNeverBlocksOnAnUnreadSubscription(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		sub := m.Subscribe(1) // never read
		s := mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", Proactive: true, Lifetime: time.Hour, Callers: 5, CallInterval: time.Second})
		time.Sleep(3 * time.Hour)
		if st := s.Stats(); st.Successes < 4 || sub.Dropped() == 0 {
			t.Fatalf("successes %d, dropped %d: the credential stalled or nothing overflowed", st.Successes, sub.Dropped())
		}
		if sub.Dropped() != m.Published()-1 {
			t.Errorf("dropped %d of %d published, want all but the one buffered", sub.Dropped(), m.Published())
		}
	})
}

func TestSessionLogIsBoundedAndInPublishOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opts, _ := fakeOptions(t, clockReal())
		opts.LogSize = 10
		m, err := NewManager(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		s := mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", Proactive: true, Lifetime: time.Hour})
		time.Sleep(10*time.Hour + time.Second)
		synctest.Wait()
		events, older := s.Events()
		st := s.Stats()
		if len(events) != 10 || older != st.EventsLogged-10 || st.EventsOlder != older {
			t.Fatalf("kept %d, older %d, logged %d", len(events), older, st.EventsLogged)
		}
		for i := 1; i < len(events); i++ {
			if events[i].Seq <= events[i-1].Seq || events[i].At.Before(events[i-1].At) {
				t.Fatalf("events out of order: %+v then %+v", events[i-1], events[i])
			}
		}
	})
}

func TestEventTextStatesAFailureOnceNotAgainOnItsRetry(t *testing.T) {
	cause := errors.New("issuer answered 503")
	failed := Event{Kind: KindRefreshFailed, Reason: credential.ReasonProactive, Err: cause}.Text()
	retry := Event{Kind: KindRetryScheduled, Reason: credential.ReasonRetry, Attempt: 2, Err: cause}.Text()
	if !strings.Contains(failed, cause.Error()) {
		t.Errorf("refresh-failed text %q: want the cause", failed)
	}
	if strings.Contains(retry, cause.Error()) {
		t.Errorf("retry-scheduled text %q repeats the cause the failure just logged", retry)
	}
}
