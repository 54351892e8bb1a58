package compare

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
	"tokentop/internal/durfmt"

	"tokentop/internal/clock"
	"tokentop/scenario"
	"tokentop/session"
)

// CompareOptions configure Compare.
type CompareOptions struct {
	// Policies are the refresh policies to play, in the order of the table;
	// nil means every predefined one (scenario.PolicyNames: tokentop, js,
	// dotnet, java, python).
	Policies []string
	// Run returns the options of one policy's run. Each run needs a manager
	// of its own: a fresh sim clock (clock.NewSim) and a fresh issuer on it,
	// with the same seed every time, so that the runs differ by their policy
	// only. Its Out, JSON and UntilInterrupted are ignored: Compare writes
	// the table, not the runs' events. Observe and Started are kept (a
	// report records each run).
	Run func(policy string) (session.HeadlessOptions, error)
	// Out receives the comparison table; nil discards it.
	Out io.Writer
	// JSON writes one JSON line per policy; otherwise a table for people.
	JSON bool
}

// Comparison is the outcome of Compare: one row and one run summary per
// policy, in the order played.
type Comparison struct {
	Scenario string
	Seed     uint64
	Rows     []ComparisonRow
	Runs     []session.Summary
}

// ComparisonRow is one policy's run summed over its sessions. Its JSON
// form is one line of `tokentop --compare --json`:
//
//	{"type":"comparison","scenario":"outage","seed":1,"policy":"js","sessions":5,"issuer_calls":12,
//	 "successes":10,"failures":2,"get_token_errors":0,"sessions_with_gap":5,"token_gap_seconds":200.1,
//	 "longest_gap_seconds":40.02,"never_had_token":0,"issuer_latency_p50_ms":20,"issuer_latency_p99_ms":20,
//	 "resource_refused":0,"virtual_seconds":7200}
type ComparisonRow struct {
	Type              string  `json:"type"` // always "comparison"
	Scenario          string  `json:"scenario"`
	Seed              uint64  `json:"seed"`
	Policy            string  `json:"policy"`
	Sessions          int     `json:"sessions"`
	IssuerCalls       uint64  `json:"issuer_calls"`
	Successes         uint64  `json:"successes"`
	Failures          uint64  `json:"failures"`
	GetTokenErrors    uint64  `json:"get_token_errors"` // caller errors
	SessionsWithGap   int     `json:"sessions_with_gap"`
	TokenGapSeconds   float64 `json:"token_gap_seconds"` // summed over the sessions
	LongestGapSeconds float64 `json:"longest_gap_seconds"`
	NeverHadToken     int     `json:"never_had_token"` // sessions that never held a valid token
	IssuerP50MS       float64 `json:"issuer_latency_p50_ms"`
	IssuerP99MS       float64 `json:"issuer_latency_p99_ms"`
	ResourceRefused   uint64  `json:"resource_refused"`
	VirtualSeconds    float64 `json:"virtual_seconds"`
}

// ErrCompareNeedsSim is the error of a comparison asked on a clock other
// than a fresh sim clock: only sim time makes the runs exact, so that they
// differ by their policy alone.
var ErrCompareNeedsSim = errors.New("comparing policies needs sim time with the fake issuer: on a scaled or real clock the runs would differ by the machine's timing, not only by their policy")

// Compare plays sc once per policy, each run with every session's policy
// replaced by that one (WithPolicy), and writes one table with a row per
// policy to Out. The runs are played one after the other, each on the
// manager Run returns for it, which must use a sim clock of its own.
func Compare(ctx context.Context, sc scenario.Scenario, opts CompareOptions) (Comparison, error) {
	if opts.Run == nil {
		return Comparison{}, errors.New("compare: no Run to set up each policy's run")
	}
	policies := opts.Policies
	if policies == nil {
		policies = scenario.PolicyNames()
	}
	cmp := Comparison{Scenario: sc.Name}
	var clocks []*clock.Loop
	for _, p := range policies {
		ho, err := opts.Run(p)
		if err != nil {
			return cmp, fmt.Errorf("compare: setting up the %s run: %w", p, err)
		}
		sim, _ := ho.Manager.Clock.(*clock.Loop)
		if !sim.Sim() { // also a nil Loop
			return cmp, ErrCompareNeedsSim
		}
		if slices.Contains(clocks, sim) {
			return cmp, fmt.Errorf("compare: the %s run reuses an earlier run's clock; each run needs a fresh sim clock", p)
		}
		clocks = append(clocks, sim)
		if len(cmp.Runs) > 0 && ho.Manager.Seed != cmp.Seed {
			return cmp, fmt.Errorf("compare: the %s run has seed %d, the first %d; every run needs the same seed", p, ho.Manager.Seed, cmp.Seed)
		}
		cmp.Seed = ho.Manager.Seed
		ho.Out, ho.JSON, ho.UntilInterrupted = nil, false, false
		sum, err := session.RunHeadless(ctx, WithPolicy(sc, p), ho)
		if err != nil {
			return cmp, fmt.Errorf("compare: the %s run: %w", p, err)
		}
		if sum.Interrupted {
			return cmp, fmt.Errorf("compare: the %s run was interrupted: %w", p, context.Cause(ctx))
		}
		cmp.Runs = append(cmp.Runs, sum)
		cmp.Rows = append(cmp.Rows, newComparisonRow(sum, p))
	}
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	bw := bufio.NewWriter(out)
	err := cmp.write(bw, opts.JSON)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return cmp, fmt.Errorf("compare: writing the table: %w", err)
	}
	return cmp, nil
}

