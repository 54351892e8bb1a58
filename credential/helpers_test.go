package credential

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"
)

// mintJWT returns an unsigned JWT whose exp is exp (fractional seconds kept).
func mintJWT(exp time.Time) string {
	secs := strconv.FormatFloat(float64(exp.Unix())+float64(exp.Nanosecond())/1e9, 'f', -1, 64)
	return mintJWTClaims(`{"sub":"alice","exp":` + secs + `}`)
}

func mintJWTClaims(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "." + enc([]byte("sig"))
}

// fakeRefresher counts calls and answers with next(ctx, n) for the n-th call.
type fakeRefresher struct {
	mu    sync.Mutex
	calls int
	next  func(ctx context.Context, n int) (AccessToken, error)
}

func (f *fakeRefresher) refresh(ctx context.Context) (AccessToken, error) {
	f.mu.Lock()
	f.calls++
	n, next := f.calls, f.next
	f.mu.Unlock()
	return next(ctx, n)
}

func (f *fakeRefresher) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// lifetime returns a refresher answer: a JWT valid for ttl from the call.
func lifetime(ttl time.Duration) func(context.Context, int) (AccessToken, error) {
	return func(context.Context, int) (AccessToken, error) {
		return AccessToken{Token: mintJWT(time.Now().Add(ttl))}, nil
	}
}

// recorder collects events.
type recorder struct {
	mu  sync.Mutex
	evs []Event
}

func (r *recorder) on(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, e)
}

func (r *recorder) events(kind EventKind) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) kinds() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := ""
	for i, e := range r.evs {
		if i > 0 {
			s += " "
		}
		s += e.Kind.String()
	}
	return s
}

func mustNew(t testing.TB, opts Options) *Credential {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func expiryOf(t testing.TB, tok AccessToken) string {
	t.Helper()
	return fmt.Sprint(tok.ExpiresOn.UTC().Format(time.RFC3339Nano))
}

// errTest is the refresher failure the tests inject.
var errTest = errors.New("issuer unavailable (test)")

// sleep waits d of (virtual) time or until ctx is done, as a Refresher must.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
