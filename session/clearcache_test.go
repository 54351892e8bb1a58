package session

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/internal/clock"
	"tokentop/scenario"
)

// newCacheManager is a manager on the fake issuer with cache as its
// Options.Cache (nil for the in-memory one), closed when the test ends.
func newCacheManager(t *testing.T, cache TokenCache) *Manager {
	t.Helper()
	opts, _ := fakeOptions(t, clock.Real{})
	opts.Cache = cache
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// Issue 16: clearing the in-memory cache (no Options.Cache) makes a
// persisted session that restarts ask the issuer instead of resuming.
func TestClearCacheEmptiesTheInMemoryCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newCacheManager(t, nil)
		s, err := m.Add(scenario.Spec{Name: "p", Identity: "alice", Persist: true, Lifetime: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		restartAndGet := func() (uint64, string) {
			t.Helper()
			if err := m.Restart(); err != nil {
				t.Fatal(err)
			}
			synctest.Wait() // the restart runs on the manager's loop
			if _, err := s.Credential().GetToken(context.Background()); err != nil {
				t.Fatal(err)
			}
			return s.Stats().IssuerCalls, s.Snapshot().TokenSource
		}
		if _, err := s.Credential().GetToken(context.Background()); err != nil {
			t.Fatal(err)
		}
		before := s.Stats().IssuerCalls
		if n, src := restartAndGet(); n != before || src != SourceCache {
			t.Fatalf("restart before clearing: %d issuer calls (was %d), source %q; want no new call, %q", n, before, src, SourceCache)
		}
		if err := m.ClearCache(); err != nil {
			t.Fatalf("ClearCache: %v", err)
		}
		if n, src := restartAndGet(); n != before+1 || src == SourceCache {
			t.Errorf("restart after clearing: %d issuer calls (was %d), source %q; want one new call, not %q", n, before, src, SourceCache)
		}
	})
}

// Issue 16: ClearCache clears the configured cache through its Clear method.
func TestClearCacheClearsTheConfiguredCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cache := NewMemoryCache()
		m := newCacheManager(t, cache)
		k := CacheKey{Issuer: "x", Identity: "bob"}
		if err := cache.Save(k, CachedToken{Token: "t", ExpiresOn: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := m.ClearCache(); err != nil {
			t.Fatalf("ClearCache: %v", err)
		}
		if _, ok, _ := cache.Load(k); ok {
			t.Error("the configured cache still holds the token after ClearCache")
		}
	})
}

// loadSaveOnly is a TokenCache without a Clear method.
type loadSaveOnly struct{}

func (loadSaveOnly) Load(CacheKey) (CachedToken, bool, error) { return CachedToken{}, false, nil }
func (loadSaveOnly) Save(CacheKey, CachedToken) error         { return nil }
func (loadSaveOnly) Evict(string, string) error               { return nil }

// failingClear is a TokenCache whose Clear fails.
type failingClear struct{ loadSaveOnly }

func (failingClear) Clear() error { return errors.New("disk on fire") }

// Issue 16: a cache that cannot be cleared, a Clear that fails and a closed
// manager each give an error that says so.
func TestClearCacheErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		if err := newCacheManager(t, loadSaveOnly{}).ClearCache(); !errors.Is(err, ErrNoCacheToClear) {
			t.Errorf("cache without Clear: err = %v, want ErrNoCacheToClear", err)
		}
		if err := newCacheManager(t, failingClear{}).ClearCache(); err == nil || err.Error() != "token cache: disk on fire" {
			t.Errorf("failing Clear: err = %v, want it wrapped", err)
		}
		m := newCacheManager(t, nil)
		m.Close()
		if err := m.ClearCache(); !errors.Is(err, ErrClosed) {
			t.Errorf("closed manager: err = %v, want ErrClosed", err)
		}
	})
}
