package scenario

import (
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

// RampOffset must equal floor(rampUp*i/n) computed without overflow, and
// never decrease as i grows.
func TestRampOffsetIsExactAndMonotonicWhereTheProductOverflows(t *testing.T) {
	exact := func(rampUp time.Duration, i, n int) time.Duration {
		q := new(big.Int).Mul(big.NewInt(int64(rampUp)), big.NewInt(int64(i)))
		return time.Duration(q.Div(q, big.NewInt(int64(n))).Int64())
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10_000 {
		rampUp := time.Duration(r.Int64())
		if r.IntN(2) == 0 {
			rampUp = time.Duration(r.Int64N(int64(maxScenarioDuration)) + 1)
		}
		n := r.IntN(MaxScenarioSessions) + 1
		i := r.IntN(n)
		got := RampOffset(rampUp, i, n)
		if want := exact(rampUp, i, n); got != want {
			t.Fatalf("RampOffset(%d, %d, %d) = %d, want %d", rampUp, i, n, got, want)
		}
		if got < 0 || got > rampUp || i+1 < n && RampOffset(rampUp, i+1, n) < got {
			t.Fatalf("RampOffset(%d, %d, %d) = %d is out of order", rampUp, i, n, got)
		}
	}
	const week = 168 * time.Hour
	for i, prev := 0, time.Duration(0); i < 20_000; i++ {
		got := RampOffset(week, i, 20_000)
		if got < prev || got != exact(week, i, 20_000) {
			t.Fatalf("session %d of 20000 over a week starts at %s after %s", i, got, prev)
		}
		prev = got
	}
	for _, c := range []struct {
		rampUp time.Duration
		i, n   int
		want   time.Duration
	}{
		{time.Duration(1<<63 - 1), 99_999, 100_000, exact(1<<63-1, 99_999, 100_000)},
		{time.Hour, 5, 5, time.Hour}, {time.Hour, 7, 5, time.Hour}, {time.Hour, -1, 5, 0},
		{time.Hour, 1, 0, 0}, {-time.Hour, 1, 2, 0}, {0, 1, 2, 0},
	} {
		if got := RampOffset(c.rampUp, c.i, c.n); got != c.want {
			t.Errorf("RampOffset(%d, %d, %d) = %d, want %d", c.rampUp, c.i, c.n, got, c.want)
		}
	}
}
