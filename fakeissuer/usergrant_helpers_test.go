package fakeissuer

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"tokentop/internal/clock"
)

// memBase is the URL the in-memory transport's requests go to: a loopback
// name, as the discovery document and the admin routes want.
const memBase = "http://127.0.0.1"

// handlerTransport serves each request with h on the caller's goroutine,
// without sockets, so that inside a synctest bubble the clock moves as soon
// as the client waits (DeviceAccessToken's ticker). A handler that aborts
// (a lose-response fault) is a cut connection.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (resp *http.Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			resp, err = nil, errors.New("the server cut the connection")
		}
	}()
	sr := r.Clone(r.Context())
	sr.Host = r.URL.Host
	sr.RequestURI = r.URL.RequestURI()
	if sr.Body == nil {
		sr.Body = http.NoBody
	}
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, sr)
	return w.Result(), nil
}

// userFixture is an issuer on clock.Real (inside a synctest bubble, the
// bubble's clock) with x/oauth2 wired to it in memory.
type userFixture struct {
	iss    *Issuer
	client *http.Client
	ctx    context.Context // carries client for x/oauth2
	cfg    oauth2.Config   // a public client: no secret
}

func newUserFixture(t *testing.T, opts Options) *userFixture {
	t.Helper()
	opts.Clock = clock.Real{}
	iss, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return newUserFixtureAt(t, iss, memBase, &http.Client{Transport: handlerTransport{iss.Handler()}})
}

func newUserFixtureAt(t *testing.T, iss *Issuer, base string, client *http.Client) *userFixture {
	return &userFixture{
		iss:    iss,
		client: client,
		ctx:    context.WithValue(t.Context(), oauth2.HTTPClient, client),
		cfg: oauth2.Config{ClientID: iss.ClientID(), Scopes: []string{"chat"},
			Endpoint: oauth2.Endpoint{DeviceAuthURL: base + PathOAuth2Device, TokenURL: base + PathOAuth2Token}},
	}
}

// signIn runs x/oauth2's device flow to the end.
func (f *userFixture) signIn(t *testing.T) *oauth2.Token {
	t.Helper()
	da, err := f.cfg.DeviceAuth(f.ctx)
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	tok, err := f.cfg.DeviceAccessToken(f.ctx, da)
	if err != nil {
		t.Fatalf("DeviceAccessToken: %v", err)
	}
	return tok
}

// postForm sends a form to path with plain HTTP, as a public client, and
// returns the status and body.
func (f *userFixture) postForm(t *testing.T, base, path string, form url.Values) (int, string) {
	t.Helper()
	form.Set("client_id", f.iss.ClientID())
	resp, err := f.client.PostForm(base+path, form)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// retrieveCode is the OAuth error code of an x/oauth2 error, "" if none.
func retrieveCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// mustFamily returns the only family the issuer holds.
func mustFamily(t *testing.T, iss *Issuer) FamilyInfo {
	t.Helper()
	fams, total, err := iss.Families(0, 10)
	if err != nil || total != 1 {
		t.Fatalf("Families = %v, %d, %v; want one", fams, total, err)
	}
	return fams[0]
}

func mustContain(t *testing.T, what, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%s = %q, want it to contain %q", what, s, sub)
	}
}
