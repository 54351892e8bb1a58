package credential

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/internal/clock"
)

// shell is one way a credential runs: "goroutines" (its clock the real one,
// its Refresher called in a goroutine of its own) or "loop" (a paced 1x
// clock.Loop whose goroutine runs every timer of the credential; the
// refresher's blocking call runs in a goroutine that posts the result back
// to the loop, as a real issuer's call does on a loop).
type shell struct {
	loop *clock.Loop // nil: goroutines
}

// onEachShell runs body on each shell, each in a synctest bubble of its own.
func onEachShell(t *testing.T, body func(t *testing.T, sh shell)) {
	t.Helper()
	for _, name := range []string{"goroutines", "loop"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var sh shell
				if name == "loop" {
					sh.loop = clock.NewPacedOn(bubbleClock{}, time.Now(), 1)
					defer runLoop(t, sh.loop)()
				}
				body(t, sh)
			})
		})
	}
}

// bubbleClock is the bubble's clock without a Wall: a loop over it has no
// wall clock to look at (the tests that jump it bring their own).
type bubbleClock struct{}

func (bubbleClock) Now() time.Time                                  { return time.Now() }
func (bubbleClock) Since(t time.Time) time.Duration                 { return time.Since(t) }
func (bubbleClock) AfterFunc(d time.Duration, f func()) clock.Timer { return time.AfterFunc(d, f) }

// runLoop runs l in a goroutine until the returned stop is called.
func runLoop(t *testing.T, l *clock.Loop) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("the loop's Run = %v, want context.Canceled", err)
		}
	}
}

// new is mustNew on the shell.
func (sh shell) new(t testing.TB, opts Options) *Credential {
	t.Helper()
	return mustNew(t, sh.options(opts))
}

// newJittered is newCredential on the shell.
func (sh shell) newJittered(opts Options, jitter func() float64) (*Credential, error) {
	return newCredential(sh.options(opts), jitter)
}

// options puts opts on the shell: on the loop, the Refresher's result is
// posted to the loop from the goroutine that called it.
func (sh shell) options(opts Options) Options {
	if sh.loop == nil {
		return opts
	}
	opts.Clock = sh.loop
	if r := opts.Refresher; r != nil {
		opts.Refresher, opts.AsyncRefresher = nil, GoRefresher(r, sh.loop.Post)
	}
	return opts
}
