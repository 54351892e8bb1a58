package tokencache

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func newTestSealer(t *testing.T, secret, context string) *EntrySealer {
	t.Helper()
	s, err := newEntrySealer([]byte(secret), context, testKDF)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealerRoundTripAndRefusals(t *testing.T) {
	s := newTestSealer(t, testSecret, "ns1")
	k := Key{Issuer: "https://issuer", Config: "c", Identity: "alice", Scopes: []string{"b", "a"}}
	e := Entry{Token: jwtToken, ExpiresOn: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	b, err := s.Seal(k, e)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(jwtToken[:20])) || bytes.Contains(b, []byte("alice")) {
		t.Fatal("the sealed entry shows the token or the identity")
	}
	// Another process with the same secret and namespace opens it; scope order does not matter.
	other := newTestSealer(t, testSecret, "ns1")
	got, err := other.Open(Key{Issuer: k.Issuer, Config: "c", Identity: "alice", Scopes: []string{"a", "b"}}, b)
	if err != nil || got.Token != e.Token || !got.ExpiresOn.Equal(e.ExpiresOn) {
		t.Fatalf("Open = %+v, %v; want the entry back", got, err)
	}
	tampered := bytes.Clone(b)
	tampered[len(tampered)-1] ^= 1
	for name, c := range map[string]struct {
		s *EntrySealer
		k Key
		b []byte
	}{
		"another key":       {s, Key{Issuer: k.Issuer, Config: "c", Identity: "bob", Scopes: k.Scopes}, b},
		"another namespace": {newTestSealer(t, testSecret, "ns2"), k, b},
		"another secret":    {newTestSealer(t, "another horse battery staple, 32+ chars", "ns1"), k, b},
		"tampered":          {s, k, tampered},
		"truncated":         {s, k, b[:20]},
		"foreign":           {s, k, []byte("not an entry at all, but long enough to have a header and a nonce")},
	} {
		if _, err := c.s.Open(c.k, c.b); !errors.Is(err, ErrUnreadableEntry) {
			t.Errorf("%s: Open error = %v; want ErrUnreadableEntry", name, err)
		}
	}
}

func TestSealerChecksSecretAndNamespace(t *testing.T) {
	if _, err := NewEntrySealer("short", "ns"); err == nil {
		t.Error("a short secret was accepted")
	}
	if _, err := newEntrySealer([]byte(testSecret), "", testKDF); err == nil {
		t.Error("an empty namespace was accepted")
	}
}

func TestSealerDigestMatchesFile(t *testing.T) {
	f := openTest(t, t.TempDir()+"/c", &fakeNow{time.Now()}, nil)
	s := newTestSealer(t, testSecret, "ns")
	if f.Digest("client-secret") != s.Digest("client-secret") {
		t.Error("the sealer's digest differs from the file's for one secret")
	}
	a := s.KeyDigest(Key{Issuer: "i", Identity: "u", Scopes: []string{"x", "y"}})
	if a != s.KeyDigest(Key{Issuer: "i", Identity: "u", Scopes: []string{"y", "x"}}) || a == s.KeyDigest(Key{Issuer: "i", Identity: "v"}) {
		t.Error("KeyDigest does not follow the key's id")
	}
	if s.PrincipalDigest("i", "u") == s.PrincipalDigest("i", "v") || s.PrincipalDigest("a:b", "c") == s.PrincipalDigest("a", "b:c") {
		t.Error("PrincipalDigest collides")
	}
}
