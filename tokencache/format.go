package tokencache

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// The file is header || nonce || ciphertext. The header (magic, version, KDF
// parameters, salt) is the AEAD's additional data, so a changed parameter
// fails authentication like a changed ciphertext byte.
const (
	magic      = "TKTCACHE"
	version    = 1
	saltLen    = 16
	headerLen  = len(magic) + 1 + 1 + 4 + 4 + 1 + saltLen
	maxFileLen = 16 << 20 // bytes read from a cache file at most
	maxEntries = 100_000

	// maxPayloadLen is the longest plaintext whose sealed file stays
	// within maxFileLen.
	maxPayloadLen = maxFileLen - headerLen - chacha20poly1305.NonceSizeX - chacha20poly1305.Overhead
)

// KDF kinds recorded in the header.
const (
	kdfNone     = 0 // the key is random (kept in the OS keyring); no stretching
	kdfArgon2id = 1 // the key is stretched from TOKENTOP_CACHE_KEY
)

// Ranges accepted for Argon2id parameters read from a file, so that a foreign
// file cannot make the process spin or allocate without bound.
const (
	maxKDFTime      = 16
	maxKDFMemoryKiB = 256 << 10 // 256 MiB
	maxKDFThreads   = 16
)

// kdfParams are the key-stretching parameters stored in a file's header.
type kdfParams struct {
	Kind      uint8
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// productionKDF is RFC 9106's second recommended Argon2id setting.
var productionKDF = kdfParams{Kind: kdfArgon2id, Time: 3, MemoryKiB: 64 << 10, Threads: 4}

// header is a decoded file header.
type header struct {
	kdf  kdfParams
	salt [saltLen]byte
}

func (h header) marshal() []byte {
	b := make([]byte, 0, headerLen)
	b = append(b, magic...)
	b = append(b, version, h.kdf.Kind)
	b = binary.BigEndian.AppendUint32(b, h.kdf.Time)
	b = binary.BigEndian.AppendUint32(b, h.kdf.MemoryKiB)
	b = append(b, h.kdf.Threads)
	return append(b, h.salt[:]...)
}

// parseHeader decodes and range-checks the header at the start of b.
func parseHeader(b []byte) (header, error) {
	var h header
	if len(b) < headerLen+chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead {
		return h, fmt.Errorf("it is truncated (%d bytes)", len(b))
	}
	if string(b[:len(magic)]) != magic {
		return h, errors.New("it is not a tokentop cache file")
	}
	b = b[len(magic):]
	if b[0] != version {
		return h, fmt.Errorf("it has unknown format version %d", b[0])
	}
	h.kdf = kdfParams{
		Kind:      b[1],
		Time:      binary.BigEndian.Uint32(b[2:6]),
		MemoryKiB: binary.BigEndian.Uint32(b[6:10]),
		Threads:   b[10],
	}
	copy(h.salt[:], b[11:11+saltLen])
	return h, h.kdf.check()
}

// check range-checks parameters read from a file.
func (p kdfParams) check() error {
	switch p.Kind {
	case kdfNone:
		if p != (kdfParams{}) {
			return errors.New("its header has parameters for no key stretching")
		}
		return nil
	case kdfArgon2id:
		if p.Time < 1 || p.Time > maxKDFTime ||
			p.Threads < 1 || p.Threads > maxKDFThreads ||
			p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxKDFMemoryKiB {
			return fmt.Errorf("its Argon2id parameters are out of range (time %d, memory %d KiB, threads %d)",
				p.Time, p.MemoryKiB, p.Threads)
		}
		return nil
	default:
		return fmt.Errorf("it names unknown key stretching %d", p.Kind)
	}
}

// deriveKey stretches secret with h's parameters and salt into an AEAD.
// With kdfNone the secret is the key itself.
func deriveKey(secret []byte, h header) (cipher.AEAD, error) {
	key := secret
	if h.kdf.Kind == kdfArgon2id {
		key = argon2.IDKey(secret, h.salt[:], h.kdf.Time, h.kdf.MemoryKiB, h.kdf.Threads, chacha20poly1305.KeySize)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("cache key: %w", err)
	}
	return aead, nil
}

// seal encrypts plaintext under a fresh random nonce.
func seal(h header, aead cipher.AEAD, plaintext []byte) ([]byte, error) {
	out := h.marshal()
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, out[:headerLen]), nil
}

// open decrypts a whole file whose header h has been parsed.
func open(aead cipher.AEAD, b []byte) ([]byte, error) {
	nonce := b[headerLen : headerLen+aead.NonceSize()]
	pt, err := aead.Open(nil, nonce, b[headerLen+aead.NonceSize():], b[:headerLen])
	if err != nil {
		return nil, errors.New("it fails authentication (tampered, truncated or written with another key)")
	}
	return pt, nil
}
