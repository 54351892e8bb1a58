package fakeissuer

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"tokentop/internal/clock"
	"tokentop/issuer"
)

// reportTokenRate adds a tokens/s metric (one token per iteration).
func reportTokenRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkMint measures in-process issuing (faults, identity, signing,
// counters) per algorithm, one caller at a time; ES256-parallel runs one
// caller per CPU.
func BenchmarkMint(b *testing.B) {
	newIssuer := func(b *testing.B, alg string) *Issuer {
		iss, err := New(Options{Clock: clock.Real{}, Algorithm: alg})
		if err != nil {
			b.Fatal(err)
		}
		return iss
	}
	req := issuer.Request{Identity: "alice", Scopes: []string{"chat", "voip"}}
	for _, alg := range []string{AlgES256, AlgRS256, AlgHS256} {
		b.Run(alg, func(b *testing.B) {
			iss := newIssuer(b, alg)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := iss.Issue(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
			reportTokenRate(b)
		})
	}
	b.Run("ES256-parallel", func(b *testing.B) {
		iss := newIssuer(b, AlgES256)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := iss.Issue(context.Background(), req); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportTokenRate(b)
	})
}

// BenchmarkGetTokenHTTP measures POST /getToken (ES256) served by Serve on a
// real loopback listener, with a keep-alive client: one request at a time
// (serial), and four client goroutines per CPU sharing the connection pool
// (parallel).
func BenchmarkGetTokenHTTP(b *testing.B) {
	iss, err := New(Options{Clock: clock.Real{}})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- iss.Serve(ctx, ln) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			b.Error(err)
		}
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	body := []byte(`{"username":"alice"}`)
	url := "http://" + ln.Addr().String() + PathGetToken
	getToken := func() error {
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return &StatusError{Status: resp.StatusCode, Message: "unexpected status"}
		}
		return nil
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := getToken(); err != nil {
				b.Fatal(err)
			}
		}
		reportTokenRate(b)
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := getToken(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportTokenRate(b)
	})
}

// BenchmarkLoopbackFloor is the cost of one HTTP round trip over loopback to
// a handler that does nothing, the floor under BenchmarkGetTokenHTTP/serial:
// where it is close to the cost of minting, one request at a time cannot reach
// half the in-process mint rate however cheap the handler is.
func BenchmarkLoopbackFloor(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"communicationIdentityToken":"x"}`))
	}))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		<-served
	}()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	url := "http://" + ln.Addr().String() + PathGetToken
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Post(url, "application/json", bytes.NewReader([]byte(`{"username":"alice"}`)))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	reportTokenRate(b)
}

// BenchmarkIssueParallel measures in-process issuing with one caller per
// CPU, each on its own identities, as a many-session simulation does: callers
// should not queue on one another. HS256 shows the issuer's own overhead
// (locks, claims, counters), which ES256 signing hides.
func BenchmarkIssueParallel(b *testing.B) {
	for _, alg := range []string{AlgES256, AlgHS256} {
		b.Run(alg, func(b *testing.B) {
			iss, err := New(Options{Clock: clock.Real{}, Algorithm: alg})
			if err != nil {
				b.Fatal(err)
			}
			var callers atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				prefix := "user-" + strconv.FormatInt(callers.Add(1), 10) + "-"
				for n := 0; pb.Next(); n++ {
					r := issuer.Request{Identity: prefix + strconv.Itoa(n%1000)}
					if _, err := iss.Issue(context.Background(), r); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportTokenRate(b)
		})
	}
}
