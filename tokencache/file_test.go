package tokencache

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// testKDF keeps Argon2id cheap so tests can save thousands of times.
var testKDF = kdfParams{Kind: kdfArgon2id, Time: 1, MemoryKiB: 8, Threads: 1}

const testSecret = "correct horse battery staple, 32+ chars"

// fakeNow is a settable clock for expiry.
type fakeNow struct{ t time.Time }

func (c *fakeNow) now() time.Time { return c.t }

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// warnings collects warn calls.
type warnings []string

func (w *warnings) add(s string) { *w = append(*w, s) }

func openTest(t *testing.T, path string, clock *fakeNow, w *warnings) *File {
	t.Helper()
	if w == nil {
		w = &warnings{}
	}
	f, err := openFile(path, []byte(testSecret), w.add, options{kdf: testKDF, now: clock.now})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func mustSave(t *testing.T, s Store, k Key, e Entry) {
	t.Helper()
	if err := s.Save(k, e); err != nil {
		t.Fatalf("save %v: %v", k, err)
	}
}

func mustLoad(t *testing.T, s Store, k Key) (Entry, bool) {
	t.Helper()
	e, ok, err := s.Load(k)
	if err != nil {
		t.Fatalf("load %v: %v", k, err)
	}
	return e, ok
}

const jwtToken = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ3b3JrZXItMSIsImV4cCI6MTc2NzMyMzA0NX0.c2lnbmF0dXJlLWJ5dGVz"

// The production path (OpenFile, real Argon2id parameters) writes no token
// bytes, not even the JWT header segment, and a 0600 file; a new process reads
// the entry back.
func TestFileHoldsNoTokenBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "tokens.cache")
	var w warnings
	f, err := OpenFile(context.Background(), path, testSecret, w.add)
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Issuer: "fake", Identity: "worker-1", Scopes: []string{"read", "write"}}
	e := Entry{Token: jwtToken, ExpiresOn: time.Now().Add(time.Hour).Round(0)}
	mustSave(t, f, k, e)
	f.Close()

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header := jwtToken[:strings.IndexByte(jwtToken, '.')]
	for _, needle := range []string{jwtToken, header, "worker-1", "signature"} {
		if bytes.Contains(b, []byte(needle)) {
			t.Errorf("cache file contains %q in the clear", needle)
		}
	}
	for _, p := range []string{path, path + ".lock"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	if got := f.Describe(); got != "encrypted file "+path {
		t.Errorf("Describe() = %q", got)
	}

	g, err := OpenFile(context.Background(), path, testSecret, w.add)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	got, ok := mustLoad(t, g, Key{Issuer: "fake", Identity: "worker-1", Scopes: []string{"write", "read"}})
	if !ok || got.Token != e.Token || !got.ExpiresOn.Equal(e.ExpiresOn) {
		t.Errorf("reopened Load = %+v, %v; want %+v", got, ok, e)
	}
	if len(w) != 0 {
		t.Errorf("unexpected warnings: %q", w)
	}
}

// A cache file left readable by others is narrowed to 0600 on open.
func TestOpenNarrowsFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.cache")
	openTest(t, path, &fakeNow{epoch}, nil).Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	openTest(t, path, &fakeNow{epoch}, nil)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after open = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

func TestShortSecretIsRejected(t *testing.T) {
	_, err := OpenFile(context.Background(), filepath.Join(t.TempDir(), "c"), "too-short-secret", nil)
	if err == nil || !strings.Contains(err.Error(), "TOKENTOP_CACHE_KEY") || !strings.Contains(err.Error(), "32") {
		t.Fatalf("err = %v, want one naming TOKENTOP_CACHE_KEY and the 32-character minimum", err)
	}
	if strings.Contains(err.Error(), "too-short-secret") {
		t.Errorf("error prints the secret: %v", err)
	}
}

