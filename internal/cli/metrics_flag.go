package cli

import (
	"context"
	"fmt"

	"tokentop/metrics"
	"tokentop/session"
)

// metricsListenUsage is --metrics-listen's help line.
const metricsListenUsage = "serve Prometheus metrics on /metrics at this address (:9464 binds 127.0.0.1; give a host, 0.0.0.0:9464, to serve beyond the machine)"

// checkMetricsListen refuses a --metrics-listen address that is not one.
func checkMetricsListen(cfg config) error {
	if cfg.metricsListen == "" {
		return nil
	}
	if _, err := metrics.ListenAddr(cfg.metricsListen); err != nil {
		return usagef("--metrics-listen %w", err)
	}
	return nil
}

// metricsRun is the exporter and its server for one run; the zero value
// (no --metrics-listen) does nothing.
type metricsRun struct {
	exp *metrics.Exporter
	srv *metrics.Server
}

// startMetrics serves the metrics when --metrics-listen asks for them.
func (a *app) startMetrics() (metricsRun, error) {
	if a.cfg.metricsListen == "" {
		return metricsRun{}, nil
	}
	exp := metrics.New(metrics.Options{Version: version})
	srv, err := metrics.Listen(a.cfg.metricsListen, exp.Registry())
	if err != nil {
		return metricsRun{}, fmt.Errorf("--metrics-listen: %w", err)
	}
	fmt.Fprintf(a.stderr, "tokentop: serving metrics on http://%s%s\n", srv.Addr(), metrics.Path)
	return metricsRun{exp: exp, srv: srv}, nil
}

// observe returns an observer of a headless run's events that feeds the
// exporter, then next (nil: none).
func (r metricsRun) observe(next func(session.Event)) func(session.Event) {
	switch {
	case r.exp == nil:
		return next
	case next == nil:
		return r.exp.Observe
	}
	return func(e session.Event) {
		r.exp.Observe(e)
		next(e)
	}
}

// started returns the hook that shows the exporter a headless run's manager.
func (r metricsRun) started() func(*session.Manager) {
	if r.exp == nil {
		return nil
	}
	return r.exp.Attach
}

// follow feeds the exporter m's events (the live screen) until the returned
// stop is called; stop waits for the follower to end.
func (r metricsRun) follow(ctx context.Context, m *session.Manager) (stop func()) {
	if r.exp == nil {
		return func() {}
	}
	r.exp.Attach(m)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.exp.Follow(ctx, m)
	}()
	return func() {
		cancel()
		<-done
	}
}

// close shuts the server down.
func (r metricsRun) close() {
	if r.srv != nil {
		r.srv.Close()
	}
}
