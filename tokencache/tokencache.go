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
	"strings"
	"time"
)

// Key identifies a cached token: the issuer (its name, such as its URL), the
// configuration that chose the token's principal and audience (Config, a
// keyed digest: see File.Digest), the identity, and the scopes
// (order-insensitive). A token saved under one Config is never loaded under
// another, so a token one client configuration obtained is never handed to
// another configuration of the same issuer.
type Key struct {
	Issuer, Config, Identity string
	Scopes                   []string
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
	// Evict removes every entry of identity at issuer, whatever its
	// configuration and scopes: the identity signed out, or its tokens were
	// revoked or its user deleted.
	Evict(issuer, identity string) error
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

// id is the map key of k in the encoded cache: a JSON object of the issuer,
// the configuration digest, the identity and the sorted, de-duplicated
// scopes, so no two keys collide. Entries written before Config existed have
// array ids: no Key maps to them, so they are never loaded again and go when
// they expire.
func (k Key) id() string {
	scopes := slices.Clone(k.Scopes)
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	if len(scopes) == 0 {
		scopes = nil // one id for no scopes, whether nil or empty
	}
	b, err := json.Marshal(entryID{Issuer: k.Issuer, Config: k.Config, Identity: k.Identity, Scopes: scopes})
	if err != nil { // strings always marshal
		panic(err)
	}
	return string(b)
}

// entryID is the encoded form of a Key (Key.id).
type entryID struct {
	Issuer   string   `json:"i"`
	Config   string   `json:"c"`
	Identity string   `json:"u"`
	Scopes   []string `json:"s"`
}

// parseID decodes an id written by Key.id; ok is false for any other id.
func parseID(id string) (e entryID, ok bool) {
	if !strings.HasPrefix(id, "{") {
		return e, false
	}
	return e, json.Unmarshal([]byte(id), &e) == nil
}