// A damaged, truncated, foreign or other-key file is refused at open with an
// *UnreadableError naming it, and never overwritten: a wrong key loses no
// saved token (issue 20, defect 6).
func TestUnreadableFileIsNeverOverwritten(t *testing.T) {
	k := Key{Issuer: "fake", Identity: "w"}
	e := Entry{Token: "tok", ExpiresOn: epoch.Add(time.Hour)}
	for name, damage := range damages(t, k, e) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens.cache")
			f := openTest(t, path, &fakeNow{epoch}, nil)
			mustSave(t, f, k, e)
			f.Close()
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			bad := damage(t, path, b)
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}

			g, err := openFile(path, []byte(testSecret), nil, options{kdf: testKDF, now: (&fakeNow{epoch}).now})
			var unreadable *UnreadableError
			if !errors.As(err, &unreadable) || !strings.Contains(err.Error(), path) {
				if g != nil {
					g.Close()
				}
				t.Fatalf("open: err = %v, want an *UnreadableError naming %s", err, path)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, bad) {
				t.Error("opening rewrote the unreadable file")
			}
		})
	}
}

// A store already open when the file turns unreadable (another process
// wrote it with another key) warns once on Load, finds nothing, and refuses
// to Save over it.
func TestFileTurnedUnreadableIsNotOverwrittenBySave(t *testing.T) {
	k := Key{Issuer: "fake", Identity: "w"}
	e := Entry{Token: "tok", ExpiresOn: epoch.Add(time.Hour)}
	path := filepath.Join(t.TempDir(), "tokens.cache")
	var w warnings
	f := openTest(t, path, &fakeNow{epoch}, &w)
	mustSave(t, f, k, e)
	bad := damages(t, k, e)["another key"](t, path, nil)
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got, ok := mustLoad(t, f, k); ok {
			t.Errorf("Load from a file under another key = %+v", got)
		}
	}
	if len(w) != 1 || !strings.Contains(w[0], path) {
		t.Errorf("warnings = %q, want one naming %s", w, path)
	}
	var unreadable *UnreadableError
	if err := f.Save(k, e); !errors.As(err, &unreadable) {
		t.Errorf("Save over a file under another key: err = %v, want an *UnreadableError", err)
	}
	if err := f.Clear(); !errors.As(err, &unreadable) {
		t.Errorf("Clear of a file under another key: err = %v, want an *UnreadableError", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, bad) {
		t.Error("Save or Clear rewrote the file written under another key")
	}
}

// An empty file (nothing to lose) reads as absent and is written afresh.
func TestEmptyFileIsStartedAfresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.cache")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f := openTest(t, path, &fakeNow{epoch}, nil)
	k := Key{Issuer: "fake", Identity: "w"}
	mustSave(t, f, k, Entry{Token: "tok", ExpiresOn: epoch.Add(time.Hour)})
	if _, ok := mustLoad(t, openTest(t, path, &fakeNow{epoch}, nil), k); !ok {
		t.Error("the entry saved into a once-empty file is not found")
	}
}

