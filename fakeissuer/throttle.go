package fakeissuer

import (
	"fmt"
	"net/http"
	"time"

	"tokentop/issuer"
)

// MaxThrottleBuckets bounds the per-identity buckets one throttle keeps.
// Past it, full buckets (no different from new ones) are dropped, and if
// none is full, further identities share one overflow bucket.
const MaxThrottleBuckets = 100_000

// overflowBucket is the bucket identities share past MaxThrottleBuckets; no
// identity can be named so (identities are printable).
const overflowBucket = "\x00overflow"

// throttle is a FaultThrottle's token buckets, as a generic cell rate
// algorithm: each bucket is the time its next call would be let through at
// the steady rate (its theoretical arrival time), so it is exact on the
// issuer's clock, sim time included, with no refill loop.
type throttle struct {
	every time.Duration        // one call per every: Interval/Rate, rounded up to 1ns
	slack time.Duration        // (Burst-1)*every: how far ahead of now a bucket may run
	byID  bool                 // one bucket per identity, else one for all
	next  map[string]time.Time // bucket -> theoretical arrival time; guarded by faultSet.mu
}

// validateThrottle fills the defaults of a FaultThrottle and checks its ranges.
func validateThrottle(f *issuer.Fault) error {
	if f.Count != 0 {
		return fmt.Errorf("fault %q applies to every call until it is cleared or its \"for\" ends; drop \"count\"", f.Kind)
	}
	if f.Rate < 1 || f.Rate > issuer.MaxThrottleRate {
		return fmt.Errorf("fault %q needs a rate of 1..%d calls per interval (it has %d), e.g. 10", f.Kind, issuer.MaxThrottleRate, f.Rate)
	}
	if f.Interval == 0 {
		f.Interval = time.Second
	}
	if f.Interval < time.Millisecond || f.Interval > MaxFaultDuration {
		return fmt.Errorf("fault %q: interval %v is out of range 1ms..%v", f.Kind, f.Interval, MaxFaultDuration)
	}
	if f.Burst == 0 {
		f.Burst = f.Rate
	}
	if f.Burst < 1 || f.Burst > issuer.MaxThrottleBurst {
		return fmt.Errorf("fault %q: burst %d is out of range 1..%d", f.Kind, f.Burst, issuer.MaxThrottleBurst)
	}
	if every := throttleEvery(*f); every > MaxFaultDuration/time.Duration(f.Burst) {
		return fmt.Errorf("fault %q: a burst of %d at one call per %v takes longer than %v to refill; use a smaller burst or a higher rate", f.Kind, f.Burst, every, MaxFaultDuration)
	}
	switch f.Bucket {
	case "":
		f.Bucket = issuer.ThrottleClient
	case issuer.ThrottleClient, issuer.ThrottleIdentity:
	default:
		return fmt.Errorf("fault %q: bucket %q is unknown; use %q (one for every call) or %q (one per identity)", f.Kind, f.Bucket, issuer.ThrottleClient, issuer.ThrottleIdentity)
	}
	return nil
}

// throttleEvery is the steady spacing of a throttle's calls, rounded up to
// a whole nanosecond.
func throttleEvery(f issuer.Fault) time.Duration {
	rate := time.Duration(f.Rate)
	return (f.Interval + rate - 1) / rate
}

func newThrottle(f issuer.Fault) *throttle {
	every := throttleEvery(f)
	return &throttle{every: every, slack: time.Duration(f.Burst-1) * every,
		byID: f.Bucket == issuer.ThrottleIdentity, next: map[string]time.Time{}}
}

// take lets a call for identity through at now, using up a token, or
// returns how long until its bucket has one. The caller holds faultSet.mu.
func (t *throttle) take(identity string, now time.Time) (wait time.Duration) {
	key := ""
	if t.byID {
		key = t.bucketFor(identity, now)
	}
	next, ok := t.next[key]
	if !ok || next.Before(now) {
		next = now
	}
	if ahead := next.Sub(now); ahead > t.slack {
		return ahead - t.slack
	}
	t.next[key] = next.Add(t.every)
	return 0
}

// bucketFor names identity's bucket, making room past MaxThrottleBuckets.
func (t *throttle) bucketFor(identity string, now time.Time) string {
	if _, ok := t.next[identity]; ok || len(t.next) < MaxThrottleBuckets {
		return identity
	}
	for id, next := range t.next {
		if !next.After(now) { // full again: the same as a new bucket
			delete(t.next, id)
		}
	}
	if len(t.next) < MaxThrottleBuckets {
		return identity
	}
	return overflowBucket
}

// throttled is the error of a call a throttle refuses: 429 with the wait,
// rounded up to whole seconds, as Retry-After.
func throttled(f *ActiveFault, wait time.Duration) *StatusError {
	return &StatusError{Status: http.StatusTooManyRequests, Code: codeForStatus(http.StatusTooManyRequests),
		Message:    "injected fault: " + f.String(),
		RetryAfter: min(wholeSecondsUp(wait), MaxFaultDuration), Err: ErrFaultInjected}
}
