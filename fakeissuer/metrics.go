package fakeissuer

import (
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// PathMetrics serves the fake's Prometheus metrics.
const PathMetrics = "/metrics"

// mintRoutes are the routes that mint tokens, in the order of mintCounts.
var mintRoutes = [len(mintCounts{})]string{PathGetToken, PathGetTokenForTeams, PathOAuth2Token, PathACSIssueAccessToken,
	PathACSTeamsUserExchange, PathACSEntraExchange, PathACSTeamsExtensionExchange}

// mintCounts counts the tokens each route of mintRoutes answered with (a
// 2xx response), without a lock.
type mintCounts [7]atomic.Uint64

// countMints wraps a minting route's handler to count its successes; other
// routes are returned as they are.
func (i *Issuer) countMints(path string, h http.Handler) http.Handler {
	for n, p := range mintRoutes {
		if p == path {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
				h.ServeHTTP(sw, r)
				if sw.status >= 200 && sw.status < 300 {
					i.minted[n].Add(1)
				}
			})
		}
	}
	return h
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var (
	descMinted = prometheus.NewDesc("fakeissuer_tokens_minted_total",
		"Tokens the fake answered a minting route with, by route and signing algorithm.", []string{"route", "algorithm"}, nil)
	descIssued = prometheus.NewDesc("fakeissuer_tokens_issued_total",
		"Tokens issued by every path, in-process calls included.", []string{"algorithm"}, nil)
	descFailed = prometheus.NewDesc("fakeissuer_token_requests_failed_total",
		"Token requests that failed (faults, bad input, deleted identities).", nil, nil)
	descFaults = prometheus.NewDesc("fakeissuer_faults_applied_total",
		"Token requests an active fault applied to (one per fault per request).", nil, nil)
	descActive = prometheus.NewDesc("fakeissuer_faults_active",
		"Faults active now.", nil, nil)
	descRevoked = prometheus.NewDesc("fakeissuer_revocations_total",
		"Revocations of an identity's tokens.", nil, nil)
	descSignIns = prometheus.NewDesc("fakeissuer_refresh_token_families_started_total",
		"Refresh-token families started by a device sign-in.", nil, nil)
	descRotations = prometheus.NewDesc("fakeissuer_refresh_token_rotations_total",
		"Refresh tokens rotated by a refresh grant.", nil, nil)
	descGrace = prometheus.NewDesc("fakeissuer_refresh_token_grace_reuses_total",
		"Previous refresh tokens honoured in the grace period.", nil, nil)
	descReplays = prometheus.NewDesc("fakeissuer_refresh_token_replays_total",
		"Rotated-out refresh tokens used again under reuse detection (each revokes its family).", nil, nil)
	descFamRevoked = prometheus.NewDesc("fakeissuer_refresh_token_families_revoked_total",
		"Refresh-token families revoked: by a replay, RFC 7009 revocation or the admin.", nil, nil)
	descFamilies = prometheus.NewDesc("fakeissuer_refresh_token_families",
		"Refresh-token families held now, revoked ones not yet evicted included.", nil, nil)
)

// issuerCollector reads the fake's counters at scrape time.
type issuerCollector struct{ i *Issuer }

func (c issuerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMinted, descIssued, descFailed, descFaults, descActive, descRevoked,
		descSignIns, descRotations, descGrace, descReplays, descFamRevoked, descFamilies} {
		ch <- d
	}
}

func (c issuerCollector) Collect(ch chan<- prometheus.Metric) {
	i := c.i
	alg := i.Algorithm()
	for n, route := range mintRoutes {
		ch <- prometheus.MustNewConstMetric(descMinted, prometheus.CounterValue, float64(i.minted[n].Load()), route, alg)
	}
	tot := i.totals.snapshot()
	ch <- prometheus.MustNewConstMetric(descIssued, prometheus.CounterValue, float64(tot.Issued), alg)
	ch <- prometheus.MustNewConstMetric(descFailed, prometheus.CounterValue, float64(tot.Failed))
	ch <- prometheus.MustNewConstMetric(descRevoked, prometheus.CounterValue, float64(tot.Revoked))
	ch <- prometheus.MustNewConstMetric(descFaults, prometheus.CounterValue, float64(i.faults.applied.Load()))
	ch <- prometheus.MustNewConstMetric(descActive, prometheus.GaugeValue, float64(i.faults.n.Load()))
	uc := &i.users.counts
	for _, m := range []struct {
		d *prometheus.Desc
		n uint64
	}{{descSignIns, uc.signIns.Load()}, {descRotations, uc.rotations.Load()}, {descGrace, uc.graceReuses.Load()},
		{descReplays, uc.replays.Load()}, {descFamRevoked, uc.familiesRevoked.Load()}} {
		ch <- prometheus.MustNewConstMetric(m.d, prometheus.CounterValue, float64(m.n))
	}
	ch <- prometheus.MustNewConstMetric(descFamilies, prometheus.GaugeValue, float64(i.familyCount()))
}

// metricsRoutes serves the fake's metrics from a registry of its own.
func (i *Issuer) metricsRoutes() {
	reg := prometheus.NewRegistry()
	reg.MustRegister(issuerCollector{i})
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{MaxRequestsInFlight: 10})
	i.handle(PathMetrics, methods{http.MethodGet: h.ServeHTTP})
}
