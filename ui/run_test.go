package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"go.uber.org/goleak"

	"tokentop/credential"
	"tokentop/issuer"
	"tokentop/scenario"
	"tokentop/session"
)

// screenWatcher collects a program's output and reports when it shows a text.
type screenWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	seen map[string]chan struct{}
}

func watchOutput(r io.Reader, texts ...string) *screenWatcher {
	w := &screenWatcher{seen: map[string]chan struct{}{}}
	for _, t := range texts {
		w.seen[t] = make(chan struct{})
	}
	go func() {
		chunk := make([]byte, 4096)
		for {
			n, err := r.Read(chunk)
			w.mu.Lock()
			w.buf.Write(chunk[:n])
			raw := w.buf.String()
			plain := ansi.Strip(raw)
			for t, ch := range w.seen { // text on the screen, or an escape sequence sent
				if ch != nil && (strings.Contains(plain, t) || strings.Contains(raw, t)) {
					close(ch)
					w.seen[t] = nil
				}
			}
			w.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return w
}

func (w *screenWatcher) await(t *testing.T, text string) {
	t.Helper()
	w.mu.Lock()
	ch := w.seen[text]
	w.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-time.After(10 * time.Second): // a deadline for a hung program, not a synchronisation
		t.Fatalf("the screen never showed %q", text)
	}
}

// quitRun types q into a running screen and waits for run to return nil.
func quitRun(t *testing.T, in io.Writer, done <-chan error) {
	t.Helper()
	if _, err := in.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v after q, want nil", err)
		}
	case <-time.After(10 * time.Second): // a deadline for a hung program, not a synchronisation
		t.Fatal("Run did not return after q")
	}
}

func TestRunShowsSessionsAndReturnsNilWhenTheUserQuits(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	iss := &testIssuer{}
	mgr, err := session.NewManager(session.Options{Issuer: iss})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	if _, err := mgr.Add(scenario.Spec{Name: "alice-chat", Identity: "alice", Proactive: true}); err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	defer inW.Close()
	defer outR.Close()
	w := watchOutput(outR, "alice-chat", "test issuer")

	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), mgr, Options{}, tea.WithInput(inR), tea.WithOutput(outW),
			tea.WithWindowSize(100, 30), tea.WithoutSignalHandler())
		outW.Close()
	}()
	w.await(t, "alice-chat")
	w.await(t, "test issuer")
	quitRun(t, inW, done)
	inW.Close()
}

func TestCopyKeySendsTheTokenToTheTerminalAsOSC52(t *testing.T) {
	iss := &testIssuer{}
	mgr, err := session.NewManager(session.Options{Issuer: iss})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	s, err := mgr.Add(scenario.Spec{Name: "alice-chat", Identity: "alice", Static: true})
	if err != nil {
		t.Fatal(err)
	}
	raw := s.Snapshot().Token
	osc52 := ansi.SetSystemClipboard(raw) // ESC ] 52 ; c ; base64 BEL
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	defer inW.Close()
	defer outR.Close()
	w := watchOutput(outR, "decoded: ok", osc52, "copied token of alice-chat")
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), mgr, Options{ShowSecrets: true}, tea.WithInput(inR), tea.WithOutput(outW),
			tea.WithWindowSize(100, 30), tea.WithoutSignalHandler())
		outW.Close()
	}()
	w.await(t, "decoded: ok") // the detail, and so the token, has arrived
	if _, err := inW.Write([]byte("c")); err != nil {
		t.Fatal(err)
	}
	w.await(t, osc52)
	w.await(t, "copied token of alice-chat")
	quitRun(t, inW, done)
}

func TestRunReturnsNilWhenItsContextIsCancelled(t *testing.T) {
	iss := &testIssuer{}
	mgr, err := session.NewManager(session.Options{Issuer: iss})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	if _, err := mgr.Add(scenario.Spec{Name: "bob-calling", Identity: "bob"}); err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	defer inW.Close()
	outR, outW := io.Pipe()
	defer outR.Close()
	w := watchOutput(outR, "bob-calling")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, mgr, Options{}, tea.WithInput(inR), tea.WithOutput(outW),
			tea.WithWindowSize(80, 24), tea.WithoutSignalHandler())
		outW.Close()
	}()
	w.await(t, "bob-calling")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v after its context was cancelled, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
}

func TestPumpEventsCoalescesAStormIntoFewMessagesAndEndsWhenTheSubscriptionCloses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mgr, err := session.NewManager(session.Options{Issuer: &testIssuer{}})
		if err != nil {
			t.Fatal(err)
		}
		defer mgr.Close()
		sub := mgr.Subscribe(1024)
		be := newManagerBackend(mgr, nil)
		var mu sync.Mutex
		var msgs []EventsMsg
		done := make(chan struct{})
		go func() {
			defer close(done)
			pumpEvents(sub, be, eventBatchInterval, func(m tea.Msg) {
				mu.Lock()
				msgs = append(msgs, m.(EventsMsg))
				mu.Unlock()
			})
		}()
		for i := range 50 {
			if _, err := mgr.Add(scenario.Spec{Name: "s" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Identity: "u"}); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		time.Sleep(eventBatchInterval) // virtual time: lets the batch window close
		synctest.Wait()
		if err := mgr.SignOut("u"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		time.Sleep(eventBatchInterval)
		synctest.Wait()
		sub.Close()
		<-done

		total := 0
		for _, m := range msgs {
			total += m.N
		}
		if total != int(mgr.Published()) {
			t.Errorf("messages carried %d events, the manager published %d", total, mgr.Published())
		}
		if len(msgs) > 2 {
			t.Errorf("%d events became %d messages, want them coalesced into at most 2", total, len(msgs))
		}
		if !be.signedOut["saa"] {
			t.Error("the pump did not note the sign-out of session saa")
		}
	})
}

func TestCheckTerminalRefusesAFileAndSuggestsHeadless(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = CheckTerminal(f)
	if !errors.Is(err, ErrNotTerminal) {
		t.Fatalf("CheckTerminal(file) = %v, want ErrNotTerminal", err)
	}
	if !strings.Contains(err.Error(), "--headless") {
		t.Errorf("error %q does not suggest --headless", err)
	}
}

// refusingIssuer answers every call with a permanent error, as an issuer with
// a wrong client secret does.
type refusingIssuer struct{}

func (refusingIssuer) Name() string { return "refusing" }
func (refusingIssuer) Issue(context.Context, issuer.Request) (credential.AccessToken, error) {
	return credential.AccessToken{}, &issuer.StatusError{StatusCode: 401, Excerpt: "invalid_client"}
}

func TestASessionWhoseIssuerKeepsRefusingItNeedsAttention(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mgr, err := session.NewManager(session.Options{Issuer: refusingIssuer{}})
		if err != nil {
			t.Fatal(err)
		}
		defer mgr.Close()
		if _, err := mgr.Add(scenario.Spec{Name: "alice", Identity: "alice", Proactive: true}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		be := newManagerBackend(mgr, nil)
		f := be.Frame("")
		if len(f.Sessions) != 1 || f.Sessions[0].State != stateAttention || f.Sessions[0].State.String() != "needs attention" {
			t.Fatalf("after repeated 401s the session shows %v, want needs attention", f.Sessions[0].State)
		}
	})
}

// eventBatchInterval is the batch window the pumpEvents tests use.
const eventBatchInterval = 50 * time.Millisecond
