package credential

import (
	"context"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// BenchmarkGetToken measures the hot path: a valid cached token, many
// goroutines. Compare with BenchmarkReuseTokenSource in the same run.
func BenchmarkGetToken(b *testing.B) {
	c, err := New(Options{
		Refresher:    func(context.Context) (AccessToken, error) { return AccessToken{}, nil },
		InitialToken: mintJWT(time.Now().Add(time.Hour)),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Dispose()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.GetToken(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

type fakeTokenSource struct{}

func (fakeTokenSource) Token() (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: "x", Expiry: time.Now().Add(time.Hour)}, nil
}

// BenchmarkReuseTokenSource is the baseline: golang.org/x/oauth2's cache
// (a mutex and a clock read per call) over a fake source with a valid token.
func BenchmarkReuseTokenSource(b *testing.B) {
	ts := oauth2.ReuseTokenSource(nil, fakeTokenSource{})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := ts.Token(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkFreshnessRecheck measures one wall-clock re-check of a fresh
// token on the real clock (lock, clock read, re-arm), which every such
// credential does once a second: multiply by the number of credentials.
func BenchmarkFreshnessRecheck(b *testing.B) {
	c, err := New(Options{
		Refresher:    func(context.Context) (AccessToken, error) { return AccessToken{}, nil },
		InitialToken: mintJWT(time.Now().Add(time.Hour)),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Dispose()
	b.ReportAllocs()
	for b.Loop() {
		c.onFreshTimer()
	}
}
