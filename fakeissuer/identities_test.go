package fakeissuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tokentop/internal/clock"
	"tokentop/issuer"
)

// createIdentity makes an ACS identity or fails the test.
func createIdentity(t testing.TB, iss *Issuer) string {
	t.Helper()
	id, err := iss.CreateIdentity()
	if err != nil {
		t.Fatalf("CreateIdentity: %v", err)
	}
	return id
}

func TestIdentitiesThatAreEmptyTooLongOrNotPrintableAreRefusedAndNotKept(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	h := iss.Handler()
	for name, id := range map[string]string{
		"blank":         "   ",
		"NUL":           "a\x00b",
		"ESC":           "a\x1b[2Jb",
		"newline":       "a\nb",
		"DEL":           "a\x7fb",
		"C1 CSI":        "a\u009bb",
		"bidi override": "a\u202eb",
		"not UTF-8":     "a\xffb",
		"257 bytes":     strings.Repeat("a", MaxIdentityLen+1),
		"60 KB":         strings.Repeat("x", 60<<10),
	} {
		if err := iss.Revoke(context.Background(), id); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: Revoke err = %v, want a bad request", name, err)
		}
		_, err := iss.Issue(context.Background(), issuer.Request{Identity: id})
		var se *StatusError
		if !errors.As(err, &se) || se.Status != 400 || se.Code != "InvalidIdentity" || !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: Issue err = %v, want a 400 InvalidIdentity", name, err)
		} else if strings.ContainsAny(err.Error(), "\x00\x1b\n\x7f\u009b\u202e") || len(err.Error()) > 200 {
			t.Errorf("%s: the error repeats the bad name: %q", name, err)
		}
		// Over HTTP a blank username asks for a new identity, and JSON
		// cannot carry invalid UTF-8.
		if name == "blank" || name == "not UTF-8" {
			continue
		}
		js, _ := json.Marshal(id)
		body := `{"username":` + string(js) + `}`
		if w := call(h, http.MethodPost, PathGetToken, "application/json", body); w.Code != 400 || errorCode(t, w.Body.Bytes()) != "InvalidIdentity" {
			t.Errorf("%s: /getToken = %d %.200s, want 400 InvalidIdentity", name, w.Code, w.Body)
		}
		if err := iss.Revoke(context.Background(), id); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: Revoke err = %v, want a bad request", name, err)
		}
	}
	if s := iss.Stats(); s.IdentityCount != 0 {
		t.Errorf("refused names were kept: %d identities", s.IdentityCount)
	}
	longest := strings.Repeat("é", MaxIdentityLen/2)
	if _, err := iss.Issue(context.Background(), issuer.Request{Identity: longest}); err != nil {
		t.Errorf("a %d-byte name: %v", len(longest), err)
	}
}

func TestIdentitiesStopAtMaxIdentitiesWithA429(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{MaxIdentities: 3})
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		if _, err := iss.Issue(ctx, issuer.Request{Identity: id}); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	is429 := func(what string, err error) {
		t.Helper()
		var se *StatusError
		if !errors.As(err, &se) || se.Status != http.StatusTooManyRequests || !errors.Is(err, ErrTooManyIdentities) ||
			!strings.Contains(err.Error(), "3 identities") {
			t.Errorf("%s: err = %v, want a 429 naming the maximum of 3", what, err)
		}
	}
	_, err := iss.Issue(ctx, issuer.Request{Identity: "d"})
	is429("a fourth name", err)
	_, err = iss.CreateIdentity()
	is429("CreateIdentity", err)
	is429("Revoke of a new name", iss.Revoke(ctx, "e"))
	if w := call(iss.Handler(), http.MethodPost, PathGetToken, "application/json", `{}`); w.Code != 429 || errorCode(t, w.Body.Bytes()) != "TooManyIdentities" {
		t.Errorf("/getToken without a username = %d %s, want 429 TooManyIdentities", w.Code, w.Body)
	}
	if _, err := iss.Issue(ctx, issuer.Request{Identity: "a"}); err != nil {
		t.Errorf("a known name at the cap: %v", err)
	}
	if s := iss.Stats(); s.IdentityCount != 3 || s.MaxIdentities != 3 {
		t.Errorf("stats count %d max %d, want 3 and 3", s.IdentityCount, s.MaxIdentities)
	}
}

