package tokencache

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// Keyring names in the OS secret store.
const (
	keyringService = "tokentop"
	keyringUser    = "token-cache-key"
)

// Keyring is a cache whose key lives in the OS secret store (service
// "tokentop"): a random 256-bit key, while the encrypted entries live in a file
// in the user's cache directory. Keyrings limit the size of one secret, so the
// entries themselves are not stored there.
type Keyring struct {
	*File
	mu       sync.Mutex
	warnings []string
}

// OpenKeyring uses the OS secret store through go-keyring. It returns an
// error wrapping ErrNoSecretStore when none is reachable (a headless Linux box
// without a D-Bus secret service), and an *UnreadableError when its file does
// not decrypt with the keyring's key. ctx ends waits for the file's lock, as
// with OpenFile.
func OpenKeyring(ctx context.Context) (*Keyring, error) {
	key, err := keyringKey()
	if err != nil {
		return nil, err
	}
	path, err := KeyringPath()
	if err != nil {
		return nil, err
	}
	k := &Keyring{}
	f, err := openFile(path, key, k.addWarning, options{ctx: ctx, now: time.Now, describe: "OS keyring"})
	if err != nil {
		return nil, err
	}
	k.File = f
	return k, nil
}

// KeyringPath is the file that holds the keyring store's encrypted entries
// (the keyring holds only their key).
func KeyringPath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("token cache directory: %w", err)
	}
	return filepath.Join(dir, "tokentop", "tokens.keyring.cache"), nil
}

// Warnings returns the warnings about a damaged cache file seen so far; the
// keyring store has no caller-supplied warn function.
func (k *Keyring) Warnings() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.warnings...)
}

func (k *Keyring) addWarning(s string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.warnings) < 16 {
		k.warnings = append(k.warnings, s)
	}
}

// keyringKey fetches the cache key from the secret store, creating it on the
// first run. Any failure to reach the store wraps ErrNoSecretStore.
func keyringKey() ([]byte, error) {
	s, err := keyring.Get(keyringService, keyringUser)
	if errors.Is(err, keyring.ErrNotFound) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("token cache key: %w", err)
		}
		s = base64.StdEncoding.EncodeToString(raw)
		if err := keyring.Set(keyringService, keyringUser, s); err != nil {
			return nil, fmt.Errorf("%w: storing the cache key: %v", ErrNoSecretStore, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoSecretStore, err)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("the OS keyring's %s/%s entry is not a tokentop cache key; delete it to start afresh",
			keyringService, keyringUser)
	}
	return raw, nil
}
