package cli

import (
	"context"
	"io"
	"testing"
)

// Issue 15, item 2: --metrics-listen takes HOST:PORT or :PORT (loopback).
func TestMetricsListenRefusesAnAddressThatIsNotOne(t *testing.T) {
	for _, bad := range []string{"9464", "localhost", ":99999"} {
		wantUsageError(t, []string{"--headless", "--metrics-listen", bad}, "--metrics-listen", bad)
	}
	cfg, _, err := parseArgs([]string{"--headless", "--metrics-listen", ":0"}, func(string) string { return "" }, io.Discard)
	if err != nil || cfg.metricsListen != ":0" {
		t.Errorf("--metrics-listen :0: %v, %q; want it taken", err, cfg.metricsListen)
	}
}

// A headless run with --metrics-listen serves during the run and shuts the
// server down at its end.
func TestHeadlessRunWithMetricsListenEnds(t *testing.T) {
	code := run(context.Background(), []string{"--headless", "--duration", "10m", "--metrics-listen", "127.0.0.1:0"}, func(string) string { return "" }, io.Discard, io.Discard)
	if code != exitOK {
		t.Errorf("exit %d; want 0", code)
	}
}
