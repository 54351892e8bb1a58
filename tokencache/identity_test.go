package tokencache

import (
	"path/filepath"
	"testing"
	"time"
)

// Issue 20, defect 1: a token saved under one configuration digest is never
// loaded under another, even for the same issuer, identity and scopes.
func TestEntryOfAnotherConfigurationIsNeverLoaded(t *testing.T) {
	f := openTest(t, filepath.Join(t.TempDir(), "tokens.cache"), &fakeNow{epoch}, nil)
	k := Key{Issuer: "oauth2 https://idp/token", Config: f.Digest("client a"), Identity: "u", Scopes: []string{"api"}}
	mustSave(t, f, k, Entry{Token: "a's token", ExpiresOn: epoch.Add(time.Hour)})
	other := k
	other.Config = f.Digest("client b")
	if _, ok := mustLoad(t, f, other); ok {
		t.Fatal("a key with another configuration digest loaded the first configuration's token")
	}
	if e, ok := mustLoad(t, f, k); !ok || e.Token != "a's token" {
		t.Fatalf("the first configuration's own key: %v %v", e, ok)
	}
}

// Issue 20, defect 1: the digest is the same in every process opening the
// cache with the same secret (whatever salt each started the file with),
// differs under another secret, and does not show its input.
func TestDigestIsKeyedByTheCacheSecretAndStable(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, filepath.Join(dir, "a.cache"), &fakeNow{epoch}, nil)
	b := openTest(t, filepath.Join(dir, "b.cache"), &fakeNow{epoch}, nil)
	if a.Digest("client secret") != b.Digest("client secret") {
		t.Error("two stores with the same secret give different digests")
	}
	if a.Digest("client secret") == a.Digest("client secret 2") {
		t.Error("two inputs give one digest")
	}
	other, err := openFile(filepath.Join(dir, "c.cache"), []byte("another secret of at least 32 characters"), nil, options{kdf: testKDF, now: (&fakeNow{epoch}).now})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if other.Digest("client secret") == a.Digest("client secret") {
		t.Error("another cache secret gives the same digest: it is not keyed")
	}
	if d := a.Digest("client secret"); len(d) != 32 {
		t.Errorf("digest %q: want 32 hex digits", d)
	}
}

// Issue 20, defect 2: Evict removes every entry of an identity at an issuer,
// whatever its configuration and scopes, and nothing else.
func TestEvictRemovesTheIdentitysEntriesAcrossScopesAndConfigurations(t *testing.T) {
	f := openTest(t, filepath.Join(t.TempDir(), "tokens.cache"), &fakeNow{epoch}, nil)
	e := Entry{Token: "t", ExpiresOn: epoch.Add(time.Hour)}
	gone := []Key{
		{Issuer: "i", Config: "c1", Identity: "alice", Scopes: []string{"chat"}},
		{Issuer: "i", Config: "c1", Identity: "alice", Scopes: []string{"voip"}},
		{Issuer: "i", Config: "c2", Identity: "alice"},
	}
	kept := []Key{
		{Issuer: "i", Config: "c1", Identity: "bob", Scopes: []string{"chat"}},
		{Issuer: "j", Config: "c1", Identity: "alice", Scopes: []string{"chat"}},
	}
	for _, k := range append(gone, kept...) {
		mustSave(t, f, k, e)
	}
	if err := f.Evict("i", "alice"); err != nil {
		t.Fatal(err)
	}
	for _, k := range gone {
		if _, ok := mustLoad(t, f, k); ok {
			t.Errorf("%v survived the eviction", k)
		}
	}
	for _, k := range kept {
		if _, ok := mustLoad(t, f, k); !ok {
			t.Errorf("%v was evicted with alice at i", k)
		}
	}
}
