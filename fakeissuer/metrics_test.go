package fakeissuer

import (
	"context"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"tokentop/issuer"
)

// Issue 15, item 2: tokentop fakeissuer serves /metrics: tokens minted by
// route and algorithm, faults applied, revocations.
func TestMetricsCountMintsByRouteFaultsAndRevocations(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	h := iss.Handler()
	for range 3 {
		if w := call(h, http.MethodPost, PathGetToken, "application/json", `{"username":"alice"}`); w.Code != http.StatusOK {
			t.Fatalf("getToken: %d %s", w.Code, w.Body)
		}
	}
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Count: 2}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if w := call(h, http.MethodPost, PathGetToken, "application/json", `{"username":"alice"}`); w.Code == http.StatusOK {
			t.Fatalf("getToken under a fail fault answered 200")
		}
	}
	if err := iss.Revoke(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	w := call(h, http.MethodGet, PathMetrics, "", "")
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", PathMetrics, w.Code, w.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(w.Body.String()))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	minted := map[string]float64{}
	for _, m := range fams["fakeissuer_tokens_minted_total"].GetMetric() {
		route, alg := "", ""
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "route":
				route = l.GetValue()
			case "algorithm":
				alg = l.GetValue()
			}
		}
		if alg != iss.Algorithm() {
			t.Errorf("route %s: algorithm %q; want %q", route, alg, iss.Algorithm())
		}
		minted[route] = m.GetCounter().GetValue()
	}
	if minted[PathGetToken] != 3 || minted[PathOAuth2Token] != 0 {
		t.Errorf("minted by route %v; want 3 on %s, 0 on %s", minted, PathGetToken, PathOAuth2Token)
	}
	for name, want := range map[string]float64{"fakeissuer_faults_applied_total": 2, "fakeissuer_revocations_total": 1, "fakeissuer_faults_active": 0} {
		if got := one(fams[name]); got != want {
			t.Errorf("%s = %v; want %v", name, got, want)
		}
	}
}

func one(f *dto.MetricFamily) float64 {
	if f == nil || len(f.GetMetric()) != 1 {
		return -1
	}
	m := f.GetMetric()[0]
	if m.Counter != nil {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}
