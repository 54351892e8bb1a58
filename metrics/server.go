package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where the metrics are served.
const Path = "/metrics"

// ListenAddr checks a --metrics-listen address and makes it concrete: a
// bare ":PORT" binds 127.0.0.1, so that metrics stay on the machine unless
// a host is given on purpose ("0.0.0.0:9464" in a container).
func ListenAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%q is not HOST:PORT or :PORT (say 127.0.0.1:9464): %w", addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("%q: port %q is not a number from 0 to 65535", addr, port)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// Server serves one registry's metrics on Path, and a page linking them
// on "/", until Close.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// maxScrapes is how many scrapes may run at once; a further one is
// answered 503 at once, so that memory stays a small multiple of one
// scrape's.
const maxScrapes = 10

// scrapeTimeout is how long one scrape may take, gathering and writing.
const scrapeTimeout = 10 * time.Second

// Handler serves g's metrics on Path in the text exposition format (or
// protobuf or OpenMetrics, as the scraper asks), with at most maxScrapes at
// a time, and a page linking them on "/". The
// body is streamed as it is encoded, never held whole: promhttp's Timeout
// option would wrap the handler in http.TimeoutHandler, which buffers it
// (a scrape of long session names then costs its whole size, times the
// scrapes under way). The deadline is set on the request's context and the
// connection's writes instead.
func Handler(g prometheus.Gatherer) http.Handler { return handler(g, scrapeTimeout) }

// handler is Handler with a scrape timeout of d.
func handler(g prometheus.Gatherer, d time.Duration) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+Path, withDeadline(d, promhttp.HandlerFor(g, promhttp.HandlerOpts{MaxRequestsInFlight: maxScrapes})))
	mux.HandleFunc("GET /{$}", landing)
	return mux
}

// landingPage is what "/" serves: a person who opens the server's address
// in a browser finds the metrics from there.
const landingPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>tokentop metrics</title></head>
<body><h1>tokentop</h1>
<p>Prometheus metrics of this tokentop run: <a href="` + Path + `">` + Path + `</a>.</p>
</body></html>
`

// landing serves landingPage.
func landing(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, landingPage)
}

// withDeadline gives each request d: its context ends then, and so do
// writes to its connection, so that a scraper that stops reading frees its
// slot and its memory when d is up rather than at the server's WriteTimeout.
func withDeadline(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline := time.Now().Add(d)
		// A ResponseWriter that is not a connection's (a test's) has no deadline to set.
		_ = http.NewResponseController(w).SetWriteDeadline(deadline)
		ctx, cancel := context.WithDeadline(r.Context(), deadline)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Listen serves g's metrics on addr (see ListenAddr) in a goroutine that
// Close ends.
func Listen(addr string, g prometheus.Gatherer) (*Server, error) {
	addr, err := ListenAddr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serving metrics: %w", err)
	}
	s := &Server{ln: ln, done: make(chan struct{}), srv: &http.Server{
		Handler:           Handler(g),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
	}}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln) // returns http.ErrServerClosed on Close
	}()
	return s, nil
}

// Addr is the address the server listens on (its port, when :0 was asked).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server: scrapes under way get up to five seconds, then
// their connections are closed. It returns when the serving goroutine has
// ended. It is idempotent.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.srv.Close()
	}
	<-s.done
	return err
}
