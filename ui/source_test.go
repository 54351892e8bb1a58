package ui

import (
	"strings"
	"testing"
	"testing/synctest"

	"tokentop/scenario"
	"tokentop/session"
)

// Issue 16: the detail pane says where the selected session's token came
// from ("from cache" after a restart), and the header names the cache.
func TestDetailShowsTokenSourceAndHeaderTheCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		iss := &testIssuer{}
		cache := session.NewMemoryCache()
		spec := scenario.Spec{Name: "kept", Identity: "alice", Proactive: true, Persist: true, IssueInitial: true}
		first, err := session.NewManager(session.Options{Issuer: iss, Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := first.Add(spec); err != nil {
			t.Fatal(err)
		}
		first.Close()
		mgr, err := session.NewManager(session.Options{Issuer: iss, Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		defer mgr.Close()
		if _, err := mgr.Add(spec); err != nil {
			t.Fatal(err)
		}
		if _, err := mgr.Add(scenario.Spec{Name: "fresh", Identity: "bob", Proactive: true}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		model := NewModel(mgr, Options{Cache: "encrypted file /tmp/tokens.cache"})
		d := &driver{t: t, m: model}
		d.send(windowSize(120, 30))
		d.send(frameMsg{frame: model.be.Frame("")})
		screen := d.screen()
		for _, want := range []string{"cache: encrypted file /tmp/tokens.cache", "from cache"} {
			if !strings.Contains(screen, want) {
				t.Errorf("screen lacks %q:\n%s", want, screen)
			}
		}
		d.keys("down")
		if screen := d.screen(); !strings.Contains(screen, "from issuer") {
			t.Errorf("the refreshed session's detail lacks \"from issuer\":\n%s", screen)
		}
	})
}
