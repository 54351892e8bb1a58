package session

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/credential"
	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/issuer"
	"tokentop/scenario"
)

// playText plays sc headless in sim time for d and returns the text output.
func playText(t *testing.T, sc scenario.Scenario, d time.Duration) (Summary, string) {
	t.Helper()
	opts, _ := fakeOptions(t, clock.NewSim(sc.StartTime()))
	var out bytes.Buffer
	sum, err := RunHeadless(context.Background(), sc, HeadlessOptions{Manager: opts, Duration: d, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	return sum, out.String()
}

// Issue 14, bug 13: summary rows in random order, and a time column that
// lost its alignment past 12 characters.
func TestHeadlessTextRowsInNaturalOrderAndEveryColumnAligned(t *testing.T) {
	sc := scenario.Scenario{Name: "order", Sessions: []scenario.Spec{
		{Name: "zed", Identity: "z", Proactive: true, Lifetime: 24 * time.Hour},
		{Name: "s-10", Identity: "s", Proactive: true, Lifetime: 24 * time.Hour},
		{Name: "a-rather-long-session-name", Identity: "l", Lifetime: 24 * time.Hour, Callers: 1, CallInterval: 30 * time.Hour},
		{Name: "s-2", Identity: "s", Proactive: true, Lifetime: 24 * time.Hour},
	}}
	sum, text := playText(t, sc, 101*time.Hour)
	var names []string
	for _, s := range sum.Sessions {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "a-rather-long-session-name s-2 s-10 zed" {
		t.Errorf("summary rows %s, want natural order of names", got)
	}
	events, summary, _ := strings.Cut(text, "\n\nscenario ")
	const offsetWidth = len("+100:00:00.000")
	textAt := offsetWidth + 2 + len("a-rather-long-session-name") + 2
	lines := strings.Split(events, "\n")
	if len(lines) < 20 {
		t.Fatalf("only %d event lines:\n%s", len(lines), text)
	}
	for _, l := range lines {
		if len(l) <= textAt || l[0] != ' ' && l[0] != '+' || l[offsetWidth] != ' ' || l[textAt-1] != ' ' || l[textAt] == ' ' {
			t.Fatalf("line out of its columns (offset %d wide, text at %d):\n%q", offsetWidth, textAt, l)
		}
	}
	if !strings.HasPrefix(events, "+000:00:00.000  ") {
		t.Errorf("offsets not padded to the run's hours:\n%s", events)
	}
	rows := strings.Split(summary, "\n")[2:7]
	for i, want := range []string{"a-rather-long-session-name", "s-2", "s-10", "zed", "total"} {
		if !strings.HasPrefix(strings.TrimLeft(rows[i], " "), want+" ") {
			t.Errorf("summary row %d is %q, want %s", i+1, rows[i], want)
		}
	}
	for _, want := range []string{"sessions in natural order of name",
		"issuer calls = ok + failed + aborted + in flight",
		"token gap: time without a valid token while the session was live; a disposed or signed-out session stops counting"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary's legend lacks %q:\n%s", want, summary)
		}
	}
}

// Issue 14, "confusions": a Teams session read "issuer calls 3, ok 3,
// failed 14", and a static session's one issuer call had no outcome.
func TestIssuerCallsAreOKPlusFailedPlusAbortedPlusInFlightForEverySession(t *testing.T) {
	sc := scenario.Scenario{Name: "add-up",
		Sessions: []scenario.Spec{
			{Name: "teams", Identity: "t", Proactive: true, Teams: &scenario.TeamsSpec{UpstreamLifetime: time.Hour}},
			{Name: "tt", Identity: "a", Proactive: true, Lifetime: time.Hour},
			{Name: "js", Identity: "b", Policy: "js", Lifetime: time.Hour, Callers: 1, CallInterval: time.Minute},
			{Name: "static", Identity: "c", Static: true, Lifetime: time.Hour},
			{Name: "seeded", Identity: "d", IssueInitial: true, Lifetime: time.Hour, Proactive: true},
		},
		Timeline: []scenario.Step{
			// At 55m the Teams session renews its upstream token: that stage fails.
			{At: 54 * time.Minute, Action: scenario.ActionFault, Fault: issuer.Fault{Kind: issuer.FaultFail, Status: 500, Count: 3}},
			{At: 70 * time.Minute, Action: scenario.ActionFault, Fault: issuer.Fault{Kind: issuer.FaultHang, Count: 1, Identity: "a"}},
			{At: 70 * time.Minute, Action: scenario.ActionRefresh, Session: "tt"},
			{At: 70*time.Minute + time.Second, Action: scenario.ActionAbort, Session: "tt"},
		}}
	opts, fake := fakeOptions(t, clock.NewSim(sc.StartTime()))
	calls := &countingIssuer{Issuer: fake, byIdentity: map[string]uint64{}}
	opts.Issuer = calls
	sum, err := RunHeadless(context.Background(), sc, HeadlessOptions{Manager: opts, Duration: 3 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// The issuer's own count of the requests made for each session (the
	// Teams session's by stage), against the summary's. Nothing hangs past
	// 70m+1s, so at 3h every call has its outcome: none is in flight.
	want := map[string]uint64{"teams": calls.teamsCalls()}
	for _, spec := range sc.Sessions {
		if spec.Teams == nil {
			want[spec.Name] = calls.byIdentity[spec.Identity]
		}
	}
	by := map[string]SessionSummary{}
	var total uint64
	for _, s := range sum.Sessions {
		by[s.Name] = s
		total += want[s.Name]
		if want[s.Name] == 0 {
			t.Errorf("%s: the counting issuer saw no call for it; does the manager call an issuer method countingIssuer does not wrap?", s.Name)
		}
	}
	want["total"] = total
	sum.Totals.Name = "total"
	for _, s := range append(sum.Sessions, sum.Totals) {
		if s.IssuerCalls != want[s.Name] || s.InFlight != 0 || s.Successes+s.Failures+s.Aborts != want[s.Name] {
			t.Errorf("%s: issuer calls %d = ok %d + failed %d + aborted %d + in flight %d; the issuer saw %d calls, all ended",
				s.Name, s.IssuerCalls, s.Successes, s.Failures, s.Aborts, s.InFlight, want[s.Name])
		}
	}
	if s := by["teams"]; s.Failures == 0 || s.UpstreamCalls == 0 {
		t.Errorf("teams: %d failures, %d upstream calls; the injected failures should fail its upstream fetches", s.Failures, s.UpstreamCalls)
	}
	if s := by["static"]; s.IssuerCalls != 1 || s.Successes != 1 {
		t.Errorf("static: %d issuer calls, %d ok; want its one issue, ok", s.IssuerCalls, s.Successes)
	}
	if s := by["tt"]; s.Aborts != 1 {
		t.Errorf("tt: %d aborts, want the aborted hung refresh", s.Aborts)
	}
}

// countingIssuer counts the token requests that reach the fake, apart
// from the manager's counters: plain ones by identity, and a Teams
// session's (one request: an upstream fetch that fails, or an exchange).
type countingIssuer struct {
	*fakeissuer.Issuer

	mu                          sync.Mutex
	byIdentity                  map[string]uint64
	upstreamFailures, exchanges uint64
}

// Each kind of request is counted in its blocking form and in the
// simulated form a loop uses (issuer.DelayReporter and its Teams twin).

func (c *countingIssuer) issued(identity string) {
	c.mu.Lock()
	c.byIdentity[identity]++
	c.mu.Unlock()
}

func (c *countingIssuer) upstreamDone(err error) {
	if err != nil {
		c.mu.Lock()
		c.upstreamFailures++
		c.mu.Unlock()
	}
}

func (c *countingIssuer) exchanged() {
	c.mu.Lock()
	c.exchanges++
	c.mu.Unlock()
}

func (c *countingIssuer) Issue(ctx context.Context, r issuer.Request) (credential.AccessToken, error) {
	c.issued(r.Identity)
	return c.Issuer.Issue(ctx, r)
}

func (c *countingIssuer) IssueSimulated(ctx context.Context, r issuer.Request) (credential.AccessToken, issuer.Delay, error) {
	c.issued(r.Identity)
	return c.Issuer.IssueSimulated(ctx, r)
}

func (c *countingIssuer) IssueUpstream(ctx context.Context, clientID string, lifetime time.Duration) (credential.AccessToken, error) {
	tok, err := c.Issuer.IssueUpstream(ctx, clientID, lifetime)
	c.upstreamDone(err)
	return tok, err
}

func (c *countingIssuer) IssueUpstreamSimulated(ctx context.Context, clientID string, lifetime time.Duration) (credential.AccessToken, issuer.Delay, error) {
	tok, d, err := c.Issuer.IssueUpstreamSimulated(ctx, clientID, lifetime)
	c.upstreamDone(err)
	return tok, d, err
}

func (c *countingIssuer) ExchangeTeamsToken(ctx context.Context, teamsToken string) (credential.AccessToken, error) {
	c.exchanged()
	return c.Issuer.ExchangeTeamsToken(ctx, teamsToken)
}

func (c *countingIssuer) ExchangeTeamsTokenSimulated(ctx context.Context, teamsToken string) (credential.AccessToken, issuer.Delay, error) {
	c.exchanged()
	return c.Issuer.ExchangeTeamsTokenSimulated(ctx, teamsToken)
}

func (c *countingIssuer) teamsCalls() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.upstreamFailures + c.exchanges
}

// Issue 14, bug 13: "1 callers", "every 1m0s", "policy static, static".
func TestSessionAddedSaysWhatTheSessionIsInPlainWords(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		for _, tc := range []struct {
			spec scenario.Spec
			want string
		}{
			{scenario.Spec{Name: "c", Identity: "carol", Static: true, Callers: 1}, "identity carol, static token (issued once, never refreshed), 1 caller every 1m"},
			{scenario.Spec{Name: "a", Identity: "alice", Proactive: true, Callers: 2, CallInterval: 30 * time.Second}, "identity alice, policy tokentop, proactive, 2 callers every 30s"},
			{scenario.Spec{Name: "b", Identity: "bob", Policy: "js", Callers: 1, CallInterval: 90 * time.Second}, "identity bob, policy js, on demand, 1 caller every 1m30s"},
		} {
			s := mustAdd(t, m, tc.spec)
			if e, _ := lastEvent(s, KindAdded); e.Message != tc.want {
				t.Errorf("%s: session-added says %q, want %q", tc.spec.Name, e.Message, tc.want)
			}
		}
	})
}

// Issue 14, bug 6: "forced: cached one had -2562047h47m16.854775808s left"
// when there was no cached token.
func TestTeamsFirstUpstreamFetchSaysThereWasNoCachedToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		s := mustAdd(t, m, scenario.Spec{Name: "t", Identity: "t", Proactive: true,
			Teams: &scenario.TeamsSpec{UpstreamLifetime: time.Hour, RenewalOffset: 5 * time.Minute, ForceRefreshUnder: 10 * time.Minute}})
		synctest.Wait()
		if e, ok := lastEvent(s, KindUpstream); !ok || e.Message != "no cached upstream token" {
			t.Errorf("first upstream fetch says %q, want \"no cached upstream token\"", e.Message)
		}
		time.Sleep(50*time.Minute + time.Second)
		synctest.Wait()
		if e, _ := lastEvent(s, KindUpstream); e.Message != "forced: cached one had 10m left, at most 10m" {
			t.Errorf("the forced fetch says %q", e.Message)
		}
	})
}

func TestTeamsUpstreamFetchAfterTheCachedTokenExpiredSaysHowLongAgo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		s := mustAdd(t, m, scenario.Spec{Name: "t", Identity: "t", Teams: &scenario.TeamsSpec{}})
		tr := &teamsRefresher{s: s, spec: *s.Spec().Teams}
		tr.cached = credential.AccessToken{Token: "old", ExpiresOn: time.Now().Add(-4 * time.Minute)}
		if _, _, err := tr.upstream(context.Background()); err != nil {
			t.Fatal(err)
		}
		if e, _ := lastEvent(s, KindUpstream); e.Message != "cached one expired 4m ago" {
			t.Errorf("upstream-fetched says %q, want \"cached one expired 4m ago\"", e.Message)
		}
	})
}
