package issuer

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http/httptrace"
	"testing"
	"time"
)

// stepClock is a fake clock that moves by step at every reading.
type stepClock struct {
	t    time.Time
	step time.Duration
}

func (c *stepClock) now() time.Time {
	c.t = c.t.Add(c.step)
	return c.t
}

func TestExchangeTraceTimesEachPhaseOnAFakeClock(t *testing.T) {
	clk := &stepClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), step: time.Millisecond}
	info := &CallInfo{}
	ctx, trace := traceCall(context.Background(), info, clk.now)
	ct := httptrace.ContextClientTrace(ctx)
	if ct == nil {
		t.Fatal("no ClientTrace in the request context")
	}
	// Each hook reads the clock once (a failed dial does not): 1ms, 2ms...
	ct.GetConn("issuer.example:443")            // 1
	ct.DNSStart(httptrace.DNSStartInfo{})       // 2
	ct.DNSDone(httptrace.DNSDoneInfo{})         // 3
	ct.ConnectStart("tcp", "192.0.2.1:443")     // 4
	ct.ConnectStart("tcp", "[2001:db8::1]:443") // 5: Happy Eyeballs, the phase started at the first
	ct.ConnectDone("tcp", "[2001:db8::1]:443", errors.New("unreachable"))
	ct.ConnectDone("tcp", "192.0.2.1:443", nil)     // 6
	ct.TLSHandshakeStart()                          // 7
	ct.TLSHandshakeDone(tls.ConnectionState{}, nil) // 8
	ct.GotConn(httptrace.GotConnInfo{})             // 9
	ct.GotFirstResponseByte()                       // 10
	trace.report(info, 200, 123)                    // 11

	want := HTTPTiming{DNS: time.Millisecond, Connect: 2 * time.Millisecond, TLS: time.Millisecond,
		FirstByte: time.Millisecond, Total: 10 * time.Millisecond, Status: 200, Bytes: 123}
	if info.HTTP == nil || *info.HTTP != want {
		t.Fatalf("HTTP = %+v, want %+v", info.HTTP, want)
	}
}

func TestExchangeTraceKeepsOnlyTheLastExchange(t *testing.T) {
	clk := &stepClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), step: time.Millisecond}
	info := &CallInfo{}
	ctx, trace := traceCall(context.Background(), info, clk.now)
	ct := httptrace.ContextClientTrace(ctx)
	// The first exchange dials; it answers with a redirect.
	ct.GetConn("h:80")                     // 1ms
	ct.ConnectStart("tcp", "192.0.2.1:80") // 2
	ct.GotConn(httptrace.GotConnInfo{})    // 3
	// The second reuses the connection. A dial the first one abandoned
	// reports late: it must not count.
	ct.GetConn("h:80")                              // 4ms
	ct.ConnectDone("tcp", "192.0.2.1:80", nil)      // 5
	ct.GotConn(httptrace.GotConnInfo{Reused: true}) // 6
	ct.GotFirstResponseByte()                       // 7
	ct.TLSHandshakeDone(tls.ConnectionState{}, nil) // 8: no handshake started in this exchange
	trace.report(info, 204, 0)                      // 9

	want := HTTPTiming{FirstByte: time.Millisecond, Total: 5 * time.Millisecond, Reused: true, Status: 204}
	if info.HTTP == nil || *info.HTTP != want {
		t.Fatalf("HTTP = %+v, want %+v", info.HTTP, want)
	}
}

func TestExchangeTraceReportsNothingWithoutAnExchangeOrCallInfo(t *testing.T) {
	info := &CallInfo{}
	_, trace := traceCall(context.Background(), info, nil)
	trace.report(info, 0, 0)
	if info.HTTP != nil {
		t.Errorf("HTTP = %+v before any exchange, want nil", info.HTTP)
	}
	ctx, trace := traceCall(context.Background(), nil, nil)
	if trace != nil || httptrace.ContextClientTrace(ctx) != nil {
		t.Error("a call without CallInfo is traced")
	}
	trace.report(nil, 200, 1) // a nil trace does nothing
}

func TestExchangeTraceSpanNeverNegative(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)
	if d := span(start, start.Add(-time.Second)); d != 0 {
		t.Errorf("span of a clock that went back = %v, want 0", d)
	}
	if d := span(time.Time{}, start); d != 0 {
		t.Errorf("span of a phase that did not start = %v, want 0", d)
	}
}