func TestNewRefusesMaxIdentitiesOutOfRange(t *testing.T) {
	for _, n := range []int{-1, MaxMaxIdentities + 1} {
		if _, err := New(Options{MaxIdentities: n}); err == nil || !strings.Contains(err.Error(), "maximum identities") {
			t.Errorf("MaxIdentities %d: err = %v", n, err)
		}
	}
	iss, _ := newTestIssuer(t, Options{})
	if got := iss.Stats().MaxIdentities; got != DefaultMaxIdentities {
		t.Errorf("default maximum = %d, want %d", got, DefaultMaxIdentities)
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

func TestIdentityMemoryStaysBoundedPastTheCap(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates tens of thousands of names")
	}
	const max, extra = 1000, 20_000
	iss, _ := newTestIssuer(t, Options{MaxIdentities: max})
	name := func(n int) string { // the longest name allowed
		s := strconv.Itoa(n) + "-"
		return s + strings.Repeat("x", MaxIdentityLen-len(s))
	}
	ctx := context.Background()
	base := heapInUse()
	for n := range max {
		if _, err := iss.Issue(ctx, issuer.Request{Identity: name(n)}); err != nil {
			t.Fatal(err)
		}
	}
	full := heapInUse()
	per := (full - base) / max
	if per > 1500 {
		t.Errorf("one identity costs %d bytes of heap, want at most 1500", per)
	}
	t.Logf("one identity with a %d-byte name costs %d bytes of heap", MaxIdentityLen, per)
	for n := max; n < max+extra; n++ {
		if _, err := iss.Issue(ctx, issuer.Request{Identity: name(n)}); !errors.Is(err, ErrTooManyIdentities) {
			t.Fatalf("name %d past the cap: err = %v", n, err)
		}
	}
	// Without the cap the extra names would hold about 10 MB.
	if grew := heapInUse() - full; grew > 512<<10 {
		t.Errorf("%d names past the cap grew the heap by %d bytes, want under 512 KiB", extra, grew)
	}
	runtime.KeepAlive(iss)
}

func TestStatsGivesTotalsAndOnePageOfIdentitiesInIDOrder(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	const n = 250
	for k := range n {
		if _, err := iss.Issue(context.Background(), issuer.Request{Identity: fmt.Sprintf("user-%03d", k)}); err != nil {
			t.Fatal(err)
		}
	}
	s := iss.Stats()
	if s.IdentityCount != n || s.Issued != n || len(s.Identities) != DefaultStatsLimit || s.Identities[0].ID != "user-000" || s.Identities[0].Issued != 1 {
		t.Fatalf("Stats: count %d issued %d page %d first %+v", s.IdentityCount, s.Issued, len(s.Identities), s.Identities[0])
	}
	page, err := iss.StatsPage(240, 100)
	if err != nil || page.Offset != 240 || len(page.Identities) != 10 || page.Identities[0].ID != "user-240" || page.Identities[9].ID != "user-249" {
		t.Errorf("StatsPage(240, 100) = %+v, %v", page.Identities, err)
	}
	if page, err := iss.StatsPage(1<<62, MaxStatsLimit); err != nil || len(page.Identities) != 0 || page.IdentityCount != n {
		t.Errorf("an offset past the end: %d identities, %v", len(page.Identities), err)
	}
	for _, bad := range [][2]int{{0, 0}, {0, MaxStatsLimit + 1}, {-1, 10}} {
		if _, err := iss.StatsPage(bad[0], bad[1]); err == nil {
			t.Errorf("StatsPage(%d, %d) accepted", bad[0], bad[1])
		}
	}
}

func TestAdminStatsPagesWithOffsetAndLimit(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for k := range 5 {
		_, _ = iss.Issue(context.Background(), issuer.Request{Identity: fmt.Sprintf("u%d", k)})
	}
	h := iss.Handler()
	w := call(h, http.MethodGet, PathAdminStats+"?offset=1&limit=2", "", "")
	s := decodeBody[Stats](t, w.Body)
	if w.Code != 200 || s.IdentityCount != 5 || s.Offset != 1 || len(s.Identities) != 2 || s.Identities[0].ID != "u1" {
		t.Errorf("?offset=1&limit=2 = %d %+v", w.Code, s)
	}
	for _, q := range []string{"?limit=0", "?limit=1001", "?offset=-1", "?limit=lots", "?offset=1e3"} {
		if w := call(h, http.MethodGet, PathAdminStats+q, "", ""); w.Code != 400 || errorCode(t, w.Body.Bytes()) != "InvalidQuery" {
			t.Errorf("%s = %d %s, want 400 InvalidQuery", q, w.Code, w.Body)
		}
	}
}

func TestAdminStatsStaysSmallWithManyIdentities(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for k := range 5000 {
		if _, err := iss.identities.add(fmt.Sprintf("user-%05d-%s", k, strings.Repeat("x", 200)), iss.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	w := call(iss.Handler(), http.MethodGet, PathAdminStats, "", "")
	if w.Code != 200 || w.Body.Len() > 64<<10 {
		t.Errorf("/admin/stats = %d with %d bytes, want 200 under 64 KiB", w.Code, w.Body.Len())
	}
}

func TestVerifyRefusesATokenMintedAfterItsIdentityWasDeleted(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	id := createIdentity(t, iss)
	if err := iss.DeleteIdentity(id); err != nil {
		t.Fatal(err)
	}
	// A token numbered after the deletion, as an issue racing DeleteIdentity
	// could mint: the deleted flag, not the numbering, must refuse it.
	claims := Claims{}
	claims.Issuer, claims.Subject, claims.Audience = iss.issuerURL, id, []string{iss.audience}
	now := iss.clock.Now()
	claims.IssuedAt, claims.NotBefore, claims.ExpiresAt = jwt.NewNumericDate(now), jwt.NewNumericDate(now), jwt.NewNumericDate(now.Add(DefaultLifetime))
	claims.ID = strconv.FormatUint(iss.seq.Add(1), 10) + ".x"
	raw, err := iss.key.signClaims(&claims)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Verify(raw); !errors.Is(err, ErrTokenRevoked) || !strings.Contains(err.Error(), "deleted") {
		t.Errorf("Verify = %v, want ErrTokenRevoked saying the identity was deleted", err)
	}
	if err := iss.CheckToken(context.Background(), raw); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("CheckToken = %v, want ErrTokenRevoked", err)
	}
}

func TestMintRefusesAnIdentityDeletedAfterItWasLookedUp(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	id := createIdentity(t, iss)
	st, err := iss.liveIdentity(id)
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.DeleteIdentity(id); err != nil {
		t.Fatal(err)
	}
	if _, _, err := iss.mint(mintSpec{subject: id, lifetime: DefaultLifetime, audience: iss.audience}, st); !errors.Is(err, ErrUnknownIdentity) {
		t.Errorf("mint after the delete: err = %v, want ErrUnknownIdentity", err)
	}
}

// deleteDuringMint is a clock that runs a delete once, when mint reads the
// time: after Issue has found the identity live and before the token is
// numbered, the interleaving a concurrent DeleteIdentity can produce.
type deleteDuringMint struct {
	clock.Clock
	pending atomic.Pointer[func()]
}

func (c *deleteDuringMint) Now() time.Time {
	if calledFrom(".(*Issuer).mint") {
		if f := c.pending.Swap(nil); f != nil {
			(*f)()
		}
	}
	return c.Clock.Now()
}

// calledFrom reports whether a function whose name ends in suffix is on
// the caller's stack.
func calledFrom(suffix string) bool {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.Function, suffix) {
			return true
		}
		if !more {
			return false
		}
	}
}

func TestATokenWhoseIdentityIsDeletedWhileItIsMintedNeverVerifies(t *testing.T) {
	clk := &deleteDuringMint{Clock: clock.NewSim(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	iss, _ := newTestIssuer(t, Options{Clock: clk, Algorithm: AlgHS256})
	id := createIdentity(t, iss)
	deleted := make(chan error, 1)
	del := func() { deleted <- iss.DeleteIdentity(id) }
	clk.pending.Store(&del)

	tok, err := iss.Issue(context.Background(), issuer.Request{Identity: id})
	select {
	case derr := <-deleted:
		if derr != nil {
			t.Fatalf("DeleteIdentity during the mint: %v", derr)
		}
	default:
		t.Fatal("the delete never ran inside mint: the seam no longer reaches it")
	}
	if err != nil {
		if !errors.Is(err, ErrUnknownIdentity) {
			t.Fatalf("Issue = %v, want a token or ErrUnknownIdentity", err)
		}
		return
	}
	if _, err := iss.Verify(tok.Token); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("a token minted while its identity was deleted: Verify = %v, want ErrTokenRevoked", err)
	}
	if err := iss.CheckToken(context.Background(), tok.Token); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("CheckToken = %v, want ErrTokenRevoked", err)
	}
}
