package issuer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tokentop/fakeissuer"
	"tokentop/internal/npmtest"
	"tokentop/issuer"
)

// acsRequest is what the comparison looks at in one ACS request: the
// method, the request target (escaped path and query, with the user id's
// unique part replaced by ID), the body as JSON, the signed headers as
// Authorization names them, the x-ms-* headers sent, and the status the
// fake (which checks the signature) answered.
type acsRequest struct {
	Method        string
	Target        string
	Body          any
	SignedHeaders string
	MSHeaders     []string
	Status        int
}

func (r acsRequest) String() string {
	return fmt.Sprintf("%s %s body=%v signed=%s x-ms=%v -> %d", r.Method, r.Target, r.Body, r.SignedHeaders, r.MSHeaders, r.Status)
}

// acsRecorder serves a fake issuer and records its ACS requests.
type acsRecorder struct {
	fake *fakeissuer.Issuer
	mu   sync.Mutex
	reqs []acsRequest
}

// userIDPart is the unique part of a fake ACS user id, after "8:acs:" in
// whichever escaping the client sent.
var userIDPart = regexp.MustCompile(`(acs(?::|%3A|%3a))[0-9A-Za-z_-]+`)

func (rec *acsRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	got := acsRequest{Method: r.Method, Target: userIDPart.ReplaceAllString(r.RequestURI, "${1}ID")}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &got.Body); err != nil {
			got.Body = "not JSON: " + string(body)
		}
	}
	if _, params, ok := strings.Cut(r.Header.Get("Authorization"), "SignedHeaders="); ok {
		got.SignedHeaders, _, _ = strings.Cut(params, "&")
	}
	for name := range r.Header {
		if strings.HasPrefix(strings.ToLower(name), "x-ms-") {
			got.MSHeaders = append(got.MSHeaders, strings.ToLower(name))
		}
	}
	slices.Sort(got.MSHeaders)
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	rec.fake.Handler().ServeHTTP(sw, r)
	got.Status = sw.status
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, got)
	rec.mu.Unlock()
}

// take returns the requests recorded so far and forgets them.
func (rec *acsRecorder) take() []acsRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	reqs := rec.reqs
	rec.reqs = nil
	return reqs
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// TestACSSendsWhatTheOfficialJavaScriptClientSends runs
// @azure/communication-identity (pinned in testdata/acsjs) and the acs:
// issuer through the same operations (create a user, issue a 60-minute chat
// token, revoke, delete) against one fake issuer, and compares their
// requests: method, path (the user id escaped alike), query, body, signed
// headers. The fake checks both signatures. It needs node and npm, and the
// npm registry for one `npm ci` into a temporary directory.
func TestACSSendsWhatTheOfficialJavaScriptClientSends(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: installs npm packages")
	}
	dir := npmtest.Install(t, filepath.Join("testdata", "acsjs"), "compare the acs: issuer with the official ACS client library",
		"package.json", "package-lock.json", "ops.cjs")
	fake, err := fakeissuer.New(fakeissuer.Options{ACS: fakeissuer.ACSOptions{AccessKey: testACSKey}})
	if err != nil {
		t.Fatal(err)
	}
	rec := &acsRecorder{fake: fake}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "ops.cjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ACS_CONNECTION_STRING="+fakeissuer.ACSConnectionString(srv.URL, testACSKey))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node ops.cjs: %v\nstderr:\n%s", err, stderr.Bytes())
	}
	js := rec.take()

	acs := newACS(t, issuer.ACSConfig{}, srv.URL, testACSKey, issuer.Options{})
	if _, err := acs.Issue(ctx, issuer.Request{Identity: "alice", Scopes: []string{"chat"}, Lifetime: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := acs.Revoke(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := acs.Close(); err != nil {
		t.Fatal(err)
	}
	ours := rec.take()

	for _, r := range js {
		t.Logf("official client: %s", r)
	}
	if len(js) != 4 {
		t.Fatalf("the official client sent %d requests; want 4 (create, issue, revoke, delete)", len(js))
	}
	for n, r := range js {
		if r.Status/100 != 2 {
			t.Fatalf("the fake refused the official client's request %d: %s", n+1, r)
		}
	}
	if !reflect.DeepEqual(ours, js) {
		t.Errorf("the acs: issuer's requests differ from the official client's:")
		for n := range max(len(ours), len(js)) {
			var o, j acsRequest
			if n < len(ours) {
				o = ours[n]
			}
			if n < len(js) {
				j = js[n]
			}
			mark := "  "
			if !reflect.DeepEqual(o, j) {
				mark = "!="
			}
			t.Errorf("%s ours:     %s\n   official: %s", mark, o, j)
		}
	}
}
