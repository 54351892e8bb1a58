package session

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/scenario"
)

func TestHeadlessJSONLinesCarryTypeSessionTimeAndKind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sum, _, lines := playBuiltin(t, "signout")
		prev := 0.0
		for i, l := range lines[:len(lines)-1] {
			if seq := l["seq"].(float64); seq != prev+1 {
				t.Fatalf("line %d has seq %v after %v; lines must be in publish order, none missing", i+1, seq, prev)
			}
			prev = l["seq"].(float64)
			if l["type"] != "event" || l["kind"] == "" || l["at"] == nil || l["t"] == nil {
				t.Fatalf("line %d lacks type, kind or time: %v", i+1, l)
			}
			if _, ok := l["session"]; !ok {
				t.Fatalf("line %d has no session: %v", i+1, l)
			}
		}
		last := lines[len(lines)-1]
		for _, k := range []string{"scenario", "virtual_seconds", "sessions", "totals"} {
			if _, ok := last[k]; !ok {
				t.Errorf("summary lacks %q", k)
			}
		}
		s0 := last["sessions"].([]any)[0].(map[string]any)
		for _, k := range []string{"name", "identity", "policy", "issuer_calls", "successes", "failures", "aborts",
			"get_token_calls", "max_wait_ms", "token_gap_seconds", "resource_accepted", "resource_refused", "events_dropped"} {
			if _, ok := s0[k]; !ok {
				t.Errorf("session summary lacks %q", k)
			}
		}
		if sum.VirtualSeconds != 3600 || sum.Scenario != "signout" {
			t.Errorf("scenario %q ran %gs, want signout for 3600s", sum.Scenario, sum.VirtualSeconds)
		}
		var refused uint64
		for _, s := range sum.Sessions {
			refused += s.ResourceRefused
		}
		if sum.Totals.ResourceRefused != refused || sum.Totals.ResourceRefused == 0 {
			t.Errorf("totals refused %d, sum of sessions %d", sum.Totals.ResourceRefused, refused)
		}
	})
}

func TestHeadlessTextModeWritesReadableLinesAndASummaryTable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc, _ := scenario.Builtin("demo")
		opts, _ := fakeOptions(t, clockReal())
		var out bytes.Buffer
		if _, err := RunHeadless(context.Background(), sc, HeadlessOptions{Manager: opts, Duration: time.Hour, Out: &out}); err != nil {
			t.Fatal(err)
		}
		text := out.String()
		for _, want := range []string{"alice-chat", "refresh-succeeded (initial)", "+0:50:00.000", "scenario demo: 1h of virtual time", "total"} {
			if !strings.Contains(text, want) {
				t.Errorf("output lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, `"type"`) {
			t.Error("text mode wrote JSON")
		}
	})
}

func TestHeadlessStopsEarlyWhenItsContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc, _ := scenario.Builtin("demo")
		opts, _ := fakeOptions(t, clockReal())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		sum, err := RunHeadless(ctx, sc, HeadlessOptions{Manager: opts})
		if err != nil {
			t.Fatal(err)
		}
		if !sum.Interrupted || sum.VirtualSeconds != 600 {
			t.Errorf("interrupted %v after %gs, want true after 600s", sum.Interrupted, sum.VirtualSeconds)
		}
	})
}

func TestRampUpAddsSessionsEvenlyOverTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		sc := scenario.Scenario{Name: "ramp", RampUp: 10 * time.Minute, Sessions: copies(scenario.Spec{Name: "s", Identity: "u"}, 10)}
		if err := m.Start(sc); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the first add is a step of the manager's loop, due now
		if n := len(m.Sessions()); n != 1 {
			t.Fatalf("%d sessions at the start, want 1", n)
		}
		time.Sleep(5*time.Minute + time.Second)
		if n := len(m.Sessions()); n != 6 {
			t.Errorf("%d sessions after 5 minutes, want 6", n)
		}
		time.Sleep(5 * time.Minute)
		if n := len(m.Sessions()); n != 10 {
			t.Errorf("%d sessions after the ramp-up, want 10", n)
		}
	})
}

func TestIssueInitialSeedsTheCredentialBeforeAddReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		s := mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", IssueInitial: true, Lifetime: time.Hour})
		snap := s.Snapshot()
		if snap.Token == "" || snap.Stats.IssuerCalls != 1 || !snap.ExpiresOn.Equal(time.Now().Add(time.Hour)) {
			t.Errorf("token %v, issuer calls %d, expires %s", snap.Token != "", snap.Stats.IssuerCalls, snap.ExpiresOn)
		}
		if _, ok := lastEvent(s, KindStaticIssued); !ok {
			t.Error("no initial-token-issued event")
		}
	})
}

func TestTeamsSessionNeedsAnIssuerThatExchanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opts, fake := fakeOptions(t, clockReal())
		opts.Issuer = plainIssuer{fake}
		m, _ := NewManager(opts)
		defer m.Close()
		_, err := m.Add(scenario.Spec{Name: "t", Identity: "x", Teams: &scenario.TeamsSpec{}})
		if err == nil || !strings.Contains(err.Error(), "exchange") {
			t.Errorf("error %v", err)
		}
	})
}