// damages are the ways a cache file holding k becomes unreadable: each
// returns the damaged bytes of the file at path, whose bytes are b.
func damages(t *testing.T, k Key, e Entry) map[string]func(t *testing.T, path string, b []byte) []byte {
	return map[string]func(t *testing.T, path string, b []byte) []byte{
		"flipped ciphertext byte": func(_ *testing.T, _ string, b []byte) []byte { b[len(b)-5] ^= 1; return b },
		"flipped salt byte":       func(_ *testing.T, _ string, b []byte) []byte { b[headerLen-1] ^= 1; return b },
		"flipped magic byte":      func(_ *testing.T, _ string, b []byte) []byte { b[0] ^= 1; return b },
		"truncated":               func(_ *testing.T, _ string, b []byte) []byte { return b[:len(b)/2] },
		"oversized":               func(_ *testing.T, _ string, b []byte) []byte { return append(b, make([]byte, maxFileLen)...) },
		"another key": func(t *testing.T, _ string, _ []byte) []byte {
			other := filepath.Join(t.TempDir(), "other.cache")
			f, err := openFile(other, []byte(strings.Repeat("x", 40)), nil, options{kdf: testKDF, now: (&fakeNow{epoch}).now})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			mustSave(t, f, k, e)
			b, err := os.ReadFile(other)
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		"KDF memory out of range": func(_ *testing.T, _ string, b []byte) []byte {
			binary.BigEndian.PutUint32(b[len(magic)+6:], 1<<31) // 2 TiB: must not be attempted
			return b
		},
	}
}

// Expired entries are not returned, and a Save drops them from the file.
func TestExpiredEntriesAreDropped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.cache")
	clock := &fakeNow{epoch}
	f := openTest(t, path, clock, nil)
	short, long := Key{Issuer: "fake", Identity: "short"}, Key{Issuer: "fake", Identity: "long"}
	mustSave(t, f, short, Entry{Token: "s", ExpiresOn: epoch.Add(time.Minute)})
	mustSave(t, f, long, Entry{Token: "l", ExpiresOn: epoch.Add(time.Hour)})

	clock.t = epoch.Add(time.Minute) // expiry instant: no longer valid
	if got, ok := mustLoad(t, f, short); ok {
		t.Errorf("Load of an expired entry = %+v", got)
	}
	if _, ok := mustLoad(t, f, long); !ok {
		t.Error("Load of a live entry failed")
	}
	mustSave(t, f, Key{Issuer: "fake", Identity: "new"}, Entry{Token: "n", ExpiresOn: epoch.Add(time.Hour)})

	clock.t = epoch // a reader whose clock is behind still finds it gone from the file
	g := openTest(t, path, clock, nil)
	if got, ok := mustLoad(t, g, short); ok {
		t.Errorf("Save kept an expired entry in the file: %+v", got)
	}
	if len(g.entries) != 2 {
		t.Errorf("file holds %d entries, want 2", len(g.entries))
	}
}

// Keys match whatever the scope order; issuer, identity and scopes all count.
func TestKeysIgnoreScopeOrderOnly(t *testing.T) {
	f := openTest(t, filepath.Join(t.TempDir(), "tokens.cache"), &fakeNow{epoch}, nil)
	mustSave(t, f, Key{Issuer: "i", Identity: "u", Scopes: []string{"b", "a"}}, Entry{Token: "t", ExpiresOn: epoch.Add(time.Hour)})
	for _, k := range []Key{
		{Issuer: "i", Identity: "u", Scopes: []string{"a", "b"}},
		{Issuer: "i", Identity: "u", Scopes: []string{"a", "b", "a"}},
	} {
		if _, ok := mustLoad(t, f, k); !ok {
			t.Errorf("Load %v missed", k)
		}
	}
	for _, k := range []Key{
		{Issuer: "i", Identity: "u", Scopes: []string{"a"}},
		{Issuer: "i", Identity: "u2", Scopes: []string{"a", "b"}},
		{Issuer: "j", Identity: "u", Scopes: []string{"a", "b"}},
		{Issuer: "i", Identity: "u\",\"a", Scopes: []string{"b"}},
	} {
		if _, ok := mustLoad(t, f, k); ok {
			t.Errorf("Load %v hit another key's entry", k)
		}
	}
}

// Argon2id runs once per process and salt, not once per Save or Load, even
// when two stores that started the file with different salts share it.
func TestKeyDerivedOncePerSalt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.cache")
	clock := &fakeNow{epoch}
	a, b := openTest(t, path, clock, nil), openTest(t, path, clock, nil)
	for i := range 50 {
		for _, s := range []*File{a, b} {
			k := Key{Issuer: "i", Identity: fmt.Sprint(i)}
			mustSave(t, s, k, Entry{Token: "t", ExpiresOn: epoch.Add(time.Hour)})
			mustLoad(t, s, k)
		}
	}
	if a.derived > 2 || b.derived > 2 {
		t.Errorf("keys derived: %d and %d, want at most 2 each", a.derived, b.derived)
	}
}

