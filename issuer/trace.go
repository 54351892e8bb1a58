package issuer

import (
	"context"
	"crypto/tls"
	"net/http/httptrace"
	"sync"
	"time"
)

// exchangeTrace records where an HTTP call's time went, through
// net/http/httptrace, for CallInfo.HTTP. A call can make several exchanges
// (a redirect, a retry on a closed kept-alive connection, x/oauth2 probing
// the auth style): each starts with GetConn, which forgets the previous
// one's phases, so the trace holds the last exchange's.
//
// httptrace may call the hooks from several goroutines, and a dial that lost
// a race to an idle connection may report after the exchange is over:
// everything is under mu, and a phase's end counts only after its start.
type exchangeTrace struct {
	now func() time.Time

	mu sync.Mutex
	exchangePhases
}

// exchangePhases are the instants of one exchange; zero for a phase that
// did not happen.
type exchangePhases struct {
	getConn                   time.Time // the exchange began: its Total starts here
	dnsStart, dnsDone         time.Time
	connectStart, connectDone time.Time
	tlsStart, tlsDone         time.Time
	gotConn                   time.Time // the request starts going out: FirstByte starts here, as in httpstat
	firstByte                 time.Time
	reused                    bool
}

// traceCall returns ctx with a trace of its HTTP exchanges when info asks
// for a report (info is not nil), and the trace; otherwise ctx and a nil
// trace. now tells the time; nil means time.Now, whose monotonic reading
// makes the durations immune to wall-clock steps.
func traceCall(ctx context.Context, info *CallInfo, now func() time.Time) (context.Context, *exchangeTrace) {
	if info == nil {
		return ctx, nil
	}
	if now == nil {
		now = time.Now
	}
	t := &exchangeTrace{now: now}
	return httptrace.WithClientTrace(ctx, t.clientTrace()), t
}

func (t *exchangeTrace) clientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn: func(string) {
			t.at(func(now time.Time) { t.exchangePhases = exchangePhases{getConn: now} })
		},
		DNSStart: func(httptrace.DNSStartInfo) { t.at(func(now time.Time) { t.dnsStart = now }) },
		DNSDone: func(httptrace.DNSDoneInfo) {
			t.at(func(now time.Time) { t.dnsDone = endOf(t.dnsStart, t.dnsDone, now) })
		},
		ConnectStart: func(string, string) {
			t.at(func(now time.Time) {
				if t.connectStart.IsZero() { // Happy Eyeballs: the first attempt starts the phase
					t.connectStart = now
				}
			})
		},
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				t.at(func(now time.Time) { t.connectDone = endOf(t.connectStart, t.connectDone, now) })
			}
		},
		TLSHandshakeStart: func() { t.at(func(now time.Time) { t.tlsStart = now }) },
		TLSHandshakeDone: func(tls.ConnectionState, error) {
			t.at(func(now time.Time) { t.tlsDone = endOf(t.tlsStart, t.tlsDone, now) })
		},
		GotConn: func(c httptrace.GotConnInfo) {
			t.at(func(now time.Time) { t.gotConn, t.reused = now, c.Reused })
		},
		GotFirstResponseByte: func() {
			t.at(func(now time.Time) { t.firstByte = endOf(t.gotConn, t.firstByte, now) })
		},
	}
}

// at runs record with the time, under the lock.
func (t *exchangeTrace) at(record func(now time.Time)) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	record(now)
}

// endOf is the end of a phase that started at start: now, unless the phase
// has not started in this exchange (a late hook of an abandoned dial) or
// already ended.
func endOf(start, end, now time.Time) time.Time {
	if start.IsZero() || !end.IsZero() {
		return end
	}
	return now
}

// report fills info.HTTP with the last exchange's timing, ended now, and
// the response's status and body size (zero without a response). It does
// nothing for a nil trace, or if no exchange began (a request that could
// not be built).
func (t *exchangeTrace) report(info *CallInfo, status int, bytes int64) {
	if t == nil || info == nil {
		return
	}
	end := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.getConn.IsZero() {
		return
	}
	timing := &HTTPTiming{
		FirstByte: span(t.gotConn, t.firstByte),
		Total:     span(t.getConn, end),
		Reused:    t.reused,
		Status:    status,
		Bytes:     bytes,
	}
	if !t.reused { // a reused connection had no DNS, connect or TLS of its own
		timing.DNS = span(t.dnsStart, t.dnsDone)
		timing.Connect = span(t.connectStart, t.connectDone)
		timing.TLS = span(t.tlsStart, t.tlsDone)
	}
	info.HTTP = timing
}

// span is end - start, or zero if either did not happen or a clock went
// backwards.
func span(start, end time.Time) time.Duration {
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return 0
	}
	return end.Sub(start)
}
