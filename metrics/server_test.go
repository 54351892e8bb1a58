package metrics

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/scenario"
	"tokentop/session"
)

// longNamesExporter runs 1000 sessions whose names and identities are 256
// bytes (the longest a scenario may give) for a few virtual minutes and
// returns an exporter of them, every session with refresh counters.
func longNamesExporter(t testing.TB) *Exporter {
	t.Helper()
	sc := scenario.Scenario{Name: "long-names", Duration: 3 * time.Minute}
	for i := range 1000 {
		name := fmt.Sprintf("s%04d-", i) + strings.Repeat("n", 250)
		ident := fmt.Sprintf("u%04d-", i) + strings.Repeat("i", 250)
		sc.Sessions = append(sc.Sessions, scenario.Spec{Name: name, Identity: ident, Proactive: true})
	}
	loop := clock.NewSim(sc.StartTime())
	fake, err := fakeissuer.New(fakeissuer.Options{Clock: loop})
	if err != nil {
		t.Fatal(err)
	}
	exp := New(Options{})
	if _, err := session.RunHeadless(context.Background(), sc, session.HeadlessOptions{
		Manager: session.Options{Issuer: fake, Clock: loop}, Observe: exp.Observe, Started: exp.Attach}); err != nil {
		t.Fatal(err)
	}
	return exp
}

// heapWriter is a ResponseWriter that counts the body and, every sampleEvery
// bytes written to it, measures the live heap: the peak of those samples
// over the heap before the scrape is what a scrape holds while it streams.
type heapWriter struct {
	header      http.Header
	status      int
	written     int64
	nextSample  int64
	sampleEvery int64
	peak        uint64
}

func (w *heapWriter) Header() http.Header { return w.header }

func (w *heapWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *heapWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.written >= w.nextSample {
		w.peak = max(w.peak, liveHeap())
		w.nextSample = w.written + w.sampleEvery
	}
	w.written += int64(len(p))
	return len(p), nil
}

// liveHeap is the heap's live bytes after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// Issue 20, defect 7: a scrape is streamed to the scraper as it is encoded,
// never held whole in memory. 1000 sessions with 256-byte names and
// identities make a body of about 21 MB; while it is written, the heap holds
// at most the gathered series and the encoders' buffers, well under 8 MB.
// (http.TimeoutHandler, which promhttp's Timeout option wraps the handler
// in, buffered the whole body: 186 MB for 4000-byte names.) The bound was
// 5 MB until issue 23 exported every refresh series at 0 from the start:
// 15 refresh series a session instead of the 2 or 3 it had counted, about
// 250 bytes each once gathered (6.6 MB measured).
func TestScrapeOfLongNamesStreamsInUnderEightMB(t *testing.T) {
	exp := longNamesExporter(t)
	h := Handler(exp.Registry())
	req := httptest.NewRequest(http.MethodGet, Path, nil) // no Accept-Encoding: the body is not compressed
	before := liveHeap()
	w := &heapWriter{header: http.Header{}, sampleEvery: 256 << 10}
	h.ServeHTTP(w, req)
	if w.status != http.StatusOK {
		t.Fatalf("scrape answered %d", w.status)
	}
	if w.written < 5<<20 {
		t.Fatalf("the scrape's body is %d bytes; the test needs one over 5 MB to tell streaming from buffering", w.written)
	}
	extra := int64(w.peak) - int64(before)
	t.Logf("scrape of 1000 sessions with 256-byte names: body %.1f MB, heap %.2f MB over the %.1f MB before it",
		float64(w.written)/(1<<20), float64(extra)/(1<<20), float64(before)/(1<<20))
	if extra > 8<<20 {
		t.Errorf("a scrape held %.1f MB more heap while streaming a %.1f MB body; want at most 8 MB",
			float64(extra)/(1<<20), float64(w.written)/(1<<20))
	}
	runtime.KeepAlive(exp)
}

// Issue 20, defect 7: a scraper that stops reading holds its scrape (a slot
// of maxScrapes, and the series gathered for it) only until the scrape's
// deadline, not until the server's WriteTimeout or for ever.
func TestAScrapeThatIsNotReadEndsAtItsDeadline(t *testing.T) {
	exp := longNamesExporter(t) // a body of about 21 MB: more than the sockets' buffers hold
	ended := make(chan struct{})
	h := handler(exp.Registry(), 300*time.Millisecond)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(ended)
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.(*net.TCPConn).SetReadBuffer(4 << 10); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, "GET "+Path+" HTTP/1.1\r\nHost: tokentop\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	select { // the scraper never reads
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("a scrape nobody reads still runs 10 s after its 300 ms deadline")
	}
}