// Clear empties the file for every process.
func TestClear(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.cache")
	clock := &fakeNow{epoch}
	f := openTest(t, path, clock, nil)
	k := Key{Issuer: "i", Identity: "u"}
	mustSave(t, f, k, Entry{Token: "t", ExpiresOn: epoch.Add(time.Hour)})
	if err := f.Clear(); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustLoad(t, f, k); ok {
		t.Error("Load after Clear hit")
	}
	if _, ok := mustLoad(t, openTest(t, path, clock, nil), k); ok {
		t.Error("Load in another process after Clear hit")
	}
}

// Another process's Save is seen by Load without reopening.
func TestLoadSeesOtherWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.cache")
	clock := &fakeNow{epoch}
	a, b := openTest(t, path, clock, nil), openTest(t, path, clock, nil)
	k := Key{Issuer: "i", Identity: "u"}
	mustSave(t, a, k, Entry{Token: "t", ExpiresOn: epoch.Add(time.Hour)})
	if got, ok := mustLoad(t, b, k); !ok || got.Token != "t" {
		t.Errorf("Load in the other store = %+v, %v", got, ok)
	}
}

const helperEnv = "TOKENCACHE_TEST_HELPER" // "path|name" for TestHelperProcess

// Two processes saving 1,000 times each into one file leave a file that
// decrypts and holds both processes' last entries.
func TestTwoProcessesShareTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.cache")
	start := time.Now()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for _, name := range []string{"alpha", "beta"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+path+"|"+name)
		out := new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper %d: %v\n%s", i, err, outs[i])
		}
	}
	t.Logf("2 x %d saves in %v", helperSaves, time.Since(start))
	var w warnings
	f := openTest(t, path, &fakeNow{epoch}, &w)
	if len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}
	for _, name := range []string{"alpha", "beta"} {
		got, ok := mustLoad(t, f, Key{Issuer: "fake", Identity: name})
		if want := fmt.Sprintf("%s-%d", name, helperSaves-1); !ok || got.Token != want {
			t.Errorf("%s: Load = %+v, %v; want token %s", name, got, ok, want)
		}
		lost := 0
		for i := 0; i < helperSaves; i += helperMarkEvery {
			if _, ok := mustLoad(t, f, helperMark(name, i)); !ok {
				lost++
			}
		}
		if lost > 0 {
			t.Errorf("%s: %d of %d marks lost: a Save overwrote the other process's entries", name, lost, helperSaves/helperMarkEvery)
		}
	}
}

// Each helper saves helperSaves times under its own key, and every
// helperMarkEvery saves also a mark under a key of its own, so that a lost
// update (a write that did not merge the other process's) shows as a missing mark.
const (
	helperSaves     = 1000
	helperMarkEvery = 50
)

func helperMark(name string, i int) Key {
	return Key{Issuer: "fake", Identity: name, Scopes: []string{fmt.Sprint("mark-", i)}}
}

// TestHelperProcess is a child of TestTwoProcessesShareTheFile, not a test.
func TestHelperProcess(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("only runs as a child of TestTwoProcessesShareTheFile")
	}
	path, name, _ := strings.Cut(spec, "|")
	var w warnings
	f := openTest(t, path, &fakeNow{epoch}, &w)
	for i := range helperSaves {
		mustSave(t, f, Key{Issuer: "fake", Identity: name}, Entry{Token: fmt.Sprintf("%s-%d", name, i), ExpiresOn: epoch.Add(time.Hour)})
		if i%helperMarkEvery == 0 {
			mustSave(t, f, helperMark(name, i), Entry{Token: "mark", ExpiresOn: epoch.Add(time.Hour)})
		}
	}
	// A wait for the other process's lock past a second is said, and is
	// no fault on a loaded machine; any other warning is.
	for _, msg := range w {
		if !strings.Contains(msg, "is locked by process") {
			t.Errorf("warning: %q", msg)
		}
	}
}

