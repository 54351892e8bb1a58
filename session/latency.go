package session

import (
	"math"
	"time"
)

// latencyHistogram counts issuer-call latencies in buckets a quarter of a
// doubling apart, from 100 µs up (the last bucket takes everything past 28
// minutes), so that a session's p50 and p99 cost 384 bytes however many calls
// it makes, and read within 19%. Its counts are allocated on first use.
type latencyHistogram struct {
	counts []uint32
	n      uint64
}

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
	}
}

// merge adds o's counts into h.
func (h *latencyHistogram) merge(o *latencyHistogram) {
	if o.n == 0 {
		return
	}
	if h.counts == nil {
		h.counts = make([]uint32, latencyBuckets)
	}
	h.n = 0
	for b := range h.counts {
		h.counts[b] = uint32(min(uint64(h.counts[b])+uint64(o.counts[b]), math.MaxUint32))
		h.n += uint64(h.counts[b])
	}
}

// quantile returns the latency below which a fraction q of the calls fell
// (the top of its bucket); zero without calls.
func (h *latencyHistogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	var seen uint64
	for b, c := range h.counts {
		seen += uint64(c)
		if seen >= max(rank, 1) {
			return bucketTop(b)
		}
	}
	return bucketTop(latencyBuckets - 1)
}
