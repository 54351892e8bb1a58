package fakeissuer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"tokentop/internal/clock"
	"tokentop/issuer"
)

// DefaultShortLifetime is the lifetime of tokens under
// issuer.FaultShortLifetime when the fault sets none.
const DefaultShortLifetime = 5 * time.Minute

// ActiveFault is a fault the issuer holds: the fault as injected, with its
// defaults filled in and Count showing the calls it has left, plus what the
// issuer adds when it takes the fault. Faults are checked in the order they
// were injected and act on in-process and HTTP requests alike.
type ActiveFault struct {
	issuer.Fault
	// ID identifies the fault once injected (RemoveFault).
	ID int
	// Until is when the fault's Duration ends on the issuer's clock; zero if
	// it has none.
	Until time.Time

	throttle *throttle // a FaultThrottle's buckets; nil for other kinds
}

// Limits on faults, so that injecting faults cannot slow every token
// request down or overflow duration arithmetic.
const (
	// MaxFaults is the most faults an issuer holds at once; each token
	// request checks every one.
	MaxFaults = 100
	// MaxFaultDuration bounds each duration of a fault (latency, lifetime,
	// Retry-After, duration): about 11 years, far from overflowing.
	MaxFaultDuration = 100_000 * time.Hour
)

// ErrTooManyFaults is wrapped by the error of InjectFault when the issuer
// holds MaxFaults faults already.
var ErrTooManyFaults = errors.New("too many faults")

// validateFault fills defaults into f and rejects faults that cannot be
// applied.
func validateFault(f *issuer.Fault) error {
	if f.Count < 0 {
		return fmt.Errorf("fault %q: count %d is negative; use 0 for every call", f.Kind, f.Count)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"retry-after", f.RetryAfter}, {"latency", f.Latency}, {"lifetime", f.Lifetime}, {"duration", f.Duration}} {
		if d.v < 0 || d.v > MaxFaultDuration {
			return fmt.Errorf("fault %q: %s %v is out of range 0..%v", f.Kind, d.name, d.v, MaxFaultDuration)
		}
	}
	switch f.Kind {
	case issuer.FaultFail:
		if f.Status == 0 {
			f.Status = http.StatusInternalServerError
		}
		if f.Status < 400 || f.Status > 599 {
			return fmt.Errorf("fault %q: status %d is not an HTTP error status (400-599)", f.Kind, f.Status)
		}
		if f.Status == http.StatusTooManyRequests && f.RetryAfter == 0 {
			f.RetryAfter = time.Second
		}
	case issuer.FaultDown:
		if f.Duration <= 0 {
			return fmt.Errorf("fault %q needs a duration, e.g. 2m", f.Kind)
		}
		if f.Status == 0 {
			f.Status = http.StatusServiceUnavailable
		}
		if f.Status < 400 || f.Status > 599 {
			return fmt.Errorf("fault %q: status %d is not an HTTP error status (400-599)", f.Kind, f.Status)
		}
	case issuer.FaultLatency:
		if f.Latency <= 0 {
			return fmt.Errorf("fault %q needs a latency, e.g. 2s", f.Kind)
		}
	case issuer.FaultShortLifetime:
		if f.Lifetime == 0 {
			f.Lifetime = DefaultShortLifetime
		}
	case issuer.FaultThrottle:
		if err := validateThrottle(f); err != nil {
			return err
		}
	case issuer.FaultHang, issuer.FaultExpiredToken, issuer.FaultMalformedToken,
		issuer.FaultLoseResponse, issuer.FaultInvalidGrant:
	default:
		return fmt.Errorf("fault kind %q is unknown; use one of %s", f.Kind, FaultKindNames())
	}
	if f.Identity != "" {
		if problem := identityProblem(f.Identity); problem != "" {
			return fmt.Errorf("fault %q: the identity %s", f.Kind, problem)
		}
	}
	return nil
}

// faultSet holds the active faults under their own lock. n mirrors
// len(list) so that a token request finds "no faults" without locking.
type faultSet struct {
	mu      sync.RWMutex
	list    []*ActiveFault
	nextID  int
	n       atomic.Int32
	applied atomic.Uint64 // faults applied to calls, for metrics
}

