package tokencache

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Principal is an identity at an issuer (Key.Issuer and Key.Identity): what
// Evict removes, across configurations and scopes.
type Principal struct {
	Issuer, Identity string
}

// Saved is one entry of a Change.
type Saved struct {
	Key   Key
	Entry Entry
}

// Change is a batch of edits applied in one rewrite of the cache: Clear
// first, if set, then Evict, then Save in order (a later entry for a key
// replaces an earlier one).
type Change struct {
	Clear bool
	Evict []Principal
	Save  []Saved
}

// Apply makes c in one rewrite of the file, under the lock, keeping the
// entries other processes saved meanwhile (as Save does).
// When the file would outgrow its byte limit, the newest save is the last
// entry evicted.
func (f *File) Apply(c Change) error {
	keep := ""
	if n := len(c.Save); n > 0 {
		keep = c.Save[n-1].Key.id()
	}
	return f.change(keep, func(entries map[string]record) { c.apply(entries) })
}

// Evict removes every entry of identity at issuer, whatever its
// configuration and scopes.
func (f *File) Evict(issuer, identity string) error {
	return f.Apply(Change{Evict: []Principal{{Issuer: issuer, Identity: identity}}})
}

// apply edits entries as c says.
func (c Change) apply(entries map[string]record) {
	if c.Clear {
		clear(entries)
	}
	if len(c.Evict) > 0 {
		evict := make(map[Principal]bool, len(c.Evict))
		for _, p := range c.Evict {
			evict[p] = true
		}
		for id := range entries {
			if e, ok := parseID(id); ok && evict[Principal{Issuer: e.Issuer, Identity: e.Identity}] {
				delete(entries, id)
			}
		}
	}
	for _, s := range c.Save {
		entries[s.Key.id()] = record{Token: s.Entry.Token, ExpiresOn: s.Entry.ExpiresOn}
	}
}

// digestLabel separates the digest key from every other use of the secret.
const digestLabel = "tokentop token cache: configuration digest key v1"

// Digest returns a keyed digest of s (128 bits, hex), for Key.Config and
// for the secrets inside an issuer's configuration (a client secret, an
// access key, a header value): the same s gives the same digest in every
// process that opens the cache with the same secret, and nobody without
// that secret can compute it, so a digest does not let the secrets it
// covers be guessed offline. The key is HMAC-SHA256(cache secret, label),
// not the Argon2id-stretched file key: that one depends on the file's salt,
// which differs between processes that start the file afresh.
func (f *File) Digest(s string) string { return digest(f.secret, s) }

// digest is the keyed digest of s under secret (File.Digest).
func digest(secret []byte, s string) string {
	k := hmac.New(sha256.New, secret)
	k.Write([]byte(digestLabel))
	m := hmac.New(sha256.New, k.Sum(nil))
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil)[:16])
}
