package fakeissuer

import (
	"context"
	"fmt"
	"net/http"
	"time"

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
}

// validateFault fills defaults into f and rejects faults that cannot be
// applied.
func validateFault(f *issuer.Fault) error {
	if f.Count < 0 {
		return fmt.Errorf("fault %q: count %d is negative; use 0 for every call", f.Kind, f.Count)
	}
	if f.RetryAfter < 0 || f.Latency < 0 || f.Lifetime < 0 || f.Duration < 0 {
		return fmt.Errorf("fault %q: durations must not be negative", f.Kind)
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
	case issuer.FaultHang, issuer.FaultExpiredToken, issuer.FaultMalformedToken:
	default:
		return fmt.Errorf("fault kind %q is unknown; use one of %v", f.Kind, issuer.FaultKinds())
	}
	return nil
}

// InjectFault adds a fault and returns nil, or an error naming what is wrong
// with it. The injected fault, with its ID, is the last of Faults().
func (i *Issuer) InjectFault(f issuer.Fault) error {
	_, err := i.injectFault(f)
	return err
}

func (i *Issuer) injectFault(f issuer.Fault) (ActiveFault, error) {
	if err := validateFault(&f); err != nil {
		return ActiveFault{}, err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.nextFault++
	af := ActiveFault{Fault: f, ID: i.nextFault}
	if f.Duration > 0 {
		af.Until = i.clock.Now().Add(f.Duration)
	}
	i.faults = append(i.faults, &af)
	return af, nil
}

// ClearFaults removes every fault. Calls already hanging or delayed keep
// waiting for their caller or their latency.
func (i *Issuer) ClearFaults() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.faults = nil
}

// RemoveFault removes the fault with this id; it reports whether it existed.
func (i *Issuer) RemoveFault(id int) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	for n, f := range i.faults {
		if f.ID == id {
			i.faults = append(i.faults[:n], i.faults[n+1:]...)
			return true
		}
	}
	return false
}

// Faults returns the active faults, with the calls they have left.
func (i *Issuer) Faults() []ActiveFault {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.expireFaultsLocked(i.clock.Now())
	out := make([]ActiveFault, len(i.faults))
	for n, f := range i.faults {
		out[n] = *f
	}
	return out
}

func (i *Issuer) expireFaultsLocked(now time.Time) {
	kept := i.faults[:0]
	for _, f := range i.faults {
		if f.Until.IsZero() || now.Before(f.Until) {
			kept = append(kept, f)
		}
	}
	clear(i.faults[len(kept):])
	i.faults = kept
}

// faultEffects is what the matching faults do to one call.
type faultEffects struct {
	latency   time.Duration
	hang      bool
	fail      *StatusError
	expired   bool
	malformed bool
	lifetime  time.Duration // cap, zero if none
}

// takeFaultsLocked finds the faults matching a call for identity and uses up
// one of each one's calls.
func (i *Issuer) takeFaultsLocked(identity string) faultEffects {
	now := i.clock.Now()
	i.expireFaultsLocked(now)
	var eff faultEffects
	kept := i.faults[:0]
	for _, f := range i.faults {
		if f.Identity != "" && f.Identity != identity {
			kept = append(kept, f)
			continue
		}
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
					RetryAfter: max(f.RetryAfter, f.Until.Sub(now)), Err: ErrFaultInjected}
			}
		case issuer.FaultLatency:
			eff.latency += f.Latency
		case issuer.FaultHang:
			eff.hang = true
		case issuer.FaultExpiredToken:
			eff.expired = true
		case issuer.FaultMalformedToken:
			eff.malformed = true
		case issuer.FaultShortLifetime:
			if eff.lifetime == 0 || f.Lifetime < eff.lifetime {
				eff.lifetime = f.Lifetime
			}
		}
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				continue // used up
			}
		}
		kept = append(kept, f)
	}
	clear(i.faults[len(kept):])
	i.faults = kept
	return eff
}

// applyFaults takes the faults for one call and plays out the ones that act
// before minting: latency (on the issuer's clock), hang, and failures. It
// returns the effects that shape the minted token.
func (i *Issuer) applyFaults(ctx context.Context, identity string) (faultEffects, error) {
	i.mu.Lock()
	eff := i.takeFaultsLocked(identity)
	i.mu.Unlock()
	if eff.latency > 0 {
		if err := i.sleep(ctx, eff.latency); err != nil {
			return eff, fmt.Errorf("fake issuer: gave up during %v of injected latency: %w", eff.latency, err)
		}
	}
	if eff.hang {
		<-ctx.Done()
		return eff, fmt.Errorf("fake issuer: the request hung (injected fault) until the caller gave up: %w", ctx.Err())
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