// InjectFault adds a fault and returns nil, or an error naming what is wrong
// with it; past MaxFaults active faults the error wraps ErrTooManyFaults.
// The injected fault, with its ID, is the last of Faults().
func (i *Issuer) InjectFault(f issuer.Fault) error {
	_, err := i.injectFault(f)
	return err
}

func (i *Issuer) injectFault(f issuer.Fault) (ActiveFault, error) {
	if err := validateFault(&f); err != nil {
		return ActiveFault{}, err
	}
	fs := &i.faults
	now := i.clock.Now()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.expireLocked(now)
	if len(fs.list) >= MaxFaults {
		return ActiveFault{}, fmt.Errorf("fault %q: %w: the issuer holds %d faults, the most it takes; remove or clear some first", f.Kind, ErrTooManyFaults, MaxFaults)
	}
	fs.nextID++
	af := ActiveFault{Fault: f, ID: fs.nextID}
	if f.Kind == issuer.FaultThrottle {
		af.throttle = newThrottle(f)
	}
	if f.Duration > 0 {
		af.Until = now.Add(f.Duration) // no overflow: Duration <= MaxFaultDuration
	}
	fs.list = append(fs.list, &af)
	fs.n.Store(int32(len(fs.list)))
	return af, nil
}

// ClearFaults removes every fault. Calls already hanging or delayed keep
// waiting for their caller or their latency.
func (i *Issuer) ClearFaults() {
	fs := &i.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.list = nil
	fs.n.Store(0)
}

// RemoveFault removes the fault with this id; it reports whether it existed.
func (i *Issuer) RemoveFault(id int) bool {
	fs := &i.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for n, f := range fs.list {
		if f.ID == id {
			fs.list = slices.Delete(fs.list, n, n+1)
			fs.n.Store(int32(len(fs.list)))
			return true
		}
	}
	return false
}

// Faults returns the active faults, with the calls they have left.
func (i *Issuer) Faults() []ActiveFault {
	fs := &i.faults
	now := i.clock.Now()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.expireLocked(now)
	out := make([]ActiveFault, len(fs.list))
	for n, f := range fs.list {
		out[n] = *f
	}
	return out
}

func expired(f *ActiveFault, now time.Time) bool {
	return !f.Until.IsZero() && !now.Before(f.Until)
}

func (fs *faultSet) expireLocked(now time.Time) {
	fs.list = slices.DeleteFunc(fs.list, func(f *ActiveFault) bool { return expired(f, now) })
	fs.n.Store(int32(len(fs.list)))
}

// faultEffects is what the matching faults do to one call.
type faultEffects struct {
	latency   time.Duration
	hang      bool
	fail      *StatusError
	expired   bool
	malformed bool
	lifetime  time.Duration // cap, zero if none

	loseResponse bool // grant, then drop the answer (user-session grants only)
	invalidGrant bool // refuse with invalid_grant (user-session grants only)
}

// userGrantOnly reports whether f acts on user-session grants only, so
// that other calls neither match nor use it up.
func userGrantOnly(f *ActiveFault) bool {
	return f.Kind == issuer.FaultLoseResponse || f.Kind == issuer.FaultInvalidGrant
}

// faultCall is what the faults match a call on: its identity, and whether
// it is a user-session grant (refresh token, device code).
type faultCall struct {
	identity  string
	userGrant bool
}

// matches reports whether f acts on call.
func (f *ActiveFault) matches(call faultCall) bool {
	return (f.Identity == "" || f.Identity == call.identity) && (call.userGrant || !userGrantOnly(f))
}

