package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"tokentop/credential"
	"tokentop/issuer"
	"tokentop/scenario"
)

// hangScenario is a proactive one-hour session whose issuer hangs on its next
// two calls from the tenth minute: the refresh window opens at 50m into two
// hung calls.
// A session with callers also refreshes on demand, which policies that do not
// retry a failed background refresh rely on.
func hangScenario(t *testing.T, policy string, teams, callers bool) scenario.Scenario {
	t.Helper()
	tm := ""
	if teams {
		tm += `, "teams": {"upstream_lifetime": "1h"}`
	}
	if callers {
		tm += `, "callers": 1, "call_interval": "1m"`
	}
	sc, err := scenario.ParseScenario("hang.json", fmt.Appendf(nil, `{"name": "hang", "duration": "3h",
		"sessions": [{"name": "s", "identity": "alice", "policy": %q, "proactive": true, "lifetime": "1h"%s}],
		"timeline": [{"at": "10m", "fault": "hang", "count": 2}]}`, policy, tm))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestHungIssuerCallsTimeOutSoAProactiveSessionRecovers(t *testing.T) {
	for _, tc := range []struct {
		policy  string
		teams   bool
		callers bool
		maxGap  time.Duration
	}{
		// tokentop retries a failed background refresh: it has a token again
		// before expiry once the two hangs are used up.
		{"tokentop", false, false, 0},
		{"tokentop", true, false, 0},
		// The others refresh again on demand; each hung call costs a caller
		// at most the 30 s limit (plus a minute's wait for the next caller).
		{"js", false, true, 2 * time.Minute},
		{"js", true, true, 2 * time.Minute},
		{"dotnet", false, true, 2 * time.Minute},
		{"java", false, true, 2 * time.Minute},
		{"python", false, true, 2 * time.Minute},
	} {
		t.Run(fmt.Sprintf("%s/teams=%v", tc.policy, tc.teams), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				opts, _ := fakeOptions(t, clockReal())
				sum, err := RunHeadless(context.Background(), hangScenario(t, tc.policy, tc.teams, tc.callers), HeadlessOptions{Manager: opts})
				if err != nil {
					t.Fatal(err)
				}
				s := sum.Sessions[0]
				gap := time.Duration(s.TokenGapSeconds * float64(time.Second))
				t.Logf("gap %s, issuer calls %d, successes %d, failures %d", gap, s.IssuerCalls, s.Successes, s.Failures)
				if gap > tc.maxGap {
					t.Errorf("token gap %s over 3h with two hung issuer calls, want at most %s: a hung call must time out", gap, tc.maxGap)
				}
				if s.Successes < 3 {
					t.Errorf("%d successful refreshes in 3h of 1h tokens, want at least 3", s.Successes)
				}
			})
		})
	}
}

func TestAHungIssuerCallFailsTheRefreshAfterTheIssueTimeout(t *testing.T) {
	for _, teams := range []*scenario.TeamsSpec{nil, {}} {
		synctest.Test(t, func(t *testing.T) {
			opts, _ := fakeOptions(t, clockReal())
			opts.IssueTimeout = 20 * time.Second
			m, err := NewManager(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			s := mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", Policy: "js", Proactive: true, Lifetime: time.Hour, Teams: teams})
			synctest.Wait()
			m.InjectFault(issuer.Fault{Kind: issuer.FaultHang, Count: 1})
			time.Sleep(50*time.Minute + 19*time.Second) // the proactive refresh started at 50m
			synctest.Wait()
			if ph := s.Snapshot().Credential.Phase; ph != credential.PhaseRefreshing {
				t.Fatalf("phase %s 19 s into a hung call, want refreshing", ph)
			}
			time.Sleep(time.Second)
			synctest.Wait()
			if ph := s.Snapshot().Credential.Phase; ph == credential.PhaseRefreshing {
				t.Fatalf("still refreshing when the 20 s issue timeout ran out (teams %v)", teams != nil)
			}
			e, ok := lastEvent(s, KindRefreshFailed)
			if !ok || !errors.Is(e.Err, context.DeadlineExceeded) || !strings.Contains(e.Err.Error(), "the issuer did not answer within 20s") {
				t.Errorf("refresh-failed event %+v; want an error saying the issuer did not answer within 20s, wrapping context.DeadlineExceeded", e)
			}
		})
	}
}

// deafIssuer ignores its context: each call blocks until release is closed.
type deafIssuer struct{ release chan struct{} }

func (d deafIssuer) Issue(context.Context, issuer.Request) (credential.AccessToken, error) {
	<-d.release
	return credential.AccessToken{}, errors.New("released")
}
func (d deafIssuer) Name() string { return "deaf" }

func TestRefreshActionGivesUpAfterTheCallTimeoutWhenTheIssuerIgnoresItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		deaf := deafIssuer{release: make(chan struct{})}
		m, err := NewManager(Options{Issuer: deaf, CallTimeout: 45 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		defer close(deaf.release) // before Close: let the refresher's goroutine end
		s := mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", Policy: "js"})
		if err := m.Refresh("a"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(44 * time.Second)
		synctest.Wait()
		if _, ok := lastEvent(s, KindRefreshAborted); ok {
			t.Fatal("the refresh was given up before the 45 s call timeout")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if _, ok := lastEvent(s, KindRefreshAborted); !ok {
			t.Error("the Refresh action still waits after the 45 s call timeout; want it to give up and the refresh reported aborted")
		}
	})
}
