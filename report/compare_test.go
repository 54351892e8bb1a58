package report

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"tokentop/compare"

	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/scenario"
	"tokentop/session"
)

// compareBuiltin plays a built-in scenario once per policy with compare.Compare,
// recording each run, and returns the comparison and its page.
func compareBuiltin(t *testing.T, name string) (compare.Comparison, string) {
	t.Helper()
	sc, err := scenario.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	var recs []*Recorder
	cmp, err := compare.Compare(context.Background(), sc, compare.CompareOptions{Run: func(string) (session.HeadlessOptions, error) {
		loop := clock.NewSim(sc.StartTime())
		fake, err := fakeissuer.New(fakeissuer.Options{Clock: loop})
		if err != nil {
			return session.HeadlessOptions{}, err
		}
		rec := NewRecorder(0)
		recs = append(recs, rec)
		return session.HeadlessOptions{Manager: session.Options{Issuer: fake, Clock: loop, Seed: 7, IssuerLatency: sc.IssuerLatency},
			Observe: rec.Observe}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	var runs []Run
	for i, sum := range cmp.Runs {
		runs = append(runs, Run{Policy: cmp.Rows[i].Policy, Recorder: recs[i], Summary: sum})
	}
	var page bytes.Buffer
	if err := WriteComparison(&page, runs); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := WriteComparison(&again, runs); err != nil || !bytes.Equal(page.Bytes(), again.Bytes()) {
		t.Errorf("a second WriteComparison differs (%v)", err)
	}
	return cmp, page.String()
}

// TestComparisonPageShowsEachPolicysRunSideBySide: the comparison page of
// outage has one table row per policy, in the order played, whose issuer
// calls, successes, failures, caller errors and gap are the comparison's,
// one chart per run, and a verdict that names the policies with a gap.
func TestComparisonPageShowsEachPolicysRunSideBySide(t *testing.T) {
	cmp, page := compareBuiltin(t, "outage")
	rows := tableRows(t, page, "policies")
	if len(rows) != len(cmp.Rows) {
		t.Fatalf("%d table rows, want %d", len(rows), len(cmp.Rows))
	}
	for i, want := range cmp.Rows {
		got := rows[i]
		w := []string{want.Policy, fmt.Sprint(want.Sessions), fmt.Sprint(want.IssuerCalls), fmt.Sprint(want.Successes),
			fmt.Sprint(want.Failures), fmt.Sprint(want.GetTokenErrors), fmt.Sprint(want.SessionsWithGap),
			fmt.Sprintf("%.3f", want.TokenGapSeconds), fmt.Sprintf("%.3f", want.LongestGapSeconds)}
		got = append([]string(nil), got[:len(w)]...)
		for _, c := range []int{7, 8} { // sums of float seconds, in another order than the run's
			var v float64
			fmt.Sscanf(got[c], "%g", &v)
			got[c] = fmt.Sprintf("%.3f", v)
		}
		if strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("row %d: %v, want %v", i, got, w)
		}
		if !strings.Contains(page, `<svg id="overtime-`+want.Policy+`"`) {
			t.Errorf("no chart of the %s run", want.Policy)
		}
		if want.TokenGapSeconds > 0 && !strings.Contains(verdictText(page), want.Policy) {
			t.Errorf("the verdict does not name %s, which had a gap: %s", want.Policy, verdictText(page))
		}
	}
	if n := strings.Count(page, `<div class="run"`); n != len(cmp.Rows) {
		t.Errorf("%d charts, want one per run (%d)", n, len(cmp.Rows))
	}
}

// TestComparisonChartsShareOneScale: in herd, java's run (a call per
// caller) sets the top of every chart, so the others' bars are low.
func TestComparisonChartsShareOneScale(t *testing.T) {
	_, page := compareBuiltin(t, "herd")
	var tops []string
	for _, id := range []string{"overtime-tokentop", "overtime-java"} {
		svg := page[strings.Index(page, `<svg id="`+id+`"`):]
		svg = svg[:strings.Index(svg, "</svg>")]
		i := strings.LastIndex(svg, `text-anchor="end">`)
		tops = append(tops, svg[i+len(`text-anchor="end">`):i+strings.Index(svg[i:], "</text>")])
	}
	if tops[0] != tops[1] || tops[0] == "1" {
		t.Errorf("tops of the scales %v, want one, java's", tops)
	}
}

func verdictText(page string) string {
	i := strings.Index(page, `<div id="verdict">`)
	return page[i : i+strings.Index(page[i:], "</div>")]
}
