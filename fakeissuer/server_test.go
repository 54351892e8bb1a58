package fakeissuer

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"tokentop/internal/clock"
)

func TestNewServerSetsTimeoutsAndHeaderLimit(t *testing.T) {
	srv := NewServer(http.NotFoundHandler())
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.IdleTimeout == 0 || srv.MaxHeaderBytes != MaxRequestBody {
		t.Errorf("server = %+v, want read-header, read and idle timeouts and a 64 KiB header limit", srv)
	}
}

func TestServeShutsDownGracefullyAndEndsHangingRequests(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	iss, _ := newTestIssuer(t, Options{Clock: clock.Real{}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- iss.Serve(ctx, ln) }()

	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Post(url+PathGetToken, "application/json", strings.NewReader(`{"username":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("before shutdown: %d", resp.StatusCode)
	}

	// A route that hangs like the hang fault and says when it is entered.
	entered := make(chan struct{})
	iss.Handle("/test/hang", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
		writeIssueError(w, r.Context().Err())
	}))
	hung := make(chan *http.Response, 1)
	go func() {
		resp, err := client.Get(url + "/test/hang")
		if err != nil {
			t.Errorf("hanging request: %v", err)
		}
		hung <- resp
	}()
	within(t, entered, "the hanging request to arrive")
	cancel()
	if err := within(t, served, "Serve to return"); err != nil {
		t.Errorf("Serve = %v, want nil after a graceful shutdown", err)
	}
	if resp := within(t, hung, "the hanging request to end"); resp != nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("hanging request ended with %d, want 503", resp.StatusCode)
		}
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("the listener still accepts after shutdown")
	}
}

// startSlowUpload sends a POST to addr whose body never comes, and returns
// once the handler is reading it: with Expect: 100-continue the server
// answers "100 Continue" only when the handler first reads the body.
func startSlowUpload(t testing.TB, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "POST " + PathGetToken + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
		"Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("slow upload: read %q, %v; want 100 Continue", line, err)
	}
	if _, err := conn.Write([]byte(`{"username":`)); err != nil { // and then nothing
		t.Fatal(err)
	}
	return conn
}

func TestServeCutsASlowClientAfterTheGrace(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	iss, _ := newTestIssuer(t, Options{Clock: clock.Real{}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- iss.Serve(ctx, ln) }()
	conn := startSlowUpload(t, ln.Addr().String())

	start := time.Now()
	cancel()
	if err := within(t, served, "Serve to return"); err != nil {
		t.Errorf("Serve = %v, want nil: a slow client is cut, not an error", err)
	}
	// Before the fix Shutdown waited 5 s for the upload, then failed.
	if took := time.Since(start); took > ShutdownGrace+time.Second {
		t.Errorf("Serve took %v to stop with a slow client, want about %v", took, ShutdownGrace)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second)) // fail, not hang, if it stays open
	if _, err := io.ReadAll(conn); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("the slow client's connection: %v, want it closed", err)
	}
}
