package metrics

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Issue 23: the metrics server answers "/" with a page linking /metrics
// (a browser pointed at --metrics-listen's address found a 404), and
// nothing else beside the two.
func TestTheServerLandingPageLinksTheMetrics(t *testing.T) {
	srv, err := Listen("127.0.0.1:0", New(Options{}).Registry())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) (int, string, string) {
		resp, err := client.Get("http://" + srv.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
	}
	code, ctype, body := get("/")
	if code != http.StatusOK || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, `<a href="/metrics">`) {
		t.Errorf("GET /: %d %s %q; want 200, an HTML page linking /metrics", code, ctype, body)
	}
	if code, _, _ := get("/nothing"); code != http.StatusNotFound {
		t.Errorf("GET /nothing: %d; want 404", code)
	}
}

// Issue 23: tokentop_build_info says which build serves the metrics, as
// exporters conventionally do.
func TestBuildInfoNamesTheVersionAndGoVersion(t *testing.T) {
	for version, want := range map[string]string{"v1.2.3": "v1.2.3", "": "devel"} { // a test binary has no module version
		fams := gather(t, New(Options{Version: version}))
		ms := fams["tokentop_build_info"].GetMetric()
		if len(ms) != 1 || value(ms[0]) != 1 || label(ms[0], "version") != want || label(ms[0], "goversion") != runtime.Version() {
			t.Errorf("Version %q: tokentop_build_info %v; want one series at 1 with version %q, goversion %q", version, ms, want, runtime.Version())
		}
	}
}
