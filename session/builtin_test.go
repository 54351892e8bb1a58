package session

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/internal/clock"
	"tokentop/scenario"
)

// playBuiltin runs a built-in scenario headless inside the caller's synctest
// bubble and returns the summary and the decoded JSON lines.
func playBuiltin(t *testing.T, name string) (Summary, map[string]SessionSummary, []map[string]any) {
	t.Helper()
	sc, err := scenario.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := fakeOptions(t, clock.Real{})
	var out bytes.Buffer
	sum, err := RunHeadless(context.Background(), sc, HeadlessOptions{Manager: opts, Out: &out, JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	sc2 := bufio.NewScanner(&out)
	sc2.Buffer(nil, 1<<24)
	for sc2.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc2.Bytes(), &l); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", len(lines)+1, err, sc2.Text())
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 || lines[len(lines)-1]["type"] != "summary" {
		t.Fatalf("the last line is not the summary")
	}
	if sum.EventsDropped != 0 || sum.EventsWritten != sum.EventsPublished || uint64(len(lines)-1) != sum.EventsWritten {
		t.Errorf("events: published %d, written %d, dropped %d, lines %d", sum.EventsPublished, sum.EventsWritten, sum.EventsDropped, len(lines)-1)
	}
	by := map[string]SessionSummary{}
	for _, s := range sum.Sessions {
		by[s.Name] = s
	}
	return sum, by, lines
}

func TestOutageTokentopPolicyKeepsItsTokenWhileJSLetsItLapse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, by, _ := playBuiltin(t, "outage")
		for name, s := range by {
			t.Logf("%-8s issuer calls %3d ok %d failed %3d gap %6.0fs refused %d", name, s.IssuerCalls, s.Successes, s.Failures, s.TokenGapSeconds, s.ResourceRefused)
		}
		tt, js := by["tokentop"], by["js"]
		if tt.TokenGapSeconds != 0 {
			t.Errorf("tokentop token gap %gs, want 0", tt.TokenGapSeconds)
		}
		if tt.Failures == 0 {
			t.Errorf("tokentop saw no failure: the outage did not hit its refresh")
		}
		if js.TokenGapSeconds <= 0 {
			t.Errorf("js token gap %gs, want > 0", js.TokenGapSeconds)
		}
		if tt.ResourceRefused != 0 {
			t.Errorf("tokentop callers were refused %d times, want 0", tt.ResourceRefused)
		}
	})
}

func TestHerdCoalescingPoliciesCallTheIssuerOncePerRefreshJavaOncePerCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, by, _ := playBuiltin(t, "herd")
		for name, s := range by {
			t.Logf("%-8s issuer calls %4d ok %4d GetToken %d max wait %gms", name, s.IssuerCalls, s.Successes, s.GetTokenCalls, s.MaxWaitMS)
		}
		// 90 minutes of 1-hour tokens: a refresh at the first call (1m) and one when the token expires.
		for _, name := range []string{"tokentop", "js", "dotnet", "python"} {
			if got := by[name].IssuerCalls; got != 2 {
				t.Errorf("%s: %d issuer calls, want 2 (one per refresh)", name, got)
			}
		}
		if got := by["java"].IssuerCalls; got != 2*500 {
			t.Errorf("java: %d issuer calls, want %d (one per caller per refresh)", got, 2*500)
		}
		// 500 callers at 1m, 2m, ... 89m (the call at 90m races the end of the run).
		if got := by["tokentop"].GetTokenCalls; got < 500*89 || got%500 != 0 {
			t.Errorf("tokentop: %d GetToken calls, want 500 per minute", got)
		}
	})
}

func TestSignOutRefusesEveryOldTokenAndStopsRefreshing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc, err := scenario.Builtin("signout")
		if err != nil {
			t.Fatal(err)
		}
		m, _ := newTestManager(t)
		if err := m.Start(sc); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30*time.Minute + time.Second)
		synctest.Wait()
		before := map[string]Stats{}
		for _, s := range m.Sessions() {
			before[s.Name()] = s.Stats()
			if s.Stats().ResourceAccepted == 0 {
				t.Fatalf("%s: no resource call was accepted before the sign-out", s.Name())
			}
		}
		time.Sleep(90 * time.Minute) // past every token's expiry and proactive refresh time
		synctest.Wait()
		for _, s := range m.Sessions() {
			b, a := before[s.Name()], s.Stats()
			calls := a.GetTokenCalls - b.GetTokenCalls
			t.Logf("%-13s after sign-out: %d calls, %d accepted, %d refused, %d issuer calls", s.Name(), calls,
				a.ResourceAccepted-b.ResourceAccepted, a.ResourceRefused-b.ResourceRefused, a.IssuerCalls-b.IssuerCalls)
			if calls < 2*80 {
				t.Fatalf("%s: only %d calls after the sign-out; callers should keep calling", s.Name(), calls)
			}
			if s.Spec().Identity == "bob" {
				if a.ResourceRefused != 0 || a.IssuerCalls == b.IssuerCalls {
					t.Errorf("bob: %d refused, %d issuer calls after; bob was not signed out", a.ResourceRefused, a.IssuerCalls-b.IssuerCalls)
				}
				continue
			}
			if a.IssuerCalls != b.IssuerCalls {
				t.Errorf("%s: %d issuer calls after the sign-out, want 0", s.Name(), a.IssuerCalls-b.IssuerCalls)
			}
			if a.ResourceAccepted != b.ResourceAccepted || a.ResourceRefused-b.ResourceRefused != calls {
				t.Errorf("%s: after the sign-out %d accepted and %d refused of %d calls; want every one refused",
					s.Name(), a.ResourceAccepted-b.ResourceAccepted, a.ResourceRefused-b.ResourceRefused, calls)
			}
			if !s.Snapshot().Disposed {
				t.Errorf("%s is not disposed", s.Name())
			}
		}
	})
}

