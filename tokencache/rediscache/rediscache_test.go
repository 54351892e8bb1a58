package rediscache

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"tokentop/tokencache"
)

const testSecret = "correct horse battery staple, 32+ chars"

// A token whose bytes the ciphertext test looks for in Redis.
const testToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3b3JrZXItMSJ9.c2VjcmV0LXNpZ25hdHVyZS1ieXRlcw"

var sealer struct {
	once sync.Once
	s    *tokencache.EntrySealer
}

// testSealer derives the production key once per test binary (Argon2id is
// slow by design); every test's namespace shares it.
func testSealer() *tokencache.EntrySealer {
	sealer.once.Do(func() {
		s, err := tokencache.NewEntrySealer(testSecret, "tests")
		if err != nil {
			panic(err)
		}
		sealer.s = s
	})
	return sealer.s
}

// clock is a settable clock for TTLs and expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openTest opens a store in a namespace of its own on the test Redis.
func openTest(t *testing.T, url, ns string, now func() time.Time) *Store {
	t.Helper()
	if ns == "" {
		var b [6]byte
		rand.Read(b[:])
		ns = "t-" + hex.EncodeToString(b[:])
	}
	s, err := Open(t.Context(), Options{URL: url, Namespace: ns, Now: now, sealer: testSealer()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Clear(context.Background())
		s.Close()
	})
	return s
}

var alice = tokencache.Key{Issuer: "https://issuer.example", Config: "cfg", Identity: "alice@example.com", Scopes: []string{"read", "write"}}

func TestSaveLoadRoundTrip(t *testing.T) {
	c := &clock{t: time.Now()}
	s := openTest(t, redisURL(t), "", c.now)
	ctx := t.Context()
	e := tokencache.Entry{Token: testToken, ExpiresOn: c.now().Add(time.Hour).Round(0)}
	if err := s.Save(ctx, alice, e); err != nil {
		t.Fatal(err)
	}
	// Another process (another Store, same secret and namespace) reads it; scope order is immaterial.
	other := openTest(t, s.where, s.namespace, c.now)
	k := alice
	k.Scopes = []string{"write", "read"}
	got, ok, err := other.Load(ctx, k)
	if err != nil || !ok || got.Token != e.Token || !got.ExpiresOn.Equal(e.ExpiresOn) {
		t.Fatalf("Load = %+v, %v, %v; want the saved entry", got, ok, err)
	}
	for name, k := range map[string]tokencache.Key{
		"identity": {Issuer: alice.Issuer, Config: alice.Config, Identity: "bob", Scopes: alice.Scopes},
		"config":   {Issuer: alice.Issuer, Config: "other", Identity: alice.Identity, Scopes: alice.Scopes},
		"scopes":   {Issuer: alice.Issuer, Config: alice.Config, Identity: alice.Identity, Scopes: []string{"read"}},
	} {
		if _, ok, err := s.Load(ctx, k); ok || err != nil {
			t.Errorf("another %s: Load = %v, %v; want a miss", name, ok, err)
		}
	}
	c.add(time.Hour)
	if _, ok, err := s.Load(ctx, alice); ok || err != nil {
		t.Errorf("at its expiry: Load = %v, %v; want a miss", ok, err)
	}
}

