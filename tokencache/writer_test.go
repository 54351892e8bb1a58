package tokencache

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

// recordingStore is a Batcher that records each Apply and can hold it until
// released.
type recordingStore struct {
	Batcher
	gate chan struct{} // nil: Apply does not wait
	fail error

	mu      sync.Mutex
	applied []Change
}

func (s *recordingStore) Apply(c Change) error {
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	s.applied = append(s.applied, c)
	s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	return s.Batcher.Apply(c)
}

func (s *recordingStore) changes() []Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Change(nil), s.applied...)
}

// Issue 20, defect 5: saves queued while a write is under way are
// coalesced by key (the newest token wins) and written in one Apply; Load
// sees queued tokens before they are written; Close writes the rest and
// leaves no goroutine.
func TestWriterCoalescesSavesAndWritesThemInOneBatch(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := openTest(t, filepath.Join(t.TempDir(), "tokens.cache"), &fakeNow{epoch}, nil)
	rs := &recordingStore{Batcher: f, gate: make(chan struct{})}
	w := NewWriter(rs, time.Minute)
	w.SetClock((&fakeNow{epoch}).now)
	k := func(id string) Key { return Key{Issuer: "i", Config: "c", Identity: id} }
	mustSave(t, w, k("first"), Entry{Token: "t0", ExpiresOn: epoch.Add(time.Hour)})
	// The goroutine now holds the first batch at the gate; these queue.
	for n := range 1000 {
		mustSave(t, w, k("alice"), Entry{Token: "t" + string(rune('a'+n%26)), ExpiresOn: epoch.Add(time.Hour)})
		mustSave(t, w, k("bob"), Entry{Token: "b", ExpiresOn: epoch.Add(time.Hour)})
	}
	mustSave(t, w, k("alice"), Entry{Token: "newest", ExpiresOn: epoch.Add(time.Hour)})
	if e, ok := mustLoad(t, w, k("alice")); !ok || e.Token != "newest" {
		t.Errorf("Load of a queued token: %v %v, want the newest", e, ok)
	}
	close(rs.gate)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(rs.changes()); n > 2 {
		t.Errorf("%d writes for 2001 saves of 3 keys; want at most 2", n)
	}
	for _, c := range rs.changes() {
		if len(c.Save) > 3 {
			t.Errorf("a batch of %d saves for 3 keys: not coalesced", len(c.Save))
		}
	}
	if e, ok := mustLoad(t, f, k("alice")); !ok || e.Token != "newest" {
		t.Errorf("the file holds %v %v for alice, want the newest token", e, ok)
	}
}

// Issue 20, defect 2: an eviction drops the identity's queued tokens and,
// once written, its saved ones; Load does not see them in between.
func TestWriterEvictionHidesQueuedAndSavedTokens(t *testing.T) {
	f := openTest(t, filepath.Join(t.TempDir(), "tokens.cache"), &fakeNow{epoch}, nil)
	e := Entry{Token: "t", ExpiresOn: epoch.Add(time.Hour)}
	saved := Key{Issuer: "i", Config: "c", Identity: "alice", Scopes: []string{"chat"}}
	mustSave(t, f, saved, e)
	rs := &recordingStore{Batcher: f, gate: make(chan struct{})}
	w := NewWriter(rs, time.Minute)
	w.SetClock((&fakeNow{epoch}).now)
	queued := Key{Issuer: "i", Config: "c", Identity: "alice", Scopes: []string{"voip"}}
	mustSave(t, w, queued, e)
	if err := w.Evict("i", "alice"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []Key{saved, queued} {
		if _, ok := mustLoad(t, w, k); ok {
			t.Errorf("Load %v after the eviction found a token", k)
		}
	}
	close(rs.gate)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []Key{saved, queued} {
		if _, ok := mustLoad(t, f, k); ok {
			t.Errorf("the file still holds %v after the eviction", k)
		}
	}
}

// Issue 20, defect 5: Close waits at most its flush timeout for a write
// that hangs (a file locked by another process), then names what was not
// saved; the goroutine ends once the write returns.
func TestWriterCloseGivesUpAfterItsTimeoutAndNamesWhatWasNotSaved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := openTest(t, filepath.Join(t.TempDir(), "tokens.cache"), &fakeNow{epoch}, nil)
		rs := &recordingStore{Batcher: f, gate: make(chan struct{})}
		w := NewWriter(rs, 0)
		mustSave(t, w, Key{Issuer: "i", Identity: "alice"}, Entry{Token: "t", ExpiresOn: epoch.Add(time.Hour)})
		synctest.Wait() // alice's batch is held at the gate
		mustSave(t, w, Key{Issuer: "i", Identity: "bob"}, Entry{Token: "t", ExpiresOn: epoch.Add(time.Hour)})
		start := time.Now()
		err := w.Close()
		if waited := time.Since(start); waited != DefaultFlushTimeout {
			t.Errorf("Close waited %v, want the flush timeout %v", waited, DefaultFlushTimeout)
		}
		if !errors.Is(err, ErrFlushTimeout) || !strings.Contains(err.Error(), "2 tokens were not saved (of alice, bob)") {
			t.Errorf("Close: %v; want ErrFlushTimeout naming alice and bob", err)
		}
		close(rs.gate) // the hung write returns; the goroutine writes bob and ends
		synctest.Wait()
	})
}

// Issue 20, defect 5: a failed background write is reported once, by the
// next Save or Evict, saying how many tokens were lost.
func TestWriterReportsAFailedWriteOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := openTest(t, filepath.Join(t.TempDir(), "tokens.cache"), &fakeNow{epoch}, nil)
		rs := &recordingStore{Batcher: f, fail: errors.New("disk full")}
		w := NewWriter(rs, time.Minute)
		defer w.Close()
		mustSave(t, w, Key{Issuer: "i", Identity: "alice"}, Entry{Token: "t", ExpiresOn: epoch.Add(time.Hour)})
		synctest.Wait() // the write has failed
		rs.fail = nil
		err := w.Evict("i", "nobody")
		if err == nil || !strings.Contains(err.Error(), "failed: disk full (1 tokens not saved)") {
			t.Errorf("first call after the failure: %v; want it reported, counting 1 token lost", err)
		}
		synctest.Wait()
		if err := w.Evict("i", "nobody"); err != nil {
			t.Errorf("second call: %v; want the failure reported once only", err)
		}
	})
}

// Clear through the writer drops queued and written tokens and returns once
// the store is cleared.
func TestWriterClearDropsQueuedAndWrittenTokens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := openTest(t, filepath.Join(t.TempDir(), "tokens.cache"), &fakeNow{epoch}, nil)
		e := Entry{Token: "t", ExpiresOn: epoch.Add(time.Hour)}
		written, queued := Key{Issuer: "i", Identity: "alice"}, Key{Issuer: "i", Identity: "bob"}
		mustSave(t, f, written, e)
		w := NewWriter(f, 0)
		defer w.Close()
		w.SetClock((&fakeNow{epoch}).now)
		mustSave(t, w, queued, e)
		if err := w.Clear(); err != nil {
			t.Fatal(err)
		}
		for _, k := range []Key{written, queued} {
			if _, ok := mustLoad(t, w, k); ok {
				t.Errorf("%v survived Clear", k)
			}
			if _, ok := mustLoad(t, f, k); ok {
				t.Errorf("the file still holds %v after Clear", k)
			}
		}
	})
}
