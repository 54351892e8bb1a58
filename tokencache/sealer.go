package tokencache

import (
	"crypto/cipher"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// saltLabel separates a sealer's salt from every other use of its context.
const saltLabel = "tokentop shared token cache: salt v1\x00"

// ErrUnreadableEntry is wrapped by the error of EntrySealer.Open when the
// bytes are not an entry this sealer wrote for the key asked: foreign,
// truncated, tampered, sealed under another TOKENTOP_CACHE_KEY or context,
// or copied from another key.
var ErrUnreadableEntry = errors.New("the shared cache entry cannot be used")

// EntrySealer seals single cache entries for a store outside this package,
// such as the shared Redis cache (tokencache/rediscache), with the cache
// file's cipher and format: header || nonce || ciphertext, the header (KDF
// parameters and salt) as the AEAD's additional data, the key stretched
// with Argon2id from TOKENTOP_CACHE_KEY. The salt is derived from the
// sealer's context (a shared cache's namespace), so every process with the
// same secret and context derives the same key, once, and opens what the
// others sealed. An EntrySealer is safe for concurrent use.
type EntrySealer struct {
	secret []byte
	hdr    header
	key    cipher.AEAD
}

// sealed is the plaintext of a sealed entry: the entry and the id of its
// key, so that an entry copied under another key fails to open.
type sealed struct {
	ID        string    `json:"id"`
	Token     string    `json:"token"`
	ExpiresOn time.Time `json:"expires_on"`
}

// NewEntrySealer checks secret (TOKENTOP_CACHE_KEY's value) as OpenFile does
// and derives the key for context (a shared cache's namespace, non-empty).
// The derivation is slow by design: open one sealer per process and context.
func NewEntrySealer(secret, context string) (*EntrySealer, error) {
	if err := checkSecret(secret); err != nil {
		return nil, err
	}
	return newEntrySealer([]byte(secret), context, productionKDF)
}

func newEntrySealer(secret []byte, context string, kdf kdfParams) (*EntrySealer, error) {
	if context == "" {
		return nil, errors.New("a shared token cache needs a namespace to derive its key from")
	}
	s := &EntrySealer{secret: secret, hdr: header{kdf: kdf}}
	sum := sha256.Sum256([]byte(saltLabel + context))
	copy(s.hdr.salt[:], sum[:])
	key, err := deriveKey(secret, s.hdr)
	if err != nil {
		return nil, err
	}
	s.key = key
	return s, nil
}

// Seal returns e sealed for k. Each call uses a fresh random nonce.
func (s *EntrySealer) Seal(k Key, e Entry) ([]byte, error) {
	pt, err := json.Marshal(sealed{ID: k.id(), Token: e.Token, ExpiresOn: e.ExpiresOn})
	if err != nil {
		return nil, fmt.Errorf("encode shared cache entry: %w", err)
	}
	return seal(s.hdr, s.key, pt)
}

// Open returns the entry sealed in b for k. Bytes that are not an entry this
// sealer's secret and context sealed for k give an error wrapping
// ErrUnreadableEntry that says what is wrong; it never quotes the bytes.
// Headers other than the sealer's own are refused without deriving a key, so
// a foreign entry cannot make the process stretch keys.
func (s *EntrySealer) Open(k Key, b []byte) (Entry, error) {
	h, err := parseHeader(b)
	if err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrUnreadableEntry, err)
	}
	if h != s.hdr {
		return Entry{}, fmt.Errorf("%w: it was sealed with other key parameters or under another namespace", ErrUnreadableEntry)
	}
	pt, err := open(s.key, b)
	if err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrUnreadableEntry, err)
	}
	var v sealed
	if err := json.Unmarshal(pt, &v); err != nil {
		return Entry{}, fmt.Errorf("%w: it does not parse: %v", ErrUnreadableEntry, err)
	}
	if v.ID != k.id() {
		return Entry{}, fmt.Errorf("%w: it was sealed for another key", ErrUnreadableEntry)
	}
	return Entry{Token: v.Token, ExpiresOn: v.ExpiresOn}, nil
}

// Digest returns the keyed digest of v, as File.Digest does for a file with
// the same secret: a Key.Config made by either matches in both.
func (s *EntrySealer) Digest(v string) string { return digest(s.secret, v) }

// KeyDigest returns a keyed digest of k (of its issuer, configuration,
// identity and scopes, scopes in any order), to name k's entry in a shared
// store without showing who it is for.
func (s *EntrySealer) KeyDigest(k Key) string { return digest(s.secret, "key\x00"+k.id()) }

// PrincipalDigest returns a keyed digest of an identity at an issuer, to
// group a principal's entries in a shared store (Evict) without naming it.
func (s *EntrySealer) PrincipalDigest(issuer, identity string) string {
	b, _ := json.Marshal([]string{issuer, identity}) // strings always marshal
	return digest(s.secret, "principal\x00"+string(b))
}
