package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/charmbracelet/x/ansi"

	"tokentop/session"
)

// Issue 16: C asks before clearing the token cache, like d and s; only y
// clears it, once, and the status says so.
func TestClearCacheKeyAsksThenClearsOnce(t *testing.T) {
	f := demoBackend(testNow)
	d := newDriver(t, f, Options{NoColor: true, Cache: "in memory (this run only)"}, 120, 30)
	d.keys("C")
	if got := d.screen(); !strings.Contains(got, "Clear the token cache") {
		t.Fatalf("C did not ask for confirmation; screen:\n%s", got)
	}
	if calls := f.Calls(); len(calls) != 0 {
		t.Fatalf("C reached the backend before the user confirmed: %v", calls)
	}
	d.keys("y")
	if calls := f.Calls(); !slices.Equal(calls, []string{"clearcache"}) {
		t.Errorf("C then y: calls %v, want one clearcache", calls)
	}
	if want := "token cache cleared"; d.m.status != want {
		t.Errorf("status %q, want %q", d.m.status, want)
	}
	if strings.Contains(d.screen(), "Clear the token cache") {
		t.Error("the prompt stayed after y")
	}
}

func TestClearCacheKeyCancelledWithNOrEscClearsNothing(t *testing.T) {
	for _, no := range []string{"n", "esc"} {
		f := demoBackend(testNow)
		d := newDriver(t, f, Options{NoColor: true, Cache: "in memory (this run only)"}, 120, 30)
		d.keys("C", no)
		if calls := f.Calls(); len(calls) != 0 {
			t.Errorf("C then %s: calls %v, want none", no, calls)
		}
		if d.m.status != "cancelled" || strings.Contains(d.screen(), "Clear the token cache") {
			t.Errorf("C then %s: status %q, prompt still shown: %v", no, d.m.status, strings.Contains(d.screen(), "Clear the token cache"))
		}
	}
}

func TestClearCacheKeyShowsTheError(t *testing.T) {
	f := demoBackend(testNow)
	f.err = errors.New("token cache: disk on fire")
	d := newDriver(t, f, Options{NoColor: true, Cache: "in memory (this run only)"}, 120, 30)
	d.keys("C", "y")
	if want := "clear the token cache failed: token cache: disk on fire"; ansi.Strip(d.m.status) != want {
		t.Errorf("status %q, want %q", d.m.status, want)
	}
}

// The manager adapter clears the manager's cache.
func TestClearCacheKeyClearsTheManagersCache(t *testing.T) {
	withManager(t, Options{Cache: "in memory (this run only)"}, func(t *testing.T, _ *session.Manager, _ *testIssuer, d *driver) {
		d.keys("C", "y")
		synctest.Wait()
		if want := "token cache cleared"; d.m.status != want {
			t.Errorf("status %q, want %q", d.m.status, want)
		}
	})
}

// Issue 23: C with no cache configured said "token cache cleared".
func TestClearCacheKeyWithoutACacheSaysThereIsNone(t *testing.T) {
	f := demoBackend(testNow)
	d := newDriver(t, f, Options{NoColor: true}, 120, 30)
	d.keys("C")
	if d.m.mode != modeNormal || len(f.Calls()) != 0 {
		t.Errorf("C without a cache: mode %v, calls %v", d.m.mode, f.Calls())
	}
	if want := "no token cache to clear: no session persists its tokens (persist=true)"; d.m.status != want {
		t.Errorf("status %q, want %q", d.m.status, want)
	}
}