func TestTTLIsSetAtExpiry(t *testing.T) {
	c := &clock{t: time.Now()}
	s := openTest(t, redisURL(t), "", c.now)
	ttl := 90 * time.Second
	if err := s.Save(t.Context(), alice, tokencache.Entry{Token: testToken, ExpiresOn: c.now().Add(ttl)}); err != nil {
		t.Fatal(err)
	}
	left, err := s.client.PTTL(t.Context(), s.tokenName(alice)).Result()
	if err != nil {
		t.Fatal(err)
	}
	if left > ttl || left < ttl-5*time.Second {
		t.Errorf("PTTL = %v; want about %v (the token's expiry)", left, ttl)
	}
	// An expired token is not written at all.
	bob := alice
	bob.Identity = "bob"
	if err := s.Save(t.Context(), bob, tokencache.Entry{Token: testToken, ExpiresOn: c.now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.client.Exists(t.Context(), s.tokenName(bob)).Result(); n != 0 {
		t.Error("an expired token was written")
	}
}

func TestSaveKeepsALongerLivedEntry(t *testing.T) {
	c := &clock{t: time.Now()}
	s := openTest(t, redisURL(t), "", c.now)
	ctx := t.Context()
	long := tokencache.Entry{Token: "long-lived", ExpiresOn: c.now().Add(time.Hour)}
	if err := s.Save(ctx, alice, long); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, alice, tokencache.Entry{Token: "short-lived", ExpiresOn: c.now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Load(ctx, alice); got.Token != long.Token {
		t.Errorf("Load = %q; a save without a lease replaced a token that outlives it", got.Token)
	}
}

func TestLeaseIsExclusiveBetweenConcurrentHolders(t *testing.T) {
	url := redisURL(t)
	a := openTest(t, url, "", nil)
	b := openTest(t, url, a.namespace, nil)
	var wg sync.WaitGroup
	var leases [2]Lease
	var oks [2]bool
	var errs [2]error
	for i, s := range []*Store{a, b} {
		wg.Go(func() { leases[i], oks[i], errs[i] = s.Acquire(t.Context(), alice, time.Minute) })
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if oks[0] == oks[1] {
		t.Fatalf("both or neither holder got the lease (%v, %v); want exactly one", oks[0], oks[1])
	}
	holder, other := 0, 1
	if oks[1] {
		holder, other = 1, 0
	}
	stores := []*Store{a, b}
	// The other cannot release what it does not hold.
	if ok, err := stores[other].Release(t.Context(), Lease{Key: alice, owner: "not-the-owner"}); ok || err != nil {
		t.Fatalf("a non-holder's Release = %v, %v; want false", ok, err)
	}
	if ok, err := stores[holder].Release(t.Context(), leases[holder]); !ok || err != nil {
		t.Fatalf("the holder's Release = %v, %v; want true", ok, err)
	}
	next, ok, err := stores[other].Acquire(t.Context(), alice, time.Minute)
	if !ok || err != nil {
		t.Fatalf("after release: Acquire = %v, %v; want the lease", ok, err)
	}
	if next.Fence <= leases[holder].Fence {
		t.Errorf("fence went from %d to %d; want it to increase", leases[holder].Fence, next.Fence)
	}
}

func TestLapsedLeaseIsTakenOverAndTheStaleHolderRefused(t *testing.T) {
	c := &clock{t: time.Now()}
	url := redisURL(t)
	a := openTest(t, url, "", c.now)
	b := openTest(t, url, a.namespace, c.now)
	ctx := t.Context()
	ttl := 200 * time.Millisecond
	la, ok, err := a.Acquire(ctx, alice, ttl)
	if !ok || err != nil {
		t.Fatalf("Acquire = %v, %v", ok, err)
	}
	if left, _ := a.client.PTTL(ctx, a.leaseName(alice)).Result(); left <= 0 || left > ttl {
		t.Fatalf("the lease's PTTL is %v; want (0, %v]", left, ttl)
	}
	if _, ok, _ := b.Acquire(ctx, alice, ttl); ok {
		t.Fatal("a second holder got a held lease")
	}
	// a dies holding it: Redis lets it lapse after ttl. Wait for that on
	// Redis's own clock, as the server reports it, within a deadline.
	deadline := time.Now().Add(5 * time.Second)
	var lb Lease
	ok = false
	for !ok {
		if time.Now().After(deadline) {
			t.Fatal("the lease did not lapse within 5s")
		}
		left, err := b.client.PTTL(ctx, b.leaseName(alice)).Result()
		if err != nil {
			t.Fatal(err)
		}
		<-time.After(max(left, time.Millisecond)) // Redis's expiry, not ours to drive
		if lb, ok, err = b.Acquire(ctx, alice, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if lb.Fence <= la.Fence {
		t.Fatalf("the new holder's fence %d is not past the old one's %d", lb.Fence, la.Fence)
	}
	stale := tokencache.Entry{Token: "stale-holder", ExpiresOn: c.now().Add(time.Hour)}
	if err := a.SaveLeased(ctx, la, stale); !errors.Is(err, ErrStaleFence) {
		t.Fatalf("the stale holder's SaveLeased = %v; want ErrStaleFence", err)
	}
	if released, err := a.Release(ctx, la); released || err != nil {
		t.Fatalf("the stale holder's Release = %v, %v; want false (the lease is b's)", released, err)
	}
	fresh := tokencache.Entry{Token: "new-holder", ExpiresOn: c.now().Add(time.Hour)}
	if err := b.SaveLeased(ctx, lb, fresh); err != nil {
		t.Fatalf("the holder's SaveLeased: %v", err)
	}
	if got, _, _ := a.Load(ctx, alice); got.Token != fresh.Token {
		t.Errorf("Load = %q; want the current holder's token", got.Token)
	}
	if n, _ := b.client.Exists(ctx, b.leaseName(alice)).Result(); n != 1 {
		t.Error("the stale holder's Release removed the new holder's lease")
	}
}

func TestFenceNeverGoesBackAfterClear(t *testing.T) {
	s := openTest(t, redisURL(t), "", nil)
	ctx := t.Context()
	old, ok, err := s.Acquire(ctx, alice, time.Minute)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	l, ok, err := s.Acquire(ctx, alice, time.Minute)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if l.Fence <= old.Fence {
		t.Fatalf("after Clear the fence restarted at %d, not past %d: an old holder's number could come back", l.Fence, old.Fence)
	}
	if err := s.SaveLeased(ctx, old, tokencache.Entry{Token: "x", ExpiresOn: time.Now().Add(time.Hour)}); !errors.Is(err, ErrStaleFence) {
		t.Fatalf("SaveLeased with the pre-Clear lease = %v; want ErrStaleFence", err)
	}
}

func TestClearEmptiesOnlyItsNamespace(t *testing.T) {
	url := redisURL(t)
	a := openTest(t, url, "", nil)
	b := openTest(t, url, a.namespace+"x", nil) // a namespace sharing a's as a prefix
	ctx := t.Context()
	e := tokencache.Entry{Token: testToken, ExpiresOn: time.Now().Add(time.Hour)}
	for _, s := range []*Store{a, b} {
		for _, id := range []string{"u1", "u2", "u3"} {
			k := alice
			k.Identity = id
			if err := s.Save(ctx, k, e); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := s.Acquire(ctx, alice, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	a.clearBatch = 2 // several SCAN rounds
	n, err := a.Clear(ctx)
	if err != nil || n != 5 { // 3 entries, a lease, a fencing counter
		t.Fatalf("Clear = %d, %v; want 5 keys deleted", n, err)
	}
	if keys, _ := a.client.Keys(ctx, a.prefix+"*").Result(); len(keys) != 0 {
		t.Errorf("after Clear the namespace still holds %v", keys)
	}
	if keys, _ := b.client.Keys(ctx, b.prefix+"*").Result(); len(keys) != 5 {
		t.Errorf("Clear of %s touched %s: it holds %d keys, want 5", a.namespace, b.namespace, len(keys))
	}
}

func TestEvictRemovesOnePrincipal(t *testing.T) {
	s := openTest(t, redisURL(t), "", nil)
	ctx := t.Context()
	e := tokencache.Entry{Token: testToken, ExpiresOn: time.Now().Add(time.Hour)}
	other := tokencache.Key{Issuer: alice.Issuer, Identity: "bob"}
	narrow := alice
	narrow.Scopes, narrow.Config = []string{"read"}, "cfg2"
	for _, k := range []tokencache.Key{alice, narrow, other} {
		if err := s.Save(ctx, k, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Evict(ctx, alice.Issuer, alice.Identity); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[*tokencache.Key]bool{&alice: false, &narrow: false, &other: true} {
		if _, ok, _ := s.Load(ctx, *k); ok != want {
			t.Errorf("%s %v after evicting alice: found %v, want %v", k.Identity, k.Scopes, ok, want)
		}
	}
}

func TestRedisHoldsCiphertextOnly(t *testing.T) {
	url := redisURL(t)
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli is not on PATH (Debian: apt-get install redis-tools)")
	}
	s := openTest(t, url, "", nil)
	ctx := t.Context()
	if err := s.Save(ctx, alice, tokencache.Entry{Token: testToken, ExpiresOn: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Acquire(ctx, alice, time.Minute); err != nil {
		t.Fatal(err)
	}
	keys, err := exec.CommandContext(ctx, cli, "-u", url, "--scan", "--pattern", s.prefix+"*").Output()
	if err != nil {
		t.Fatal(err)
	}
	names := strings.Fields(string(keys))
	if len(names) != 3 {
		t.Fatalf("redis-cli --scan found %q; want an entry, a lease and a fencing counter", names)
	}
	dump := bytes.Clone(keys)
	for _, name := range names {
		if !strings.Contains(name, ":t:") {
			continue
		}
		v, err := exec.CommandContext(ctx, cli, "-u", url, "--no-raw", "GET", name).Output()
		if err != nil {
			t.Fatal(err)
		}
		if len(v) < 100 {
			t.Errorf("GET %s = %q; want a sealed entry", name, v)
		}
		dump = append(dump, v...)
	}
	for _, secret := range []string{testToken[:16], testToken[len(testToken)-16:], "c2VjcmV0", alice.Identity, "alice", alice.Issuer, "read"} {
		if bytes.Contains(dump, []byte(secret)) {
			t.Errorf("redis-cli shows %q in the keys or values", secret)
		}
	}
}

func TestUnusableEntriesAreMissesWithAReason(t *testing.T) {
	s := openTest(t, redisURL(t), "", nil)
	ctx := t.Context()
	s.maxValue = 1024
	for name, v := range map[string]string{
		"oversized": strings.Repeat("x", 4096),
		"garbage":   strings.Repeat("not a sealed entry ", 10),
	} {
		if err := s.client.Set(ctx, s.tokenName(alice), v, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.Load(ctx, alice); ok || !errors.Is(err, tokencache.ErrUnreadableEntry) {
			t.Errorf("%s: Load = %v, %v; want a miss wrapping ErrUnreadableEntry", name, ok, err)
		}
	}
	// An entry moved under another key's name does not open there.
	bob := alice
	bob.Identity = "bob"
	if err := s.Save(ctx, bob, tokencache.Entry{Token: testToken, ExpiresOn: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.client.Rename(ctx, s.tokenName(bob), s.tokenName(alice)).Err(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Load(ctx, alice); ok || !errors.Is(err, tokencache.ErrUnreadableEntry) {
		t.Errorf("moved entry: Load = %v, %v; want a miss wrapping ErrUnreadableEntry", ok, err)
	}
	// A token that seals over the limit is refused on save, not written.
	if err := s.Save(ctx, bob, tokencache.Entry{Token: strings.Repeat("t", 2048), ExpiresOn: time.Now().Add(time.Hour)}); err == nil {
		t.Error("a token over the value limit was saved")
	}
}

func TestStoppedRedisFailsWithinTheTimeout(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not on PATH (Debian: apt-get install redis-server)")
	}
	srv, err := startRedis()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	s, err := Open(t.Context(), Options{URL: srv.url, Namespace: "stop", sealer: testSealer(), Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Save(t.Context(), alice, tokencache.Entry{Token: testToken, ExpiresOn: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	srv.stop()
	start := time.Now()
	_, ok, err := s.Load(t.Context(), alice)
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Load against a stopped Redis took %v; want an error within the 500ms timeout (and a retry)", took)
	}
	if ok || err == nil || !strings.Contains(err.Error(), "shared cache "+srv.url+": load") {
		t.Fatalf("Load = %v, %v; want an error naming the shared cache and the operation", ok, err)
	}
	t.Log(err)
}

func TestSilentServerFailsWithinTheTimeout(t *testing.T) {
	// A listener that accepts and never answers: the call must not hang.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	var mu sync.Mutex
	accepted := make(chan struct{})
	go func() { // ends when l closes
		defer close(accepted)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		l.Close()
		<-accepted
		for _, c := range conns {
			c.Close()
		}
	}()
	start := time.Now()
	_, err = Open(t.Context(), Options{URL: "redis://" + l.Addr().String() + "/0", Namespace: "silent", sealer: testSealer(), Timeout: 300 * time.Millisecond})
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Open against a silent server took %v; want an error within its 300ms timeout", took)
	}
	if err == nil || !strings.Contains(err.Error(), "no answer within 300ms") {
		t.Fatalf("Open = %v; want an error saying there was no answer within the timeout", err)
	}
}

func TestCloseLeavesNoGoroutine(t *testing.T) {
	url := redisURL(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, err := Open(t.Context(), Options{URL: url, Namespace: "leak", sealer: testSealer()})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Load(t.Context(), alice); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestOptionsAreChecked(t *testing.T) {
	for _, o := range []Options{
		{URL: "redis://127.0.0.1:1/0", Namespace: "a:b"},
		{URL: "redis://127.0.0.1:1/0", Namespace: ""},
		{URL: "redis://127.0.0.1:1/0", Namespace: "n", Timeout: -1},
		{URL: "redis://127.0.0.1:1/0", Namespace: "n", MaxValueLen: MaxValueLen + 1},
		{URL: "redis://127.0.0.1:1/0", Namespace: "n", ClearBatch: MaxClearBatch + 1},
		{URL: "redis://127.0.0.1:1/0", Namespace: "n", Secret: "short"},
	} {
		if _, err := Open(t.Context(), o); err == nil {
			t.Errorf("Open(%+v) was accepted", o)
		}
	}
	s := &Store{}
	if _, _, err := s.Acquire(t.Context(), alice, MaxLeaseTTL+1); err == nil {
		t.Error("a lease over MaxLeaseTTL was accepted")
	}
}

func TestParseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"redis://127.0.0.1:6380/2": "127.0.0.1:6380 2",
		"redis://localhost":        "localhost:6379 0",
		"redis://[::1]:7000/":      "[::1]:7000 0",
	} {
		addr, db, err := ParseURL(raw)
		if got := addr + " " + string(rune('0'+db)); err != nil || got != want {
			t.Errorf("ParseURL(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for raw, says := range map[string]string{
		"redis://:hunter2@127.0.0.1:6379/0": "TOKENTOP_REDIS_PASSWORD",
		"rediss://127.0.0.1/0":              "scheme",
		"http://127.0.0.1/0":                "scheme",
		"redis://127.0.0.1/zero":            "database",
		"redis://127.0.0.1:99999/0":         "port",
		"redis:///0":                        "no host",
		"redis://127.0.0.1/0?timeout=1":     "options",
	} {
		_, _, err := ParseURL(raw)
		if err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("ParseURL(%q) = %v; want an error mentioning %q", raw, err, says)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseURL's error quotes the password: %v", err)
		}
	}
}

func TestPasswordFromEnv(t *testing.T) {
	env := map[string]string{"REDIS_PASSWORD": "generic"}
	if got := PasswordFromEnv(func(k string) string { return env[k] }); got != "generic" {
		t.Errorf("PasswordFromEnv = %q; want REDIS_PASSWORD's value", got)
	}
	env["TOKENTOP_REDIS_PASSWORD"] = "specific"
	if got := PasswordFromEnv(func(k string) string { return env[k] }); got != "specific" {
		t.Errorf("PasswordFromEnv = %q; want TOKENTOP_REDIS_PASSWORD to win", got)
	}
}
