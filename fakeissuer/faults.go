package fakeissuer

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// FaultKind names what a fault does to token requests.
type FaultKind string

// Fault kinds.
const (
	// FaultFail fails calls with Status (500 by default; 503, 429 with
	// Retry-After, 401 and any other 4xx/5xx are accepted).
	FaultFail FaultKind = "fail"
	// FaultLatency delays calls by Latency on the issuer's clock.
	FaultLatency FaultKind = "latency"
	// FaultHang makes calls hang until the caller gives up (its context ends).
	FaultHang FaultKind = "hang"
	// FaultExpiredToken answers with a token that is already expired.
	FaultExpiredToken FaultKind = "expired-token"
	// FaultMalformedToken answers with a token that does not parse.
	FaultMalformedToken FaultKind = "malformed-token"
	// FaultShortLifetime answers with tokens of at most Lifetime (default 5m),
	// shorter than asked.
	FaultShortLifetime FaultKind = "short-lifetime"
	// FaultDown fails every call with 503 for Duration on the issuer's clock.
	FaultDown FaultKind = "down"
)

// FaultKinds lists every kind, in the order a menu would show them.
func FaultKinds() []FaultKind {
	return []FaultKind{FaultFail, FaultLatency, FaultHang, FaultExpiredToken,
		FaultMalformedToken, FaultShortLifetime, FaultDown}
}

// DefaultShortLifetime is the lifetime of tokens under FaultShortLifetime
// when the fault sets none.
const DefaultShortLifetime = 5 * time.Minute

// Fault changes how the issuer answers token requests, in-process and over
// HTTP alike. Faults are checked in the order they were injected.
type Fault struct {
	// ID identifies the fault once injected (RemoveFault).
	ID int
	// Kind says what the fault does.
	Kind FaultKind
	// Identity limits the fault to token requests for one identity; empty
	// means every request.
	Identity string
	// Count is how many calls the fault affects; 0 means every call until it
	// is cleared or its Duration ends. Faults() shows the calls left.
	Count int
	// Status is the HTTP status of FaultFail (default 500) and FaultDown (503).
	Status int
	// RetryAfter is sent as Retry-After with a 429 or 503 (default 1s for 429).
	RetryAfter time.Duration
	// Latency is the delay of FaultLatency.
	Latency time.Duration
	// Lifetime is the token lifetime of FaultShortLifetime.
	Lifetime time.Duration
	// Duration limits how long the fault lasts on the issuer's clock; it is
	// required for FaultDown, optional for the others.
	Duration time.Duration
	// Until is when Duration ends; set by InjectFault.
	Until time.Time
}

// String describes the fault in a few words, e.g. "fail next 3 calls with 503".
func (f Fault) String() string {
	var what string
	switch f.Kind {
	case FaultFail:
		what = fmt.Sprintf("fail with %d", f.Status)
	case FaultLatency:
		what = fmt.Sprintf("add %v latency", f.Latency)
	case FaultHang:
		what = "hang until the caller gives up"
	case FaultExpiredToken:
		what = "return expired tokens"
	case FaultMalformedToken:
		what = "return malformed tokens"
	case FaultShortLifetime:
		what = fmt.Sprintf("cap token lifetime at %v", f.Lifetime)
	case FaultDown:
		what = "be down"
	default:
		what = string(f.Kind)
	}
	switch {
	case f.Count == 1:
		what += " for the next call"
	case f.Count > 1:
		what += fmt.Sprintf(" for the next %d calls", f.Count)
	}
	if f.Duration > 0 {
		what += fmt.Sprintf(" for %v", f.Duration)
	}
	if f.Identity != "" {
		what += " (" + f.Identity + " only)"
	}
	return what
}

// validate fills defaults and rejects faults that cannot be applied.
func (f *Fault) validate() error {
	if f.Count < 0 {
		return fmt.Errorf("fault %q: count %d is negative; use 0 for every call", f.Kind, f.Count)
	}
	if f.RetryAfter < 0 || f.Latency < 0 || f.Lifetime < 0 || f.Duration < 0 {
		return fmt.Errorf("fault %q: durations must not be negative", f.Kind)
	}
	switch f.Kind {
	case FaultFail:
		if f.Status == 0 {
			f.Status = http.StatusInternalServerError
		}
		if f.Status < 400 || f.Status > 599 {
			return fmt.Errorf("fault %q: status %d is not an HTTP error status (400-599)", f.Kind, f.Status)
		}
		if f.Status == http.StatusTooManyRequests && f.RetryAfter == 0 {
			f.RetryAfter = time.Second
		}
	case FaultDown:
		if f.Duration <= 0 {
			return fmt.Errorf("fault %q needs a duration, e.g. 2m", f.Kind)
		}
		if f.Status == 0 {
			f.Status = http.StatusServiceUnavailable
		}
		if f.Status < 400 || f.Status > 599 {
			return fmt.Errorf("fault %q: status %d is not an HTTP error status (400-599)", f.Kind, f.Status)
		}
	case FaultLatency:
		if f.Latency <= 0 {
			return fmt.Errorf("fault %q needs a latency, e.g. 2s", f.Kind)
		}
	case FaultShortLifetime:
		if f.Lifetime == 0 {
			f.Lifetime = DefaultShortLifetime
		}
	case FaultHang, FaultExpiredToken, FaultMalformedToken:
	default:
		return fmt.Errorf("fault kind %q is unknown; use one of %v", f.Kind, FaultKinds())
	}
	return nil
}

// InjectFault adds a fault and returns nil, or an error naming what is wrong
// with it. The injected fault, with its ID, is the last of Faults().
func (i *Issuer) InjectFault(f Fault) error {
	_, err := i.injectFault(f)
	return err
}

func (i *Issuer) injectFault(f Fault) (Fault, error) {
	if err := f.validate(); err != nil {
		return Fault{}, err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.nextFault++
	f.ID = i.nextFault
	f.Until = time.Time{}
	if f.Duration > 0 {
		f.Until = i.clock.Now().Add(f.Duration)
	}
	i.faults = append(i.faults, &f)
	return f, nil
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
func (i *Issuer) Faults() []Fault {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.expireFaultsLocked(i.clock.Now())
	out := make([]Fault, len(i.faults))
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
		case FaultFail:
			if eff.fail == nil {
				eff.fail = &StatusError{Status: f.Status, Code: codeForStatus(f.Status),
					Message: "injected fault: " + f.String(), RetryAfter: f.RetryAfter, Err: ErrFaultInjected}
			}
		case FaultDown:
			if eff.fail == nil {
				eff.fail = &StatusError{Status: f.Status, Code: codeForStatus(f.Status),
					Message:    fmt.Sprintf("injected fault: the issuer is down until %s", f.Until.UTC().Format(time.RFC3339)),
					RetryAfter: max(f.RetryAfter, f.Until.Sub(now)), Err: ErrFaultInjected}
			}
		case FaultLatency:
			eff.latency += f.Latency
		case FaultHang:
			eff.hang = true
		case FaultExpiredToken:
			eff.expired = true
		case FaultMalformedToken:
			eff.malformed = true
		case FaultShortLifetime:
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
