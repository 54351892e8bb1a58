package fakeissuer

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

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
	<-entered
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve = %v, want nil after a graceful shutdown", err)
	}
	if resp := <-hung; resp != nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("hanging request ended with %d, want 503", resp.StatusCode)
		}
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("the listener still accepts after shutdown")
	}
}
