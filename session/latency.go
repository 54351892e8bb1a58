package session

import (
	"math"
	"slices"
	"time"
)

// latencyHistogram counts issuer-call latencies in buckets a quarter of a
// doubling apart, from 100 µs up (the last bucket takes everything past 28
// minutes), so that a session's p50 and p99 cost 384 bytes however many calls
// it makes, and read within 19%. Its counts are allocated on first use. The
// first exactSamples latencies are also kept as they are, so that a few calls
// read exactly (every call 20 ms reads 20ms, not its bucket's 22ms).
type latencyHistogram struct {
	counts []uint32
	n      uint64
	exact  []time.Duration // every latency observed while n <= exactSamples; nil after
}

// exactSamples is how many latencies a histogram keeps exactly.
const exactSamples = 16

const (
	latencyBuckets = 96
	latencyFloor   = 100 * time.Microsecond
)

func latencyBucket(d time.Duration) int {
	if d <= latencyFloor {
		return 0
	}
	b := int(math.Ceil(4 * math.Log2(float64(d)/float64(latencyFloor))))
	return min(b, latencyBuckets-1)
}

// bucketTop is the largest latency bucket b holds.
func bucketTop(b int) time.Duration {
	return time.Duration(float64(latencyFloor) * math.Exp2(float64(b)/4))
}

func (h *latencyHistogram) observe(d time.Duration) {
	if h.counts == nil {
		h.counts = make([]uint32, latencyBuckets)
	}
	b := latencyBucket(d)
	if h.counts[b] < math.MaxUint32 {
		h.counts[b]++
		h.n++
		h.exact = keepExact(h.exact, h.n, d)
	}
}

// keepExact adds d to exact while the histogram holds at most exactSamples
// latencies (n counting d), and drops them all beyond.
func keepExact(exact []time.Duration, n uint64, d ...time.Duration) []time.Duration {
	if n > exactSamples {
		return nil
	}
	return append(exact, d...)
}

// merge adds o's counts into h.
func (h *latencyHistogram) merge(o *latencyHistogram) {
	if o.n == 0 {
		return
	}
	if h.counts == nil {
		h.counts = make([]uint32, latencyBuckets)
	}
	whole := uint64(len(h.exact)) == h.n && uint64(len(o.exact)) == o.n
	h.n = 0
	for b := range h.counts {
		h.counts[b] = uint32(min(uint64(h.counts[b])+uint64(o.counts[b]), math.MaxUint32))
		h.n += uint64(h.counts[b])
	}
	if whole {
		h.exact = keepExact(h.exact, h.n, o.exact...)
	} else {
		h.exact = nil
	}
}

// quantile returns the latency below which a fraction q of the calls fell
// (exactly while there are at most exactSamples, else the top of its
// bucket); zero without calls.
func (h *latencyHistogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if uint64(len(h.exact)) == h.n { // few calls: the exact order statistic
		sorted := slices.Clone(h.exact)
		slices.Sort(sorted)
		return sorted[max(rank, 1)-1]
	}
	var seen uint64
	for b, c := range h.counts {
		seen += uint64(c)
		if seen >= max(rank, 1) {
			return bucketTop(b)
		}
	}
	return bucketTop(latencyBuckets - 1)
}
