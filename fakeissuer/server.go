package fakeissuer

import (
	"context"
	"errors"
	"net"
	"net/http"
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
	// ShutdownTimeout is how long Serve waits for requests in flight when its
	// context ends.
	ShutdownTimeout = 5 * time.Second
)

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

// Serve serves the issuer's handler on ln until ctx ends, then shuts down
// gracefully: requests still hanging or delayed by a fault are cancelled,
// the others get up to ShutdownTimeout to finish. It closes ln and returns
// nil after a clean shutdown.
func (i *Issuer) Serve(ctx context.Context, ln net.Listener) error {
	reqCtx, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	srv := NewServer(i.Handler())
	srv.BaseContext = func(net.Listener) context.Context { return reqCtx }
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	cancelRequests()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
