package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// Issue 23, bug 5: `fakeissuer --listen 18082` said "missing port ... (is
// another server using the port?)" and exited 1; a --listen that is not
// HOST:PORT is a usage error that says what to give.
func TestFakeIssuerListenNotHostPortIsAUsageError(t *testing.T) {
	for _, tc := range []struct{ listen, want string }{
		{"18082", "give --listen 127.0.0.1:18082"},
		{"localhost", "want HOST:PORT"},
		{"127.0.0.1:99999", `the port "99999" is not a number from 0 to 65535`},
	} {
		code, stdout, stderr := runBinary(t, "fakeissuer", "--listen", tc.listen)
		if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "another server") {
			t.Errorf("--listen %s: exit %d, stdout %q, stderr %q; want exit 2 and one line saying %q", tc.listen, code, stdout, stderr, tc.want)
		}
	}
}

// Issue 23, bug 6: `tokentop decode < /dev/null` asked to paste a token:
// /dev/null is a character device, but not a terminal.
func TestDecodeFromDevNullDoesNotPrompt(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"decode"}, envOf(), Stdio{In: null, Out: &stdout, Err: &stderr})
	if code != exitUsage || strings.Contains(stderr.String(), "paste") || !strings.Contains(stderr.String(), "stdin holds no token") {
		t.Errorf("decode < /dev/null: exit %d, stderr %q; want exit 2 saying stdin holds no token, without a prompt", code, stderr.String())
	}
}