// WithPolicy returns sc with every session's refresh policy set to policy,
// whatever it named: a comparison plays the same sessions under each
// policy. Static sessions stay static (they never refresh). sc's sessions
// are not changed.
func WithPolicy(sc scenario.Scenario, policy string) scenario.Scenario {
	sc.Sessions = slices.Clone(sc.Sessions)
	for i := range sc.Sessions {
		if !sc.Sessions[i].Static {
			sc.Sessions[i].Policy = policy
		}
	}
	return sc
}

// newComparisonRow sums one run's sessions.
func newComparisonRow(sum session.Summary, policy string) ComparisonRow {
	t := sum.Totals
	r := ComparisonRow{Type: "comparison", Scenario: sum.Scenario, Policy: policy, Sessions: len(sum.Sessions),
		IssuerCalls: t.IssuerCalls, Successes: t.Successes, Failures: t.Failures, GetTokenErrors: t.GetTokenErrors,
		TokenGapSeconds: t.TokenGapSeconds, IssuerP50MS: t.IssuerP50MS, IssuerP99MS: t.IssuerP99MS,
		ResourceRefused: t.ResourceRefused, VirtualSeconds: sum.VirtualSeconds}
	if sum.Seed != nil {
		r.Seed = *sum.Seed
	}
	for _, s := range sum.Sessions {
		r.LongestGapSeconds = max(r.LongestGapSeconds, s.TokenGapSeconds)
		if s.TokenGapSeconds > 0 || s.NeverHadToken {
			r.SessionsWithGap++
		}
		if s.NeverHadToken {
			r.NeverHadToken++
		}
	}
	return r
}

// compareLegend explains the comparison table's columns that need it.
const compareLegend = `every session of each run plays the row's policy (static sessions stay static); the runs share the seed.
issuer calls = ok + failed + aborted + in flight, summed over the sessions; caller errors: GetToken calls that
  returned an error; token gap: time without a valid token while live, summed (longest: of one session).
`

// write writes the comparison as JSON lines or as a table with a legend.
func (c Comparison) write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, r := range c.Rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	var virtual float64
	if len(c.Rows) > 0 {
		virtual = c.Rows[0].VirtualSeconds
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "scenario %s compared: %d policies, %s of virtual time each (sim clock, seed %d)\n", c.Scenario, len(c.Rows),
		durfmt.Format(durfmt.FromFloat(virtual, time.Second)), c.Seed)
	fmt.Fprintln(tw, "policy\tsessions\tissuer calls\tok\tfailed\tcaller errors\twith a gap\ttoken gap\tlongest gap\tnever had a token\tp50\tp99\trefused\t")
	msText := func(v float64) string { return durfmt.Format(durfmt.FromFloat(v, time.Millisecond)) }
	secText := func(v float64) string { return durfmt.Format(durfmt.FromFloat(v, time.Second)) }
	for _, r := range c.Rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t%s\t%s\t%d\t\n", r.Policy, r.Sessions, r.IssuerCalls, r.Successes, r.Failures,
			r.GetTokenErrors, r.SessionsWithGap, secText(r.TokenGapSeconds), secText(r.LongestGapSeconds), r.NeverHadToken,
			msText(r.IssuerP50MS), msText(r.IssuerP99MS), r.ResourceRefused)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, compareLegend)
	return err
}
