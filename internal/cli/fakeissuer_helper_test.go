package cli

import (
	"context"
	"io"
	"os"
	"testing"
)

// startFakeIssuer runs `tokentop fakeissuer [args]` in-process on a free
// loopback port and returns its base URL; it is stopped when the test ends,
// and must then exit 0.
func startFakeIssuer(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := startFakeIssuerCommand(t, func(stdout io.Writer) int {
		return runFakeIssuerContext(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...), os.Getenv, stdout, io.Discard)
	})
	t.Cleanup(func() {
		cancel()
		if code := r.wait(t); code != 0 {
			t.Errorf("fakeissuer exited %d when stopped, want 0", code)
		}
		r.output(t)
	})
	return r.base
}
