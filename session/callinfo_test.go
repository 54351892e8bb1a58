package session

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/credential"
	"tokentop/issuer"
	"tokentop/scenario"
)

// reportingIssuer reports HTTP timings and a signature verdict for each
// call, as the HTTP adapters do: the first call opens a connection, the
// others reuse it.
type reportingIssuer struct {
	plainIssuer
	calls int
}

func (r *reportingIssuer) Issue(ctx context.Context, req issuer.Request) (credential.AccessToken, error) {
	r.calls++
	if info := issuer.CallInfoFrom(ctx); info != nil {
		info.HTTP = &issuer.HTTPTiming{Status: 200, Reused: r.calls > 1, Connect: 3 * time.Millisecond,
			FirstByte: 40 * time.Millisecond, Total: 42 * time.Millisecond, Bytes: 512}
		info.Signature = issuer.SignatureCheck{State: issuer.SignatureVerified, Alg: "ES256", KeyID: "k1"}
	}
	time.Sleep(42 * time.Millisecond)
	return r.plainIssuer.Issue(ctx, req)
}

func TestRefreshEventsCarryTheCallsHTTPTimingsAndSignatureAndTheSummaryItsLatencies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, fake := fakeOptions(t, clockReal())
		iss := &reportingIssuer{plainIssuer: plainIssuer{fake}}
		sc := scenario.Scenario{Name: "timed", Sessions: []scenario.Spec{{Name: "a", Identity: "a", Proactive: true, Lifetime: time.Hour}}}
		var out bytes.Buffer
		sum, err := RunHeadless(context.Background(), sc, HeadlessOptions{Manager: Options{Issuer: iss}, Duration: 3 * time.Hour, Out: &out, JSON: true})
		if err != nil {
			t.Fatal(err)
		}
		var succeeded []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var l map[string]any
			json.Unmarshal([]byte(line), &l)
			if l["kind"] == "refresh-succeeded" {
				succeeded = append(succeeded, l)
			}
		}
		if len(succeeded) < 3 {
			t.Fatalf("%d refreshes in 3 hours, want at least 3", len(succeeded))
		}
		first := succeeded[0]
		h, _ := first["http"].(map[string]any)
		if h == nil || h["status"] != float64(200) || h["reused"] != false || h["connect_ms"] != float64(3) || h["bytes"] != float64(512) {
			t.Errorf("first refresh's http = %v, want status 200 on a new connection", first["http"])
		}
		if first["signature"] != "verified (ES256)" {
			t.Errorf("signature = %v, want verified (ES256)", first["signature"])
		}
		if h, _ := succeeded[1]["http"].(map[string]any); h == nil || h["reused"] != true {
			t.Errorf("second refresh's http = %v, want a reused connection", succeeded[1]["http"])
		}
		s := sum.Sessions[0]
		if s.NewConnections != 1 || s.IssuerP50MS < 42 || s.IssuerP50MS > 42*1.19 || s.IssuerP99MS < s.IssuerP50MS {
			t.Errorf("summary: %d new connections, p50 %vms, p99 %vms; want 1 and about 42 ms", s.NewConnections, s.IssuerP50MS, s.IssuerP99MS)
		}
	})
}

func TestLatencyHistogramQuantilesAreWithinABucket(t *testing.T) {
	var h latencyHistogram
	if h.quantile(0.5) != 0 {
		t.Fatal("an empty histogram has a median")
	}
	for i := 1; i <= 100; i++ {
		h.observe(time.Duration(i) * time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}} {
		got := h.quantile(tc.q)
		if got < tc.want || float64(got) > float64(tc.want)*1.19 {
			t.Errorf("q%v = %v, want %v within 19%%", tc.q, got, tc.want)
		}
	}
	var all latencyHistogram
	all.merge(&h)
	all.merge(&h)
	if all.n != 200 || all.quantile(0.5) != h.quantile(0.5) {
		t.Errorf("merged twice: n %d, median %v; want 200 and %v", all.n, all.quantile(0.5), h.quantile(0.5))
	}
}

