package report

import (
	"context"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"tokentop/issuer"
	"tokentop/session"
)

// class is how an issuer call ended, as the per-policy table counts it.
type class uint8

const (
	classOK      class = iota // 2xx: the issuer answered with a token (one rejected later counts too)
	class429                  // 429 Too Many Requests
	class5xx                  // 500-599
	classAuth                 // 401 or 403
	classTimeout              // no answer in time, a hang, an abort
	classRefused              // connection refused
	classOther                // anything else (another 4xx, an error without a status)
	numClasses
)

// classNames head the per-policy table's outcome columns.
var classNames = [numClasses]string{"2xx", "429", "5xx", "401/403", "timeout", "conn. refused", "other"}

// statusIn finds an HTTP status in an error's text: the fake issuer's
// "fake issuer: 503 Service Unavailable" and an adapter's "server answered 429".
var statusIn = regexp.MustCompile(`(?:fake issuer:|answered) ([1-5][0-9][0-9]) `)

// classify sorts an issuer call that ended with outcome o by what the
// issuer answered.
func classify(e session.Event, o outcome) class {
	if o == outcomeSucceeded || o == outcomeRejected {
		return classOK
	}
	status := 0
	var se *issuer.StatusError
	text := e.Message
	if e.Err != nil {
		text = e.Err.Error()
	}
	switch {
	case errors.As(e.Err, &se):
		status = se.StatusCode
	case statusIn.MatchString(text):
		status, _ = strconv.Atoi(statusIn.FindStringSubmatch(text)[1])
	}
	switch {
	case status == 429:
		return class429
	case status >= 500:
		return class5xx
	case status == 401 || status == 403:
		return classAuth
	case status != 0:
		return classOther
	case errors.Is(e.Err, syscall.ECONNREFUSED) || strings.Contains(text, "connection refused"):
		return classRefused
	case o == outcomeAborted || errors.Is(e.Err, context.DeadlineExceeded) || errors.Is(e.Err, issuer.ErrTimeout) ||
		strings.Contains(text, "hung") || strings.Contains(text, "deadline exceeded") || strings.Contains(text, "timed out"):
		return classTimeout
	}
	return classOther
}

// latencyDist is a distribution of latencies in buckets an eighth of an
// octave wide (9%), from 1µs to over an hour. A quantile is the largest
// latency seen in its bucket: exact when the calls took the same time (as
// in sim runs), and at most 9% above the true one otherwise.
type latencyDist struct {
	n       uint64
	largest time.Duration
	counts  [distBuckets]uint64
	most    [distBuckets]time.Duration
}

const distBuckets = 8*32 + 1

func distBucket(d time.Duration) int {
	if d <= time.Microsecond {
		return 0
	}
	return min(1+int(math.Log2(float64(d)/float64(time.Microsecond))*8), distBuckets-1)
}

func (l *latencyDist) add(d time.Duration) {
	d = max(d, 0)
	b := distBucket(d)
	l.n++
	l.counts[b]++
	l.most[b] = max(l.most[b], d)
	l.largest = max(l.largest, d)
}

// merge adds o's calls (o may be nil).
func (l *latencyDist) merge(o *latencyDist) {
	if o == nil {
		return
	}
	l.n += o.n
	l.largest = max(l.largest, o.largest)
	for b := range l.counts {
		l.counts[b] += o.counts[b]
		l.most[b] = max(l.most[b], o.most[b])
	}
}

// quantile returns the q-quantile (0 < q <= 1), or zero without calls.
func (l *latencyDist) quantile(q float64) time.Duration {
	if l == nil || l.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(l.n)))
	var seen uint64
	for b, c := range l.counts {
		if seen += c; seen >= rank && c > 0 {
			return l.most[b]
		}
	}
	return l.largest
}

// overTime counts issuer calls and failures in bins of time, by when they
// started. Bins start a minute wide; when a run outgrows maxTimeBins they
// widen to the next step, so memory stays bounded however long the run.
type overTime struct {
	step   int // index into timeSteps
	calls  []uint32
	failed []uint32
}

// timeSteps are the bins' widths, each a multiple of the one before.
var timeSteps = [...]time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour,
	24 * time.Hour, 7 * 24 * time.Hour, 28 * 24 * time.Hour, 364 * 24 * time.Hour, 3640 * 24 * time.Hour}

// maxTimeBins bounds overTime's bins (8 bytes each).
const maxTimeBins = 4096

func (o *overTime) add(at int64, failed bool) {
	i := int(at / int64(timeSteps[o.step]))
	for i >= maxTimeBins && o.step < len(timeSteps)-1 {
		o.widen(o.step + 1)
		i = int(at / int64(timeSteps[o.step]))
	}
	i = min(i, maxTimeBins-1)
	if i >= len(o.calls) {
		o.calls = append(o.calls, make([]uint32, i+1-len(o.calls))...)
		o.failed = append(o.failed, make([]uint32, i+1-len(o.failed))...)
	}
	o.calls[i] = satInc(o.calls[i])
	if failed {
		o.failed[i] = satInc(o.failed[i])
	}
}

// widen merges the bins into those of step.
func (o *overTime) widen(step int) {
	k := int(timeSteps[step] / timeSteps[o.step])
	o.calls, o.failed = merge(o.calls, k), merge(o.failed, k)
	o.step = step
}

// bins returns the counts in bins of at least min width (a step of
// timeSteps) and that width, so a chart of a long run has few bars.
func (o *overTime) bins(end int64, maxBars int) (calls, failed []uint32, width time.Duration) {
	step := o.step
	for step < len(timeSteps)-1 && end/int64(timeSteps[step]) >= int64(maxBars) {
		step++
	}
	k := int(timeSteps[step] / timeSteps[o.step])
	return merge(o.calls, k), merge(o.failed, k), timeSteps[step]
}

// merge sums every k bins into one, in a new slice.
func merge(in []uint32, k int) []uint32 {
	out := make([]uint32, (len(in)+k-1)/k)
	for i, n := range in {
		out[i/k] = satAdd(out[i/k], n)
	}
	return out
}

func satInc(n uint32) uint32 { return satAdd(n, 1) }

func satAdd(a, b uint32) uint32 {
	if a > math.MaxUint32-b {
		return math.MaxUint32
	}
	return a + b
}
