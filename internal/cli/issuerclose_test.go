package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tokentop/fakeissuer"
	"tokentop/issuer"
)

// lockedBuffer is a stderr that a test reads while another goroutine writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Issue 20, defect 9: at exit the acs: clean-up says what it waits for, and
// a second interrupt ends the wait on a server that never answers, naming
// the users left.
func TestCloseIssuerSaysItDeletesUsersAndASecondInterruptEndsTheWait(t *testing.T) {
	key := base64.StdEncoding.EncodeToString([]byte("tokentop acs clean-up test key, 48 bytes long..."))
	fake, err := fakeissuer.New(fakeissuer.Options{ACS: fakeissuer.ACSOptions{AccessKey: key}})
	if err != nil {
		t.Fatal(err)
	}
	deleteArrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			deleteArrived <- struct{}{}
			<-r.Context().Done() // hang until the client gives up
			return
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	conn := fakeissuer.ACSConnectionString(srv.URL, key)
	acs, err := issuer.NewACS(issuer.ACSConfig{ConnectionStringEnv: "CONN"}, issuer.Options{
		Timeout:   time.Hour, // only the interrupt can end the wait
		LookupEnv: func(k string) (string, bool) { return conn, k == "CONN" },
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := acs.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := fake.Verify(tok.Token)
	if err != nil {
		t.Fatal(err)
	}

	// The second Ctrl-C, injected: it ends the context closeIssuer waits under.
	second, interrupt := context.WithCancel(context.Background())
	interrupted := func(context.Context) (context.Context, context.CancelFunc) { return second, interrupt }
	var stderr lockedBuffer
	closed := make(chan error, 1)
	go func() { closed <- closeIssuer(acs, &stderr, interrupted) }()
	deadline := time.After(10 * time.Second)
	select {
	case <-deleteArrived:
	case <-deadline:
		t.Fatal("no DELETE within 10 s")
	}
	if want := "tokentop: deleting 1 user (Ctrl-C again to skip)\n"; stderr.String() != want {
		t.Errorf("while deleting, stderr = %q, want %q", stderr.String(), want)
	}
	interrupt()
	select {
	case err = <-closed:
	case <-deadline:
		t.Fatal("the clean-up still waits 10 s after the second interrupt")
	}
	if err == nil || !strings.Contains(stderr.String(), "could not delete 1 of the 1 Communication users created ("+claims.Subject+"; delete them by hand)") {
		t.Errorf("closeIssuer = %v, stderr:\n%s\nwant the user left named", err, stderr.String())
	}
}