// Issue 23: p50 and p99 read 22ms when every call took 20 ms.
func TestLatencyHistogramIsExactForAFewCalls(t *testing.T) {
	var h, all latencyHistogram
	for _, ms := range []int{20, 20, 35, 20} {
		h.observe(time.Duration(ms) * time.Millisecond)
	}
	if p50, p99 := h.quantile(0.5), h.quantile(0.99); p50 != 20*time.Millisecond || p99 != 35*time.Millisecond {
		t.Errorf("four calls of 20, 20, 35, 20 ms: p50 %v, p99 %v; want 20ms and 35ms", p50, p99)
	}
	all.merge(&h)
	all.merge(&h)
	if p99 := all.quantile(0.99); all.n != 8 || p99 != 35*time.Millisecond {
		t.Errorf("merged twice: n %d, p99 %v; want 8 and 35ms", all.n, p99)
	}
	for range exactSamples {
		all.observe(20 * time.Millisecond)
	}
	if all.exact != nil {
		t.Errorf("%d calls still kept exactly", all.n)
	}
}

// overlappingIssuer answers every call after the same 50 ms, so that calls
// started together end together, and reports each call's own timings: call
// n has n bytes, a first byte after n*10 ms, and a token living one hour and
// n seconds, so that the token's expiry names the call it came from.
type overlappingIssuer struct {
	plainIssuer
	mu    sync.Mutex
	calls int
	byExp map[int64]int64 // a token's exp (Unix seconds) -> its call's Bytes
}

func (o *overlappingIssuer) Issue(ctx context.Context, req issuer.Request) (credential.AccessToken, error) {
	o.mu.Lock()
	o.calls++
	n := o.calls
	o.mu.Unlock()
	if info := issuer.CallInfoFrom(ctx); info != nil {
		info.HTTP = &issuer.HTTPTiming{Status: 200, FirstByte: time.Duration(n) * 10 * time.Millisecond, Bytes: int64(n)}
	}
	req.Lifetime = time.Hour + time.Duration(n)*time.Second
	tok, err := o.plainIssuer.Issue(ctx, req)
	time.Sleep(50 * time.Millisecond)
	if err == nil {
		o.mu.Lock()
		o.byExp[tok.ExpiresOn.Unix()] = int64(n)
		o.mu.Unlock()
	}
	return tok, err
}

// Issue 21, item 4: with the java policy every caller starts its own
// refresh; when their calls overlap, each refresh-succeeded carries the
// timings of the call that fetched its token, not the newest call's.
func TestOverlappingRefreshesEachCarryTheirOwnCallsTimings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, fake := fakeOptions(t, clockReal())
		iss := &overlappingIssuer{plainIssuer: plainIssuer{fake}, byExp: map[int64]int64{}}
		sc := scenario.Scenario{Name: "herd", Sessions: []scenario.Spec{{Name: "a", Identity: "a", Policy: "java",
			Callers: 3, CallInterval: time.Minute, Lifetime: time.Hour}}}
		var out bytes.Buffer
		if _, err := RunHeadless(context.Background(), sc, HeadlessOptions{Manager: Options{Issuer: iss}, Duration: 90 * time.Second, Out: &out, JSON: true}); err != nil {
			t.Fatal(err)
		}
		succeeded := 0
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var l struct {
				Kind      string
				ExpiresOn time.Time `json:"expires_on"`
				HTTP      *struct{ Bytes int64 }
			}
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			if l.Kind != "refresh-succeeded" {
				continue
			}
			succeeded++
			want := iss.byExp[l.ExpiresOn.Unix()]
			if l.HTTP == nil || l.HTTP.Bytes != want {
				t.Errorf("the refresh whose token came from call %d carries http %+v, want that call's (%d bytes): %s", want, l.HTTP, want, line)
			}
		}
		if succeeded != 3 {
			t.Errorf("%d refreshes succeeded, want 3 overlapping ones:\n%s", succeeded, out.String())
		}
	})
}
