package report

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"tokentop/session"
)

// TestWorstOfKeepsTheOrderOfAStableSort: worstOf keeps only the n worst,
// and picks and orders them as a stable sort of all would, ties included.
func TestWorstOfKeepsTheOrderOfAStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	r := NewRecorder(0)
	sums := make([]session.SessionSummary, 2000)
	for i := range sums {
		sums[i] = session.SessionSummary{Name: fmt.Sprintf("s-%d", i), Failures: uint64(rng.IntN(4)),
			TokenGapSeconds: float64(rng.IntN(3) * 10), NeverHadToken: rng.IntN(50) == 0}
	}
	all := r.join(session.Summary{Sessions: sums})
	var want []string
	sorted := slices.Collect(all.All())
	slices.SortStableFunc(sorted, worse)
	for _, s := range sorted {
		want = append(want, s.Name)
	}
	for _, n := range []int{0, 1, 7, 500, 2000, 3000} {
		var got []string
		for _, s := range worstOf(all, n) {
			got = append(got, s.Name)
		}
		if !slices.Equal(got, want[:min(n, len(want))]) {
			t.Errorf("worstOf(%d) = %v...,\nwant %v...", n, got[:min(len(got), 10)], want[:min(n, 10)])
		}
	}
}
