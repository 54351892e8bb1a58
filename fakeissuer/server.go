package fakeissuer

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Server timeouts.
const (
	// ReadHeaderTimeout bounds how long a client may take to send headers.
	ReadHeaderTimeout = 5 * time.Second
	// ReadTimeout bounds how long a client may take to send a whole request.
	ReadTimeout = 30 * time.Second
	// IdleTimeout closes keep-alive connections left idle this long.
	IdleTimeout = 2 * time.Minute
	// ShutdownGrace is how long Serve lets requests in flight finish when its
	// context ends, before it cuts them: stopping never waits on a slow client.
	ShutdownGrace = 300 * time.Millisecond
)

// MinAdminTokenLen is the shortest admin token accepted.
const MinAdminTokenLen = 16

// ErrAdminTokenRequired is the error of serving beyond loopback with no
// admin token: anyone who can reach the server could inject faults.
var ErrAdminTokenRequired = errors.New("the admin API needs a token on a listener beyond loopback")

// NewServer returns an http.Server for h with header, read and idle
// timeouts and a 64 KiB header limit. There is no write timeout: a hang
// fault must last until the client gives up.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxRequestBody,
	}
}

// ServeOptions configure how Serve exposes the issuer. The zero value suits
// a loopback listener.
type ServeOptions struct {
	// PublicURL is the URL clients reach the server at (scheme://host[:port])
	// when that is not http://LISTEN-ADDRESS, e.g. behind a proxy. Discovery
	// points there, and the admin routes accept its host name.
	PublicURL string
	// AdminToken, when set, must come as "Authorization: Bearer <token>" on
	// the admin routes. It is required on a listener beyond loopback.
	AdminToken string
}

// site is how clients reach a served issuer: the base URL the discovery
// document points at, and the guard of the admin routes. Serve puts it in
// every request's context.
type site struct {
	base  string // scheme://host[:port]; empty: the request's own Host, if a loopback name
	guard adminGuard
}

type siteKey struct{}

// siteOf is the site r came to. A request from a server other than Serve's
// (say httptest around Handler) has none, and gets the zero site: admin
// routes for loopback names only, discovery at the request's loopback Host.
func siteOf(r *http.Request) site {
	s, _ := r.Context().Value(siteKey{}).(site)
	return s
}

// baseURL is the scheme and host the discovery document points at; false if
// the site has no base URL and r's Host is not a loopback name, which could
// have been chosen by anyone (DNS rebinding).
func (s site) baseURL(r *http.Request) (string, bool) {
	if s.base != "" {
		return s.base, true
	}
	if !isLoopbackName(hostName(r.Host)) {
		return "", false
	}
	return requestScheme(r) + "://" + r.Host, true
}

// Check reports whether the options can serve on addr: a listener beyond
// loopback needs an admin token, and the public URL must be a bare
// http(s)://host[:port].
func (o ServeOptions) Check(addr net.Addr) error {
	_, err := o.site(addr)
	return err
}

func (o ServeOptions) site(addr net.Addr) (site, error) {
	var s site
	if o.AdminToken != "" {
		if len(o.AdminToken) < MinAdminTokenLen || strings.ContainsFunc(o.AdminToken, func(c rune) bool { return c <= ' ' || c > '~' }) {
			return site{}, fmt.Errorf("the admin token must be at least %d printable ASCII characters without spaces", MinAdminTokenLen)
		}
		sum := sha256.Sum256([]byte(o.AdminToken))
		s.guard.token = &sum
	}
	s.base = "http://" + addr.String()
	if tcp, ok := addr.(*net.TCPAddr); ok {
		if !tcp.IP.IsLoopback() && s.guard.token == nil {
			return site{}, fmt.Errorf("listening on %s: %w (at least %d characters); set one or listen on 127.0.0.1", addr, ErrAdminTokenRequired, MinAdminTokenLen)
		}
		if !tcp.IP.IsUnspecified() {
			s.guard.hosts = append(s.guard.hosts, hostName(tcp.IP.String()))
		}
	}
	if o.PublicURL != "" {
		u, err := url.Parse(o.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
			return site{}, fmt.Errorf("public URL %.200q: want http(s)://HOST[:PORT] and nothing more", o.PublicURL)
		}
		s.base = strings.ToLower(u.Scheme + "://" + u.Host)
		s.guard.origin = s.base
		s.guard.hosts = append(s.guard.hosts, hostName(u.Host))
	}
	return s, nil
}

// Serve is ServeWith with the zero ServeOptions: for a loopback listener.
func (i *Issuer) Serve(ctx context.Context, ln net.Listener) error {
	return i.ServeWith(ctx, ln, ServeOptions{})
}

// ServeWith serves the issuer's handler on ln until ctx ends, then shuts
// down: requests hanging or delayed by a fault are cancelled at once, the
// others get ShutdownGrace to finish and are then cut. It closes ln and
// returns nil after a shutdown, or the error of options that do not suit ln
// (see ServeOptions.Check).
func (i *Issuer) ServeWith(ctx context.Context, ln net.Listener, opts ServeOptions) error {
	s, err := opts.site(ln.Addr())
	if err != nil {
		ln.Close()
		return err
	}
	reqCtx, cancelRequests := context.WithCancel(context.WithValue(context.WithoutCancel(ctx), siteKey{}, s))
	defer cancelRequests()
	var handlers handlerGroup
	srv := NewServer(handlers.track(i.Handler()))
	srv.BaseContext = func(net.Listener) context.Context { return reqCtx }
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err = <-served:
	case <-ctx.Done():
	}
	cancelRequests()
	graceCtx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if srv.Shutdown(graceCtx) != nil {
		srv.Close() // the grace is over: cut the slow clients
	}
	handlers.closeAndWait(ShutdownGrace)
	if err == nil {
		err = <-served
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// handlerGroup counts the handlers running, so that ServeWith returns after
// they have: their connections are closed and their contexts cancelled by
// then, so they end at once.
type handlerGroup struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// track wraps h to count its calls; once closed, a late request gets a 503.
func (g *handlerGroup) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		if g.closed {
			g.mu.Unlock()
			writeError(w, http.StatusServiceUnavailable, "ServerStopping", "the fake issuer is stopping")
			return
		}
		g.wg.Add(1)
		g.mu.Unlock()
		defer g.wg.Done()
		h.ServeHTTP(w, r)
	})
}

// closeAndWait refuses new handlers and waits up to limit for the running
// ones. A handler that ignores both its closed connection and its cancelled
// context would otherwise hold the shutdown; its waiter then ends with it.
func (g *handlerGroup) closeAndWait(limit time.Duration) {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}