func TestShortLivedTeamsLoopExchangesTwicePerUpstreamTokenAndBothFixesOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, by, lines := playBuiltin(t, "short-lived")
		for name, s := range by {
			t.Logf("%-20s exchanges %d upstream %d ok %d gap %gs", name, s.IssuerCalls, s.UpstreamCalls, s.Successes, s.TokenGapSeconds)
		}
		// Count tokens with 10 minutes or less of validity when they arrived:
		// inside the credential's refresh window from the start.
		short := map[string]int{}
		for _, l := range lines {
			if l["kind"] != string(KindRefreshSucceeded) {
				continue
			}
			at, _ := time.Parse(time.RFC3339Nano, l["at"].(string))
			exp, _ := time.Parse(time.RFC3339Nano, l["expires_on"].(string))
			if exp.Sub(at) <= 10*time.Minute {
				short[l["session"].(string)]++
			}
		}
		loop, force, offset := by["teams-loop"], by["teams-force-refresh"], by["teams-offset-15m"]
		if short["teams-loop"] == 0 {
			t.Errorf("teams-loop never got a token with under 10 minutes left; the loop did not show")
		}
		if short["teams-force-refresh"] != 0 || short["teams-offset-15m"] != 0 {
			t.Errorf("the fixed sessions got short tokens: %v", short)
		}
		// One exchange per upstream token with either fix; the loop spends two.
		for _, s := range []SessionSummary{force, offset} {
			if s.IssuerCalls != s.UpstreamCalls {
				t.Errorf("%s: %d exchanges for %d upstream tokens, want one each", s.Name, s.IssuerCalls, s.UpstreamCalls)
			}
		}
		if loop.IssuerCalls <= loop.UpstreamCalls || loop.IssuerCalls <= force.IssuerCalls {
			t.Errorf("teams-loop: %d exchanges for %d upstream tokens (force-refresh: %d); the loop should cost extra exchanges",
				loop.IssuerCalls, loop.UpstreamCalls, force.IssuerCalls)
		}
		for _, s := range by {
			if s.TokenGapSeconds != 0 || s.Failures != 0 {
				t.Errorf("%s: gap %gs, %d failures; want none", s.Name, s.TokenGapSeconds, s.Failures)
			}
		}
	})
}

func TestDemoKeepsProactiveTokenAndServesExpiredStaticToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, by, _ := playBuiltin(t, "demo")
		for name, s := range by {
			t.Logf("%-13s %s issuer calls %d ok %d failed %d gap %gs accepted %d refused %d", name, s.Policy, s.IssuerCalls, s.Successes, s.Failures, s.TokenGapSeconds, s.ResourceAccepted, s.ResourceRefused)
		}
		alice, bob, carol := by["alice-chat"], by["bob-calling"], by["carol-static"]
		if alice.TokenGapSeconds != 0 || alice.Failures != 2 || alice.ResourceRefused != 0 {
			t.Errorf("alice-chat: gap %gs, %d failures, %d refused; want the 2 injected failures retried with no gap", alice.TokenGapSeconds, alice.Failures, alice.ResourceRefused)
		}
		// On demand, bob refreshes only when a caller finds the token expired:
		// at the first call and twice more in three hours.
		if bob.IssuerCalls != 3 || bob.Failures != 0 {
			t.Errorf("bob-calling: %d issuer calls, %d failures; want 3, 0", bob.IssuerCalls, bob.Failures)
		}
		if carol.IssuerCalls != 1 || carol.Policy != "static" {
			t.Errorf("carol-static: %d issuer calls, policy %s; a static session is issued once", carol.IssuerCalls, carol.Policy)
		}
		// The static 20-minute token keeps being served; the resource refuses it once expired.
		if carol.GetTokenErrors != 0 || carol.ResourceRefused == 0 || carol.TokenGapSeconds < 2*3600 {
			t.Errorf("carol-static: %d GetToken errors, %d refused, gap %gs; want its expired token served and refused", carol.GetTokenErrors, carol.ResourceRefused, carol.TokenGapSeconds)
		}
	})
}