// A Save that would make the file too large for readers fails and leaves the
// file as it was.
func TestSaveRefusesOversizedCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.cache")
	f := openTest(t, path, &fakeNow{epoch}, nil)
	k := Key{Issuer: "i", Identity: "u"}
	mustSave(t, f, k, Entry{Token: "small", ExpiresOn: epoch.Add(time.Hour)})
	err := f.Save(Key{Issuer: "i", Identity: "big"}, Entry{Token: strings.Repeat("x", maxFileLen), ExpiresOn: epoch.Add(time.Hour)})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("oversized Save: err = %v, want one naming %s", err, path)
	}
	var w warnings
	if got, ok := mustLoad(t, openTest(t, path, &fakeNow{epoch}, &w), k); !ok || got.Token != "small" || len(w) != 0 {
		t.Errorf("after a refused Save: Load = %+v, %v; warnings %q", got, ok, w)
	}
}

// Issue 20, defect 10: saves into a file full of large tokens keep working:
// the entries expiring soonest are evicted to stay under the size limit,
// never the one just saved (saves failed once the file reached 16 MiB).
func TestSavesEvictTheSoonestExpiringToStayUnderTheSizeLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.cache")
	f := openTest(t, path, &fakeNow{epoch}, nil)
	big := strings.Repeat("x", 2<<20) // 8 of them make more than 16 MiB
	key := func(i int) Key { return Key{Issuer: "i", Identity: fmt.Sprint(i)} }
	for i := range 8 {
		mustSave(t, f, key(i), Entry{Token: big, ExpiresOn: epoch.Add(time.Duration(i+1) * time.Hour)})
	}
	early := key(-1) // expires before every other: saved last, it stays
	mustSave(t, f, early, Entry{Token: big, ExpiresOn: epoch.Add(time.Minute)})
	if fi, err := os.Stat(path); err != nil || fi.Size() > maxFileLen {
		t.Fatalf("file size %d (%v), want at most %d", fi.Size(), err, maxFileLen)
	}
	g := openTest(t, path, &fakeNow{epoch}, nil)
	var kept []int
	for i := -1; i < 8; i++ {
		if _, ok := mustLoad(t, g, key(i)); ok {
			kept = append(kept, i)
		}
	}
	if want := []int{-1, 2, 3, 4, 5, 6, 7}; !slices.Equal(kept, want) {
		t.Errorf("entries kept: %v, want %v (the latest to expire, and the one just saved)", kept, want)
	}
}

// A closed store refuses work instead of touching the file.
func TestClosed(t *testing.T) {
	f := openTest(t, filepath.Join(t.TempDir(), "tokens.cache"), &fakeNow{epoch}, nil)
	f.Close()
	if err := f.Save(Key{}, Entry{}); err == nil {
		t.Error("Save after Close succeeded")
	}
	if _, _, err := f.Load(Key{}); err == nil {
		t.Error("Load after Close succeeded")
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A run on virtual time sets the store's clock: a token valid at the run's
// time is found even if the wall clock is past its expiry.
func TestSetClockJudgesExpiryOnTheRunsClock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.cache")
	wall := &fakeNow{epoch.Add(365 * 24 * time.Hour)} // a year after the tokens
	f := openTest(t, path, wall, nil)
	virtual := &fakeNow{epoch}
	f.SetClock(virtual.now)
	k := Key{Issuer: "fake", Identity: "sim"}
	mustSave(t, f, k, Entry{Token: "t", ExpiresOn: epoch.Add(time.Hour)})
	if _, ok := mustLoad(t, f, k); !ok {
		t.Fatal("a token valid on the run's clock was not found")
	}
	virtual.t = epoch.Add(2 * time.Hour)
	if _, ok := mustLoad(t, f, k); ok {
		t.Fatal("a token expired on the run's clock was found")
	}
}
