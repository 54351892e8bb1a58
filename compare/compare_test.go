package compare

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/scenario"
	"tokentop/session"
)

// simRun returns the options of one run of sc as tokentop's command line
// builds them: a fresh sim clock at the scenario's start, a fresh fake
// issuer on it, the scenario's issuer latency, and the seed.
func simRun(t *testing.T, sc scenario.Scenario, seed uint64) session.HeadlessOptions {
	t.Helper()
	loop := clock.NewSim(sc.StartTime())
	fake, err := fakeissuer.New(fakeissuer.Options{Clock: loop})
	if err != nil {
		t.Fatal(err)
	}
	return session.HeadlessOptions{Manager: session.Options{Issuer: fake, Clock: loop, Seed: seed, IssuerLatency: sc.IssuerLatency}}
}

// TestCompareRowsEqualSeparateRunsOfEachPolicy: for outage and herd, each
// policy's row (issuer calls, failures, caller errors, gap) equals a
// separate run of the scenario with every session set to that policy by
// hand, as `--policy` over policy-less sessions plays it.
func TestCompareRowsEqualSeparateRunsOfEachPolicy(t *testing.T) {
	for _, name := range []string{"outage", "herd"} {
		t.Run(name, func(t *testing.T) {
			sc, err := scenario.Builtin(name)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			got, err := Compare(context.Background(), sc, CompareOptions{Out: &out,
				Run: func(string) (session.HeadlessOptions, error) { return simRun(t, sc, 7), nil }})
			if err != nil {
				t.Fatal(err)
			}
			policies := scenario.PolicyNames()
			if len(got.Rows) != len(policies) {
				t.Fatalf("%d rows, want one per policy (%d)", len(got.Rows), len(policies))
			}
			gaps := 0
			for i, p := range policies {
				alone := sc
				alone.Sessions = append([]scenario.Spec(nil), sc.Sessions...)
				for j := range alone.Sessions {
					alone.Sessions[j].Policy = p
				}
				sum, err := session.RunHeadless(context.Background(), alone, simRun(t, sc, 7))
				if err != nil {
					t.Fatal(err)
				}
				want := newComparisonRow(sum, p)
				row := got.Rows[i]
				t.Logf("%-8s calls %4d failed %3d caller errors %3d gap %8.2fs", row.Policy, row.IssuerCalls, row.Failures, row.GetTokenErrors, row.TokenGapSeconds)
				if row != want {
					t.Errorf("row %d:\n got %+v\nwant %+v (a separate run)", i, row, want)
				}
				if row.IssuerCalls != sum.Totals.IssuerCalls || row.Failures != sum.Totals.Failures ||
					row.GetTokenErrors != sum.Totals.GetTokenErrors || row.TokenGapSeconds != sum.Totals.TokenGapSeconds {
					t.Errorf("%s: row %+v disagrees with the separate run's totals %+v", p, row, sum.Totals)
				}
				for _, s := range sum.Sessions {
					if s.Policy != p {
						t.Errorf("%s run: session %s played %s", p, s.Name, s.Policy)
					}
				}
				if row.TokenGapSeconds > 0 {
					gaps++
				}
				if lines := strings.Split(out.String(), "\n"); len(lines) < i+3 || strings.Fields(lines[i+2])[0] != p {
					t.Errorf("line %d of the table is not %s's row:\n%s", i+3, p, out.String())
				}
			}
			// The scenarios separate the policies: not all five agree.
			if name == "outage" && (gaps == 0 || gaps == len(policies)) {
				t.Errorf("outage: %d of %d policies had a gap; want some, not all", gaps, len(policies))
			}
			if name == "herd" && got.Rows[3].IssuerCalls <= 10*got.Rows[0].IssuerCalls {
				t.Errorf("herd: java made %d issuer calls, tokentop %d; want java, which does not coalesce, far more",
					got.Rows[3].IssuerCalls, got.Rows[0].IssuerCalls)
			}
		})
	}
}

