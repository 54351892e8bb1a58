package fakeissuer

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tokentop/internal/clock"
)

// newTestIssuer returns an issuer on a paused paced loop, so tests move
// time only with Advance.
func newTestIssuer(t testing.TB, opts Options) (*Issuer, *clock.Loop) {
	t.Helper()
	clk := clock.NewPaced(time.Now(), 1)
	clk.Pause()
	if opts.Clock == nil {
		opts.Clock = clk
	}
	iss, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return iss, clk
}

// serve starts a loopback test server for the issuer's handler.
func serve(t testing.TB, iss *Issuer) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(iss.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// call sends a request through the handler without a network.
func call(h http.Handler, method, target, contentType, body string, header ...string) *httptest.ResponseRecorder {
	return callCtx(context.Background(), h, method, target, contentType, body, header...)
}

func callCtx(ctx context.Context, h http.Handler, method, target, contentType, body string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequestWithContext(ctx, method, target, strings.NewReader(body))
	r.Host = "127.0.0.1" // as a local client sends: the admin routes refuse other names
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for n := 0; n+1 < len(header); n += 2 {
		if header[n] == "Host" {
			r.Host = header[n+1]
			continue
		}
		r.Header.Set(header[n], header[n+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// errorCode decodes an ACS-style JSON error body, failing the test if the
// body is not one.
func errorCode(t testing.TB, body []byte) string {
	t.Helper()
	var e errorBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("body is not a JSON error {\"error\":{\"code\",\"message\"}}: %q (%v)", body, err)
	}
	return e.Error.Code
}

// oauthCode decodes an RFC 6749 JSON error body.
func oauthCode(t testing.TB, body []byte) string {
	t.Helper()
	var e oauthError
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" || e.Description == "" {
		t.Fatalf("body is not an OAuth2 JSON error: %q (%v)", body, err)
	}
	return e.Error
}

func decodeBody[T any](t testing.TB, body io.Reader) T {
	t.Helper()
	var v T
	if err := json.NewDecoder(body).Decode(&v); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	return v
}

// unverifiedClaims reads a token's claims without checking anything.
func unverifiedClaims(t testing.TB, raw string) Claims {
	t.Helper()
	var c Claims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &c); err != nil {
		t.Fatalf("parse token: %v", err)
	}
	return c
}

func lifetimeOf(c Claims) time.Duration { return c.ExpiresAt.Sub(c.IssuedAt.Time) }

// within receives from ch, or fails the test naming what it waited for
// after 10 s: a hang fails its test, not the whole run at its timeout.
func within[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("waited 10 s for %s", what)
		var zero T
		return zero
	}
}
