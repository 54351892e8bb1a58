package issuer_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"tokentop/issuer"
)

// BenchmarkHTTPIssueLoopback measures one Issue against a loopback server
// over a reused connection: the adapter's own overhead plus the round trip.
func BenchmarkHTTPIssueLoopback(b *testing.B) {
	body := []byte(fmt.Sprintf(`{"communicationIdentityToken":%q,"expiresOn":%q}`,
		testJWT(fixedNow.Add(time.Hour)), fixedNow.Add(time.Hour).Format(time.RFC3339)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	iss, err := issuer.Parse(srv.URL+"/getToken", issuer.Options{HTTPClient: issuer.NewHTTPClient(), Now: nowFunc})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice"}); err != nil {
			b.Fatal(err)
		}
	}
}
