package session

import (
	"strings"
	"testing"
	"time"

	"tokentop/issuer"
)

// Issue 23, bug 9: a refused call read "HTTP 0, new connection: connect 1ms,
// first byte 0s, 0 B"; it says there was no answer.
func TestDescribeTimingSaysNoAnswerForARefusedCall(t *testing.T) {
	for _, tc := range []struct {
		h    issuer.HTTPTiming
		want string
	}{
		{issuer.HTTPTiming{Connect: time.Millisecond}, "no answer, new connection: connect 1ms"},
		{issuer.HTTPTiming{Reused: true}, "no answer, reused connection"},
		{issuer.HTTPTiming{Status: 200, Connect: time.Millisecond, FirstByte: 30 * time.Millisecond, Bytes: 512},
			"HTTP 200, new connection: connect 1ms, first byte 30ms, 512 B"},
	} {
		if got := describeTiming(tc.h); got != tc.want {
			t.Errorf("describeTiming(%+v) = %q, want %q", tc.h, got, tc.want)
		}
	}
}

// Issue 23, bug 9: the issuer timeout's advice named Options.IssueTimeout,
// an internal name; a user sets the limit with --issuer-timeout.
func TestIssuerTimeoutAdviceNamesOnlyTheFlag(t *testing.T) {
	msg := (&timeoutError{what: "the issuer did not answer", limit: 30 * time.Second, knob: "IssueTimeout"}).Error()
	if !strings.Contains(msg, "(--issuer-timeout)") || strings.Contains(msg, "Options.") {
		t.Errorf("timeout message %q; want it to name --issuer-timeout alone", msg)
	}
}
