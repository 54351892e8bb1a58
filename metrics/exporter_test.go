package metrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/scenario"
	"tokentop/session"
)

// scrape GETs url and parses the text exposition format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		t.Fatalf("scraping %s: %s: %s", url, resp.Status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		t.Fatalf("parsing the scrape of %s: %v", url, err)
	}
	return fams
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// value returns the gauge's, counter's or histogram count's value.
func value(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return 0
}

// bySession sums a family's values per session label.
func bySession(fams map[string]*dto.MetricFamily, name string, match func(*dto.Metric) bool) map[string]float64 {
	out := map[string]float64{}
	for _, m := range fams[name].GetMetric() {
		if match == nil || match(m) {
			out[label(m, "session")] += value(m)
		}
	}
	return out
}

func outcome(o string) func(*dto.Metric) bool {
	return func(m *dto.Metric) bool { return label(m, "outcome") == o }
}

// playWithMetrics plays a built-in scenario in sim time with an exporter
// served on a loopback port; at 'at' of virtual time (mid-run) it scrapes.
func playWithMetrics(t *testing.T, name string, at time.Duration, opts Options) (session.Summary, map[string]*dto.MetricFamily, map[string]*dto.MetricFamily) {
	t.Helper()
	sc, err := scenario.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	loop := clock.NewSim(sc.StartTime())
	fake, err := fakeissuer.New(fakeissuer.Options{Clock: loop})
	if err != nil {
		t.Fatal(err)
	}
	exp := New(opts)
	srv, err := Listen(":0", exp.Registry())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url := "http://" + srv.Addr() + Path
	var mid map[string]*dto.MetricFamily
	sum, err := session.RunHeadless(context.Background(), sc, session.HeadlessOptions{
		Manager: session.Options{Issuer: fake, Clock: loop, IssuerLatency: sc.IssuerLatency},
		Observe: exp.Observe,
		Started: func(m *session.Manager) {
			exp.Attach(m)
			// A timer runs on the loop between events: the scrape sees the run as it is then.
			loop.AfterFunc(at, func() { mid = scrape(t, url) })
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if mid == nil {
		t.Fatalf("no scrape during the run at +%v", at)
	}
	return sum, mid, scrape(t, url)
}

// Issue 15, item 2: the per-session series carry the session's name,
// identity and policy, and agree with the summary at the end of the run.
func TestScrapeDuringAndAfterARunAgreesWithTheSummary(t *testing.T) {
	sum, mid, end := playWithMetrics(t, "outage", 30*time.Minute, Options{})
	for _, fams := range []map[string]*dto.MetricFamily{mid, end} {
		for _, name := range []string{"tokentop_session_token_seconds_left", "tokentop_session_token_valid", "tokentop_refreshes_total",
			"tokentop_issuer_call_duration_seconds", "tokentop_session_token_gap_seconds", "tokentop_session_waiters",
			"tokentop_session_resource_refusals_total", "tokentop_sessions"} {
			if fams[name] == nil {
				t.Errorf("scrape lacks %s", name)
			}
		}
	}
	if len(sum.Sessions) == 0 || sum.Totals.Failures == 0 {
		t.Fatalf("outage ran %d sessions with %d failures; the test needs failures", len(sum.Sessions), sum.Totals.Failures)
	}
	succ := bySession(end, "tokentop_refreshes_total", outcome("success"))
	fail := bySession(end, "tokentop_refreshes_total", outcome("failure"))
	abort := bySession(end, "tokentop_refreshes_total", outcome("abort"))
	gap := bySession(end, "tokentop_session_token_gap_seconds", nil)
	refused := bySession(end, "tokentop_session_resource_refusals_total", nil)
	calls := bySession(end, "tokentop_issuer_call_duration_seconds", nil)
	midSucc := bySession(mid, "tokentop_refreshes_total", outcome("success"))
	for _, s := range sum.Sessions {
		if succ[s.Name] != float64(s.Successes) || fail[s.Name] != float64(s.Failures) || abort[s.Name] != float64(s.Aborts) {
			t.Errorf("%s: refreshes success %v failure %v abort %v; the summary says %d, %d, %d",
				s.Name, succ[s.Name], fail[s.Name], abort[s.Name], s.Successes, s.Failures, s.Aborts)
		}
		if gap[s.Name] != s.TokenGapSeconds {
			t.Errorf("%s: token gap %v s; the summary says %v", s.Name, gap[s.Name], s.TokenGapSeconds)
		}
		if refused[s.Name] != float64(s.ResourceRefused) {
			t.Errorf("%s: resource refusals %v; the summary says %d", s.Name, refused[s.Name], s.ResourceRefused)
		}
		if calls[s.Name] > float64(s.Successes+s.Failures) {
			t.Errorf("%s: %v issuer call latencies for %d completed calls", s.Name, calls[s.Name], s.Successes+s.Failures)
		}
		if midSucc[s.Name] > succ[s.Name] {
			t.Errorf("%s: %v successes mid-run, more than the %v at the end", s.Name, midSucc[s.Name], succ[s.Name])
		}
	}
	for _, m := range end["tokentop_session_token_valid"].GetMetric() {
		if label(m, "identity") == "" || label(m, "policy") == "" {
			t.Errorf("series %v lacks identity or policy", m.GetLabel())
		}
	}
	var midTotal float64
	for _, v := range midSucc {
		midTotal += v
	}
	if midTotal == 0 || midTotal >= float64(sum.Totals.Successes) {
		t.Errorf("mid-run scrape counted %v successes of %d at the end; want a scrape of the run under way", midTotal, sum.Totals.Successes)
	}
}

// Issue 15, item 2: above the threshold, a count group is one series per
// metric with a group label, not one per session.
func TestManySessionsOfACountGroupExportOneGroupSeries(t *testing.T) {
	sc := scenario.Scenario{Name: "many", Duration: 10 * time.Minute}
	for i := range 2000 {
		sc.Sessions = append(sc.Sessions, scenario.Spec{Name: fmt.Sprintf("load-%d", i+1), Identity: fmt.Sprintf("user-%d", i+1), Proactive: true})
	}
	sc.Sessions = append(sc.Sessions, scenario.Spec{Name: "tt", Identity: "alice", Proactive: true})
	loop := clock.NewSim(sc.StartTime())
	fake, err := fakeissuer.New(fakeissuer.Options{Clock: loop})
	if err != nil {
		t.Fatal(err)
	}
	exp := New(Options{})
	sum, err := session.RunHeadless(context.Background(), sc, session.HeadlessOptions{
		Manager: session.Options{Issuer: fake, Clock: loop}, Observe: exp.Observe, Started: exp.Attach})
	if err != nil {
		t.Fatal(err)
	}
	fams, err := exp.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		got[f.GetName()] = f
	}
	if f := got["tokentop_session_token_valid"]; f != nil {
		t.Errorf("%d per-session series above the threshold; want none", len(f.GetMetric()))
	}
	groups := map[string]float64{}
	for _, m := range got["tokentop_group_sessions"].GetMetric() {
		groups[label(m, "group")] = value(m)
	}
	if len(groups) != 2 || groups["load"] != 2000 || groups["tt"] != 1 {
		t.Errorf("groups %v; want load with 2000 sessions and tt with 1", groups)
	}
	var succ float64
	for _, m := range got["tokentop_group_refreshes_total"].GetMetric() {
		if label(m, "outcome") == "success" {
			succ += value(m)
		}
	}
	if succ != float64(sum.Totals.Successes) || succ == 0 {
		t.Errorf("group refreshes succeeded %v; the summary says %d", succ, sum.Totals.Successes)
	}
	if n := len(got["tokentop_group_issuer_call_duration_seconds"].GetMetric()); n != 2 {
		t.Errorf("%d latency histograms; want one per group", n)
	}
}

func TestGroupOfStripsACountSuffixOnly(t *testing.T) {
	for name, want := range map[string]string{"load-12": "load", "a-b-3": "a-b", "tt": "tt", "x-": "x-", "-1": "-1", "v-1a": "v-1a"} {
		if got := groupOf(name); got != want {
			t.Errorf("groupOf(%q) = %q; want %q", name, got, want)
		}
	}
}

func TestListenAddrBindsLoopbackUnlessAHostIsGiven(t *testing.T) {
	for in, want := range map[string]string{":9464": "127.0.0.1:9464", "0.0.0.0:9464": "0.0.0.0:9464", "[::1]:0": "[::1]:0", "localhost:1": "localhost:1"} {
		if got, err := ListenAddr(in); err != nil || got != want {
			t.Errorf("ListenAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"9464", "", ":http", ":70000", "host"} {
		if _, err := ListenAddr(in); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) {
			t.Errorf("ListenAddr(%q): err %v; want an error naming it", in, err)
		}
	}
}
