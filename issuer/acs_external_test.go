package issuer_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tokentop/credential"
	"tokentop/fakeissuer"
	"tokentop/issuer"
)

// testACSKey is the access key the tests' fake issuers sign with.
var testACSKey = base64.StdEncoding.EncodeToString([]byte("tokentop acs adapter test key, 48 bytes long...."))

// acsEnv is the environment variable the tests' specs name.
const acsEnv = "TEST_ACS_CONNECTION_STRING"

// requestLog records the method and path of every request a server gets.
type requestLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.reqs = append(l.reqs, r.Method+" "+r.URL.EscapedPath())
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (l *requestLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

// count is how many requests matched method and a path ending in suffix.
func (l *requestLog) count(method, suffix string) int {
	n := 0
	for _, r := range l.all() {
		m, p, _ := strings.Cut(r, " ")
		if m == method && strings.HasSuffix(p, suffix) {
			n++
		}
	}
	return n
}

// acsFake serves a fake issuer with the ACS emulation on loopback, logging
// its requests.
func acsFake(t *testing.T) (*fakeissuer.Issuer, *httptest.Server, *requestLog) {
	t.Helper()
	fake, err := fakeissuer.New(fakeissuer.Options{ACS: fakeissuer.ACSOptions{AccessKey: testACSKey}})
	if err != nil {
		t.Fatal(err)
	}
	log := &requestLog{}
	srv := httptest.NewServer(log.wrap(fake.Handler()))
	t.Cleanup(srv.Close)
	return fake, srv, log
}

// newACS builds the adapter from cfg, reading the connection string of
// endpoint and key from the environment variable acsEnv.
func newACS(t *testing.T, cfg issuer.ACSConfig, endpoint, key string, opts issuer.Options) *issuer.ACS {
	t.Helper()
	cfg.ConnectionStringEnv = acsEnv
	opts.LookupEnv = envWith(acsEnv, fakeissuer.ACSConnectionString(endpoint, key))
	acs, err := issuer.NewACS(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return acs
}

// envWith is an environment holding only name=value.
func envWith(name, value string) func(string) (string, bool) {
	return func(key string) (string, bool) {
		if key == name && value != "" {
			return value, true
		}
		return "", false
	}
}

// closeACS closes the adapter at the end of the test, reporting an error.
func closeACS(t *testing.T, a *issuer.ACS) {
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

// claimsOf verifies tok with the fake and returns its claims.
func claimsOf(t *testing.T, fake *fakeissuer.Issuer, tok string) fakeissuer.Claims {
	t.Helper()
	c, err := fake.Verify(tok)
	if err != nil {
		t.Fatalf("the fake refuses the token it issued: %v", err)
	}
	return c
}

func TestACSIssuesEachIdentityTokensOfOneUserWithTheAskedLifetime(t *testing.T) {
	fake, srv, log := acsFake(t)
	acs := newACS(t, issuer.ACSConfig{}, srv.URL, testACSKey, issuer.Options{})
	closeACS(t, acs)
	ctx := context.Background()

	cases := []struct {
		identity string
		scopes   []string
		lifetime time.Duration
		wantLife time.Duration
		wantScp  []string
	}{
		{"alice", []string{"chat"}, 90 * time.Minute, 90 * time.Minute, []string{"chat"}},
		{"alice", []string{"voip"}, time.Hour, time.Hour, []string{"voip"}},
		{"alice", nil, 0, 24 * time.Hour, issuer.DefaultACSScopes()}, // the service's default lifetime
		{"bob", []string{"chat", "voip"}, 24 * time.Hour, 24 * time.Hour, []string{"chat", "voip"}},
	}
	users := map[string]string{}
	for _, tc := range cases {
		tok, err := acs.Issue(ctx, issuer.Request{Identity: tc.identity, Scopes: tc.scopes, Lifetime: tc.lifetime})
		if err != nil {
			t.Fatalf("Issue(%s, %v, %v): %v", tc.identity, tc.scopes, tc.lifetime, err)
		}
		c := claimsOf(t, fake, tok.Token)
		if life := c.ExpiresAt.Sub(c.IssuedAt.Time); life != tc.wantLife {
			t.Errorf("%s asked %v: exp - iat = %v, want %v", tc.identity, tc.lifetime, life, tc.wantLife)
		}
		if !tok.ExpiresOn.Equal(c.ExpiresAt.Time) {
			t.Errorf("%s: ExpiresOn %v, the token's exp %v", tc.identity, tok.ExpiresOn, c.ExpiresAt.Time)
		}
		if !slices.Equal(c.Scopes, tc.wantScp) {
			t.Errorf("%s: scopes %v, want %v", tc.identity, c.Scopes, tc.wantScp)
		}
		if prev, ok := users[tc.identity]; ok && prev != c.Subject {
			t.Errorf("%s got tokens of two users, %s and %s; want one user per identity", tc.identity, prev, c.Subject)
		}
		users[tc.identity] = c.Subject
	}
	if users["alice"] == users["bob"] || !strings.HasPrefix(users["alice"], "8:acs:") {
		t.Errorf("users %v: want a distinct ACS user (8:acs:...) per identity", users)
	}
	if n := log.count(http.MethodPost, fakeissuer.PathACSIdentities); n != 2 {
		t.Errorf("%d users created for 2 identities; requests: %q", n, log.all())
	}
}

func TestACSConcurrentFirstCallsOfAnIdentityCreateOneUser(t *testing.T) {
	fake, srv, log := acsFake(t)
	acs := newACS(t, issuer.ACSConfig{}, srv.URL, testACSKey, issuer.Options{})
	closeACS(t, acs)
	const callers = 16
	subjects := make([]string, callers)
	var wg sync.WaitGroup
	for n := range callers {
		wg.Go(func() {
			tok, err := acs.Issue(context.Background(), issuer.Request{Identity: "alice", Scopes: []string{"chat"}})
			if err != nil {
				t.Errorf("caller %d: %v", n, err)
				return
			}
			c, err := fake.Verify(tok.Token)
			if err != nil {
				t.Errorf("caller %d: %v", n, err)
			}
			subjects[n] = c.Subject
		})
	}
	wg.Wait()
	if n := log.count(http.MethodPost, fakeissuer.PathACSIdentities); n != 1 {
		t.Errorf("%d concurrent first calls created %d users; want 1", callers, n)
	}
	if subjects[0] == "" || slices.ContainsFunc(subjects, func(s string) bool { return s != subjects[0] }) {
		t.Errorf("subjects %q: want all the same user", subjects)
	}
}

// A lifetime ACS cannot issue fails at once, before any request (so no
// user is created for nothing), as a permanent error naming the range.
func TestACSLifetimeOutsideTheServiceRangeIsAPermanentErrorWithoutACall(t *testing.T) {
	_, srv, log := acsFake(t)
	acs := newACS(t, issuer.ACSConfig{}, srv.URL, testACSKey, issuer.Options{})
	closeACS(t, acs)
	for _, lifetime := range []time.Duration{30 * time.Minute, 59*time.Minute + 59*time.Second, 25 * time.Hour, 90*time.Minute + time.Second, -time.Hour} {
		_, err := acs.Issue(context.Background(), issuer.Request{Identity: "alice", Lifetime: lifetime})
		var permanent credential.PermanentError
		if !errors.As(err, &permanent) || !permanent.Permanent() || !strings.Contains(err.Error(), "from 60 to 1440") || !strings.Contains(err.Error(), lifetime.String()) {
			t.Errorf("lifetime %v: err = %v; want a permanent error naming the lifetime and the range 60 to 1440 minutes", lifetime, err)
		}
	}
	if _, err := acs.Issue(context.Background(), issuer.Request{Identity: " "}); err == nil || !strings.Contains(err.Error(), "names no identity") {
		t.Errorf("no identity: err = %v; want it said", err)
	}
	if reqs := log.all(); len(reqs) != 0 {
		t.Errorf("requests were sent for requests ACS cannot serve: %q", reqs)
	}
}

func TestACSRevokeMakesTheResourceRefuseOldTokensAndNewOnesWork(t *testing.T) {
	_, srv, log := acsFake(t)
	acs := newACS(t, issuer.ACSConfig{}, srv.URL, testACSKey, issuer.Options{})
	closeACS(t, acs)
	ctx := context.Background()
	old, err := acs.Issue(ctx, issuer.Request{Identity: "alice", Scopes: []string{"chat"}})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := acs.Issue(ctx, issuer.Request{Identity: "bob", Scopes: []string{"chat"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := meStatus(t, srv.URL, old.Token); got != http.StatusOK {
		t.Fatalf("/api/me with a fresh token: %d", got)
	}
	if err := acs.Revoke(ctx, "alice"); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if n := log.count(http.MethodPost, ":revokeAccessTokens"); n != 1 {
		t.Errorf("%d revoke requests; want 1", n)
	}
	if got := meStatus(t, srv.URL, old.Token); got != http.StatusUnauthorized {
		t.Errorf("/api/me with alice's token issued before the revocation: %d, want 401", got)
	}
	if got := meStatus(t, srv.URL, bob.Token); got != http.StatusOK {
		t.Errorf("/api/me with bob's token: %d, want 200 (only alice was revoked)", got)
	}
	fresh, err := acs.Issue(ctx, issuer.Request{Identity: "alice", Scopes: []string{"chat"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := meStatus(t, srv.URL, fresh.Token); got != http.StatusOK {
		t.Errorf("/api/me with alice's token issued after the revocation: %d, want 200", got)
	}
	// An identity that never asked for a token has none to revoke.
	before := len(log.all())
	if err := acs.Revoke(ctx, "carol"); err != nil || len(log.all()) != before {
		t.Errorf("Revoke(carol), who has no user: err %v, %d requests; want nil and none", err, len(log.all())-before)
	}
}

// meStatus asks the fake's protected resource about tok.
func meStatus(t *testing.T, base, tok string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+fakeissuer.PathMe, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestACSCloseDeletesTheUsersItCreatedUnlessKeepUsers(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep_users=%v", keep), func(t *testing.T) {
			fake, srv, log := acsFake(t)
			acs := newACS(t, issuer.ACSConfig{KeepUsers: keep}, srv.URL, testACSKey, issuer.Options{})
			var ids []string
			for _, identity := range []string{"alice", "bob", "carol"} {
				tok, err := acs.Issue(context.Background(), issuer.Request{Identity: identity})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, claimsOf(t, fake, tok.Token).Subject)
			}
			// A user deleted behind the adapter's back counts as deleted.
			if err := fake.DeleteIdentity(ids[2]); err != nil {
				t.Fatal(err)
			}
			if err := acs.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			for _, id := range ids[:2] {
				if fake.HasIdentity(id) != keep {
					t.Errorf("after Close, user %s exists: %v; want %v", id, fake.HasIdentity(id), keep)
				}
			}
			wantDeletes := 3
			if keep {
				wantDeletes = 0
			}
			if n := log.count(http.MethodDelete, ""); n != wantDeletes {
				t.Errorf("%d DELETE requests; want %d", n, wantDeletes)
			}
			if _, err := acs.Issue(context.Background(), issuer.Request{Identity: "alice"}); !errors.Is(err, issuer.ErrClosed) {
				t.Errorf("Issue after Close: %v; want ErrClosed", err)
			}
			if err := acs.Close(); err != nil {
				t.Errorf("a second Close: %v", err)
			}
		})
	}
}

// Close is bounded: a server that never answers a DELETE costs
// Options.Timeout per user, and the users left are named in the error.
func TestACSCloseNamesTheUsersItCouldNotDelete(t *testing.T) {
	fake, err := fakeissuer.New(fakeissuer.Options{ACS: fakeissuer.ACSOptions{AccessKey: testACSKey}})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			select { // hang until the client gives up or the test ends
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	acs := newACS(t, issuer.ACSConfig{}, srv.URL, testACSKey, issuer.Options{Timeout: 100 * time.Millisecond})
	tok, err := acs.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	id := claimsOf(t, fake, tok.Token).Subject
	err = acs.Close()
	if !errors.Is(err, issuer.ErrTimeout) || !strings.Contains(err.Error(), "could not delete 1 of the 1") || !strings.Contains(err.Error(), id) {
		t.Errorf("Close = %v; want a timeout naming user %s", err, id)
	}
}

func TestACSStatusErrorsKeepTheServiceErrorAndRetryAfter(t *testing.T) {
	fake, srv, _ := acsFake(t)
	acs := newACS(t, issuer.ACSConfig{}, srv.URL, testACSKey, issuer.Options{})
	closeACS(t, acs)
	if _, err := acs.Issue(context.Background(), issuer.Request{Identity: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := fake.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Status: 429, RetryAfter: 7 * time.Second, Count: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := acs.Issue(context.Background(), issuer.Request{Identity: "alice"})
	se, ok := errors.AsType[*issuer.StatusError](err)
	if !ok || se.StatusCode != 429 || se.RetryAfter != 7*time.Second || !strings.Contains(err.Error(), "issue a token to alice") {
		t.Errorf("err = %v; want a 429 StatusError with Retry-After 7s saying what was asked", err)
	}
	_, err = acs.Issue(context.Background(), issuer.Request{Identity: "alice", Scopes: []string{"teleport"}})
	if se, ok := errors.AsType[*issuer.StatusError](err); !ok || se.StatusCode != 400 || !strings.Contains(err.Error(), "ValidationError") {
		t.Errorf("unknown scope: err = %v; want the service's 400 ValidationError", err)
	}
}

// A wrong key is refused by the service (401): the error says so and never
// shows the key or the connection string.
func TestACSWrongKeyIsRefusedAndTheKeyNeverPrinted(t *testing.T) {
	_, srv, _ := acsFake(t)
	wrong := base64.StdEncoding.EncodeToString([]byte("the wrong key for this fake issuer"))
	acs := newACS(t, issuer.ACSConfig{}, srv.URL, wrong, issuer.Options{})
	closeACS(t, acs)
	_, err := acs.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if se, ok := errors.AsType[*issuer.StatusError](err); !ok || se.StatusCode != 401 || !strings.Contains(err.Error(), "create a Communication user for alice") {
		t.Fatalf("err = %v; want a 401 on creating alice's user", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("the error shows the access key: %v", err)
	}
}

// A server echoing the request (a proxy's error page, a debug endpoint)
// cannot make the adapter print the access key or connection string.
func TestACSRedactsTheKeyAndConnectionStringFromErrors(t *testing.T) {
	var conn string
	signatures := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		_, sig, _ := strings.Cut(auth, "Signature=")
		signatures <- sig
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "upstream said: key %s conn %s auth %s", testACSKey, conn, auth)
	}))
	t.Cleanup(srv.Close)
	conn = fakeissuer.ACSConnectionString(srv.URL, testACSKey)
	acs := newACS(t, issuer.ACSConfig{}, srv.URL, testACSKey, issuer.Options{})
	closeACS(t, acs)
	_, err := acs.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("err = %v; want the 502", err)
	}
	for _, secret := range []string{testACSKey, conn, <-signatures} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows %q: %v", secret, err)
		}
	}
}

func TestACSConnectionStringErrorsSayWhatIsWrongWithoutEchoingIt(t *testing.T) {
	key := testACSKey
	cases := map[string]string{
		"":                                   "is not set",
		"accesskey=" + key:                   "want endpoint=https://HOST/;accesskey=KEY",
		"endpoint=https://x.example/":        "want endpoint=https://HOST/;accesskey=KEY",
		"endpoint=ftp://x/;accesskey=" + key: "endpoint: want https://HOST/",
		"endpoint=http://acs.example.com/;accesskey=" + key:                "http sends the tokens in clear",
		"endpoint=https://x/;accesskey=" + key + ";sharedaccesskey=" + key: `unknown part "sharedaccesskey"`,
		"endpoint=https://x/;" + key:                                       "a part without =",
		"endpoint=https://x/;accesskey=not*base64" + key[:8]:               "not standard base64",
		"endpoint=https://x/;accesskey=c2hvcnQ=":                           "decodes to 5 bytes",
	}
	for conn, want := range cases {
		_, err := issuer.NewACS(issuer.ACSConfig{ConnectionStringEnv: acsEnv}, issuer.Options{LookupEnv: envWith(acsEnv, conn)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("connection string %q: err = %v; want it to say %q", conn, err, want)
			continue
		}
		if strings.Contains(err.Error(), key[:12]) || strings.Contains(err.Error(), "base64"+key[:8]) {
			t.Errorf("connection string %q: the error echoes the key: %v", conn, err)
		}
	}
}

func TestACSConnectionStringFileIsReadWithABound(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "conn")
	if err := os.WriteFile(good, []byte("\n endpoint=https://acs.example.com/;accesskey="+testACSKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 5<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	iss, err := issuer.NewACS(issuer.ACSConfig{ConnectionStringFile: good}, issuer.Options{})
	if err != nil || iss.Name() != "acs https://acs.example.com/" {
		t.Fatalf("Parse with a good file: %v, %v; want the adapter named acs https://acs.example.com/", iss, err)
	}
	for path, want := range map[string]string{
		big:                        "more than 4 KiB",
		"/dev/zero":                "more than 4 KiB",
		empty:                      "is empty",
		filepath.Join(dir, "none"): "no such file",
	} {
		if _, err := issuer.NewACS(issuer.ACSConfig{ConnectionStringFile: path}, issuer.Options{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("connection_string_file=%s: err = %v; want %q", path, err, want)
		}
	}
}

// A call carrying a CallInfo learns the token request's HTTP timings and,
// with jwks=, that the token's signature verifies with the issuer's keys.
func TestACSReportsTheTokenRequestsTimingsAndSignature(t *testing.T) {
	_, srv, _ := acsFake(t)
	for _, tc := range []struct {
		keys issuer.KeySource
		want issuer.SignatureState
	}{
		{issuer.KeySource{}, issuer.SignatureNotChecked},
		{issuer.KeySource{JWKS: srv.URL + fakeissuer.PathJWKS}, issuer.SignatureVerified},
	} {
		acs := newACS(t, issuer.ACSConfig{Keys: tc.keys}, srv.URL, testACSKey, issuer.Options{})
		closeACS(t, acs)
		for _, identity := range []string{"alice", "alice"} { // with the user's creation, then without
			var info issuer.CallInfo
			tok, err := acs.Issue(issuer.WithCallInfo(context.Background(), &info), issuer.Request{Identity: identity})
			if err != nil {
				t.Fatal(err)
			}
			if info.HTTP == nil || info.HTTP.Status != http.StatusOK || info.HTTP.Bytes < int64(len(tok.Token)) || info.HTTP.Total <= 0 {
				t.Errorf("keys %+v: timings %+v; want the token request's: 200, at least the token's bytes, some time", tc.keys, info.HTTP)
			}
			if info.Signature.State != tc.want {
				t.Errorf("keys %+v: signature %+v; want %s", tc.keys, info.Signature, tc.want)
			}
		}
	}
}

// Close while a user is being created waits for the creation, then deletes
// that user too: no user outlives the run.
func TestACSCloseWaitsForAUserBeingCreatedAndDeletesIt(t *testing.T) {
	fake, err := fakeissuer.New(fakeissuer.Options{ACS: fakeissuer.ACSOptions{AccessKey: testACSKey}})
	if err != nil {
		t.Fatal(err)
	}
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == fakeissuer.PathACSIdentities {
			close(arrived)
			<-release
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	releaseOnce := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseOnce) // a failed test lets the held request go, so srv.Close returns
	acs := newACS(t, issuer.ACSConfig{}, srv.URL, testACSKey, issuer.Options{})

	issued := make(chan error, 1)
	go func() {
		_, err := acs.Issue(context.Background(), issuer.Request{Identity: "alice"})
		issued <- err
	}()
	deadline := time.After(10 * time.Second) // for a hang, not a synchronisation
	await(t, arrived, deadline, "the user's creation to reach the server")
	closed := make(chan error, 1)
	go func() { closed <- acs.Close() }()
	// Revoke fails with ErrClosed, without a request, once Close has begun;
	// nothing but that answer says it has.
	for !errors.Is(acs.Revoke(context.Background(), "nobody"), issuer.ErrClosed) {
		select {
		case <-deadline:
			t.Fatal("Revoke still runs 10 s after Close began; want ErrClosed")
		default:
			runtime.Gosched()
		}
	}
	releaseOnce()
	if err := await(t, closed, deadline, "Close"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	await(t, issued, deadline, "Issue") // its token request may fail: the user is gone
	stats := fake.Stats()
	if stats.IdentityCount != 1 || len(stats.Identities) != 1 || !stats.Identities[0].Deleted {
		t.Errorf("after Close: %+v; want the one user created, deleted", stats.Identities)
	}
}

// Issue 20, defect 9: Close's wait on a server that never answers a DELETE
// ends with the caller's context (a second Ctrl-C), and the error names
// every user left.
func TestACSCloseContextStopsWaitingAndNamesTheUsersLeft(t *testing.T) {
	fake, err := fakeissuer.New(fakeissuer.Options{ACS: fakeissuer.ACSOptions{AccessKey: testACSKey}})
	if err != nil {
		t.Fatal(err)
	}
	deletes := make(chan struct{}, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			deletes <- struct{}{}
			<-r.Context().Done() // hang until the client gives up
			return
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	acs := newACS(t, issuer.ACSConfig{}, srv.URL, testACSKey, issuer.Options{Timeout: time.Hour})
	var ids []string
	for _, identity := range []string{"alice", "bob"} {
		tok, err := acs.Issue(context.Background(), issuer.Request{Identity: identity})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, claimsOf(t, fake, tok.Token).Subject)
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	told := make(chan int, 1)
	closed := make(chan error, 1)
	go func() { closed <- acs.CloseContext(ctx, func(users int) { told <- users }) }()
	deadline := time.After(10 * time.Second)
	for range 2 {
		select {
		case <-deletes:
		case <-deadline:
			t.Fatal("Close sent no DELETE within 10 s")
		}
	}
	if n := <-told; n != 2 {
		t.Errorf("Close said it deletes %d users, want 2", n)
	}
	cancel(errors.New("a second interrupt"))
	select {
	case err = <-closed:
	case <-deadline:
		t.Fatal("Close still waits 10 s after its context ended")
	}
	if err == nil || !strings.Contains(err.Error(), "could not delete 2 of the 2") || !strings.Contains(err.Error(), "stopped waiting: a second interrupt") {
		t.Errorf("Close = %v; want both users left, stopped by the interrupt", err)
	}
	for _, id := range ids {
		if err != nil && !strings.Contains(err.Error(), id) {
			t.Errorf("Close = %v; want it to name user %s", err, id)
		}
	}
}

// await receives from ch, or fails the test naming what it waited for once
// deadline fires.
func await[T any](t *testing.T, ch <-chan T, deadline <-chan time.Time, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-deadline:
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}