func TestCompareWritesOneJSONLinePerPolicy(t *testing.T) {
	sc, err := scenario.Builtin("outage")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	policies := []string{"java", "tokentop"}
	_, err = Compare(context.Background(), sc, CompareOptions{Policies: policies, Out: &out, JSON: true,
		Run: func(string) (session.HeadlessOptions, error) { return simRun(t, sc, 1), nil }})
	if err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(&out)
	var got []string
	for lines.Scan() {
		var r ComparisonRow
		if err := json.Unmarshal(lines.Bytes(), &r); err != nil {
			t.Fatalf("not JSON: %v: %s", err, lines.Text())
		}
		if r.Type != "comparison" || r.Scenario != "outage" || r.Seed != 1 || r.Sessions != 5 || r.VirtualSeconds != 7200 {
			t.Errorf("line %+v", r)
		}
		got = append(got, r.Policy)
	}
	if strings.Join(got, ",") != "java,tokentop" {
		t.Errorf("policies %v, want %v in that order", got, policies)
	}
}

// fakeOptions returns a manager's options over a new in-process fake on c.
func fakeOptions(t *testing.T, c clock.Clock) (session.Options, *fakeissuer.Issuer) {
	t.Helper()
	fake, err := fakeissuer.New(fakeissuer.Options{Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	return session.Options{Issuer: fake, Clock: c}, fake
}

func TestCompareRefusesAnythingButAFreshSimClock(t *testing.T) {
	sc, err := scenario.Builtin("outage")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("real", func(t *testing.T) {
		_, err := Compare(context.Background(), sc, CompareOptions{Run: func(string) (session.HeadlessOptions, error) {
			opts, _ := fakeOptions(t, clock.Real{})
			return session.HeadlessOptions{Manager: opts}, nil
		}})
		if !errors.Is(err, ErrCompareNeedsSim) {
			t.Errorf("error %v, want ErrCompareNeedsSim", err)
		}
	})
	t.Run("scaled", func(t *testing.T) {
		_, err := Compare(context.Background(), sc, CompareOptions{Run: func(string) (session.HeadlessOptions, error) {
			opts, _ := fakeOptions(t, clock.NewPaced(time.Now(), 3600))
			return session.HeadlessOptions{Manager: opts}, nil
		}})
		if !errors.Is(err, ErrCompareNeedsSim) || !strings.Contains(err.Error(), "sim time") {
			t.Errorf("error %v, want ErrCompareNeedsSim", err)
		}
	})
	t.Run("shared clock", func(t *testing.T) {
		shared := simRun(t, sc, 1)
		_, err := Compare(context.Background(), sc, CompareOptions{Policies: []string{"js", "java"},
			Run: func(string) (session.HeadlessOptions, error) { return shared, nil }})
		if err == nil || !strings.Contains(err.Error(), "java run reuses an earlier run's clock") {
			t.Errorf("error %v, want the java run refused for reusing the clock", err)
		}
	})
	t.Run("seeds differ", func(t *testing.T) {
		seed := uint64(0)
		_, err := Compare(context.Background(), sc, CompareOptions{Policies: []string{"js", "java"},
			Run: func(string) (session.HeadlessOptions, error) { seed++; return simRun(t, sc, seed), nil }})
		if err == nil || !strings.Contains(err.Error(), "seed 2") {
			t.Errorf("error %v, want the java run refused for its seed", err)
		}
	})
}

func TestWithPolicyOverridesEverySessionButStaticOnesAndLeavesTheScenarioAlone(t *testing.T) {
	sc := scenario.Scenario{Name: "x", Sessions: []scenario.Spec{{Name: "a", Policy: "js"}, {Name: "b"}, {Name: "c", Static: true}}}
	got := WithPolicy(sc, "java")
	var labels []string
	for _, s := range got.Sessions {
		labels = append(labels, s.PolicyLabel())
	}
	if strings.Join(labels, ",") != "java,java,static" {
		t.Errorf("policies %v, want java, java, static", labels)
	}
	if sc.Sessions[0].Policy != "js" || sc.Sessions[1].Policy != "" {
		t.Errorf("the scenario changed: %+v", sc.Sessions)
	}
}
