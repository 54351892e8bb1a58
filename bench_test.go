package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"tokentop/internal/cli"
)

// BenchmarkHeadless20kSessions24h runs tokentop as a user would,
// `tokentop --headless --scenario FILE --json`, on a scenario file of 20,000
// proactive sessions of 1-hour tokens signing in over 50 minutes, for 24
// virtual hours in sim time, and fails unless every refresh succeeds with no
// token gap. It reports CPU time and the lines written.
//
//	go test -run '^$' -bench Headless20k -benchtime 1x .
func BenchmarkHeadless20kSessions24h(b *testing.B) {
	file := filepath.Join(b.TempDir(), "20k.json")
	scenario := `{"name": "20k", "duration": "24h", "ramp_up": "50m", "sessions": [
  {"name": "s", "identity": "user", "proactive": true, "lifetime": "1h", "callers": 1, "call_interval": "10m", "count": 20000}]}`
	if err := os.WriteFile(file, []byte(scenario), 0o600); err != nil {
		b.Fatal(err)
	}
	var cpu time.Duration
	var lines int
	for b.Loop() {
		pr, pw := io.Pipe()
		got := make(chan summary, 1)
		go func() {
			sc := bufio.NewScanner(pr)
			sc.Buffer(nil, 1<<24)
			var last []byte
			n := 0
			for sc.Scan() {
				last = append(last[:0], sc.Bytes()...)
				n++
			}
			lines = n
			var s summary
			json.Unmarshal(last, &s)
			got <- s
		}()
		before := processCPU()
		code := cli.Main(context.Background(), []string{"--headless", "--scenario", file, "--json"}, func(string) string { return "" }, cli.Stdio{Out: pw, Err: io.Discard})
		cpu += processCPU() - before
		pw.Close()
		s := <-got
		if code != exitOK || len(s.Sessions) != 20_000 || s.Totals.Failures != 0 || s.Totals.Successes == 0 {
			b.Fatalf("exit %d, %d sessions, %d failures, %d successes; want 0, 20000, 0 and some", code, len(s.Sessions), s.Totals.Failures, s.Totals.Successes)
		}
		for _, ss := range s.Sessions {
			if ss.TokenGap != 0 {
				b.Fatalf("session %s had a token gap of %gs", ss.Name, ss.TokenGap)
			}
		}
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(lines), "lines/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
