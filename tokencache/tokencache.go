// Package tokencache keeps issued tokens across runs so that a restarted
// tokentop does not ask the issuer again for tokens that are still valid.
//
// Two stores exist: an encrypted file (File), keyed by a secret from the
// environment, and the OS secret store (Keyring), which keeps a random key in
// the keyring and the encrypted entries in the user's cache directory. Both
// hold tokens only, never a refresh secret, and never write plaintext to disk.
package tokencache

import (
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// Key identifies a cached token: the issuer (a description such as "fake" or
// the spec without secrets), the identity, and the scopes (order-insensitive).
type Key struct {
	Issuer, Identity string
	Scopes           []string
}

// Entry is a cached token.
type Entry struct {
	Token     string
	ExpiresOn time.Time
}

// Store is a persistent token cache.
type Store interface {
	// Load returns the entry for k; ok is false when it is absent or expired.
	Load(k Key) (e Entry, ok bool, err error)
	// Save replaces the entry for k, dropping expired entries as it goes.
	Save(k Key, e Entry) error
	// Clear removes every entry.
	Clear() error
	// Describe says where the cache lives, for the header:
	// "encrypted file /path" or "OS keyring".
	Describe() string
	// Close releases the store.
	Close() error
}

// ErrNoSecretStore reports that no OS secret store is reachable.
var ErrNoSecretStore = errors.New("no OS secret store is reachable (on a headless box use --cache-file PATH with TOKENTOP_CACHE_KEY set to a secret of at least 32 characters)")

// id is the map key of k in the encoded cache: issuer, identity and the
// sorted, de-duplicated scopes as a JSON array, so no two keys collide.
func (k Key) id() string {
	scopes := slices.Clone(k.Scopes)
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	b, err := json.Marshal(append([]string{k.Issuer, k.Identity}, scopes...))
	if err != nil { // strings always marshal
		panic(err)
	}
	return string(b)
}