// take finds the faults matching a call for identity and uses up one of
// each one's calls. With no faults it takes no lock and reads no clock; with
// faults for other identities only, it shares a read lock.
func (fs *faultSet) take(clk clock.Clock, call faultCall) faultEffects {
	if fs.n.Load() == 0 {
		return faultEffects{}
	}
	now := clk.Now()
	fs.mu.RLock()
	touch := slices.ContainsFunc(fs.list, func(f *ActiveFault) bool {
		return expired(f, now) || f.matches(call)
	})
	fs.mu.RUnlock()
	if !touch {
		return faultEffects{}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.expireLocked(now)
	var eff faultEffects
	fs.list = slices.DeleteFunc(fs.list, func(f *ActiveFault) bool {
		if !f.matches(call) {
			return false
		}
		if eff.apply(f, now, call.identity) {
			fs.applied.Add(1)
		}
		if f.Count > 0 {
			f.Count--
			return f.Count == 0 // used up
		}
		return false
	})
	fs.n.Store(int32(len(fs.list)))
	return eff
}

// apply adds what f does to a call for identity at now, and reports
// whether f did anything (a throttle that lets the call through does not).
func (eff *faultEffects) apply(f *ActiveFault, now time.Time, identity string) bool {
	switch f.Kind {
	case issuer.FaultFail:
		if eff.fail == nil {
			eff.fail = &StatusError{Status: f.Status, Code: codeForStatus(f.Status),
				Message: "injected fault: " + f.String(), RetryAfter: f.RetryAfter, Err: ErrFaultInjected}
		}
	case issuer.FaultDown:
		if eff.fail == nil {
			eff.fail = &StatusError{Status: f.Status, Code: codeForStatus(f.Status),
				Message:    fmt.Sprintf("injected fault: the issuer is down until %s", f.Until.UTC().Format(time.RFC3339)),
				RetryAfter: min(max(f.RetryAfter, wholeSecondsUp(f.Until.Sub(now))), MaxFaultDuration), Err: ErrFaultInjected}
		}
	case issuer.FaultLatency:
		eff.latency = addSat(eff.latency, f.Latency)
	case issuer.FaultHang:
		eff.hang = true
	case issuer.FaultExpiredToken:
		eff.expired = true
	case issuer.FaultMalformedToken:
		eff.malformed = true
	case issuer.FaultLoseResponse:
		eff.loseResponse = true
	case issuer.FaultInvalidGrant:
		eff.invalidGrant = true
	case issuer.FaultShortLifetime:
		if eff.lifetime == 0 || f.Lifetime < eff.lifetime {
			eff.lifetime = f.Lifetime
		}
	case issuer.FaultThrottle:
		if eff.fail != nil { // failing anyway: the call takes no token
			return false
		}
		wait := f.throttle.take(identity, now)
		if wait == 0 {
			return false
		}
		eff.fail = throttled(f, wait)
	}
	return true
}

// addSat adds two non-negative durations, saturating instead of wrapping
// to a negative sum.
func addSat(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// errHung is the error of a simulated call (one given an issuer.Delay) that
// a hang fault holds: the simulation plays the hang out.
var errHung = fmt.Errorf("fake issuer: the request hung: %w", ErrFaultInjected)

// applyFaults takes the faults for one call and plays out the ones that act
// before minting: latency (on the issuer's clock), hang, and failures. It
// returns the effects that shape the minted token. With d set (a simulated
// call), latency and hang are reported there instead of waited for: the
// call returns at once.
func (i *Issuer) applyFaults(ctx context.Context, call faultCall, d *issuer.Delay) (faultEffects, error) {
	eff := i.faults.take(i.clock, call)
	if d != nil {
		d.Add(eff.latency)
		if eff.hang {
			d.Hang = true
			return eff, errHung
		}
	} else {
		if eff.latency > 0 {
			if err := i.sleep(ctx, eff.latency); err != nil {
				return eff, fmt.Errorf("fake issuer: gave up during %v of injected latency: %w", eff.latency, err)
			}
		}
		if eff.hang {
			<-ctx.Done()
			return eff, fmt.Errorf("fake issuer: the request hung (injected fault) until the caller gave up: %w", ctx.Err())
		}
	}
	if eff.fail != nil {
		return eff, eff.fail
	}
	if err := ctx.Err(); err != nil {
		return eff, err
	}
	return eff, nil
}

// sleep waits d on the issuer's clock, or until ctx ends.
func (i *Issuer) sleep(ctx context.Context, d time.Duration) error {
	done := make(chan struct{})
	t := i.clock.AfterFunc(d, func() { close(done) })
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	}
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "TooManyRequests"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	case http.StatusUnauthorized:
		return "Unauthorized"
	case http.StatusForbidden:
		return "Forbidden"
	case http.StatusInternalServerError:
		return "InternalServerError"
	}
	if status >= 500 {
		return "ServerError"
	}
	return "RequestFailed"
}
