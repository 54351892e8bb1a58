package tokencache

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
	"unicode/utf8"
)

// MinSecretLen is the shortest TOKENTOP_CACHE_KEY accepted, in characters.
const MinSecretLen = 32

// File is a cache kept in one encrypted file, shared safely between processes:
// every change re-reads the file under an flock on a sibling ".lock" file,
// merges, and replaces the file atomically.
type File struct {
	path, lockPath string
	warn           func(string)
	now            func() time.Time
	describe       string
	secret         []byte
	own            header      // header for files this process starts afresh
	ownKey         cipher.AEAD // derived once, at open
	kdf            kdfParams

	mu      sync.Mutex
	lock    *os.File // nil once closed
	other   map[header]cipher.AEAD
	entries map[string]record
	seen    fs.FileInfo // the file version entries came from
	warned  fs.FileInfo // the damaged file version last warned about
	derived int         // key derivations so far (Argon2id is slow by design)
}

// record is one entry as encoded in the file.
type record struct {
	Token     string    `json:"token"`
	ExpiresOn time.Time `json:"expires_on"`
}

// payload is the plaintext of a cache file.
type payload struct {
	Entries map[string]record `json:"entries"`
}

// options are the knobs tests and the keyring store turn.
type options struct {
	kdf      kdfParams        // key stretching for new files
	now      func() time.Time // clock deciding expiry
	describe string           // Describe's answer; "" for "encrypted file PATH"
}

// OpenFile opens (creating if absent) an encrypted cache file. secret is
// TOKENTOP_CACHE_KEY's value, at least MinSecretLen characters; it is stretched
// with Argon2id once per process. When the file is tampered, truncated or
// foreign, warn receives a one-line warning naming it and its entries are
// ignored; the next Save rewrites it.
func OpenFile(path string, secret string, warn func(string)) (*File, error) {
	if n := utf8.RuneCountInString(secret); n < MinSecretLen {
		return nil, fmt.Errorf("TOKENTOP_CACHE_KEY must be at least %d characters long (it has %d)", MinSecretLen, n)
	}
	return openFile(path, []byte(secret), warn, options{kdf: productionKDF, now: time.Now})
}

func openFile(path string, secret []byte, warn func(string), o options) (*File, error) {
	if path == "" {
		return nil, errors.New("cache file: empty path")
	}
	if warn == nil {
		warn = func(string) {}
	}
	f := &File{
		path: path, lockPath: path + ".lock", warn: warn, now: o.now, describe: o.describe,
		secret: secret, kdf: o.kdf, other: map[header]cipher.AEAD{}, entries: map[string]record{},
	}
	if f.describe == "" {
		f.describe = "encrypted file " + path
	}
	f.own.kdf = o.kdf
	if o.kdf.Kind != kdfNone {
		if _, err := rand.Read(f.own.salt[:]); err != nil {
			return nil, fmt.Errorf("cache file salt: %w", err)
		}
	}
	key, err := deriveKey(secret, f.own)
	if err != nil {
		return nil, err
	}
	f.ownKey, f.derived = key, 1
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cache file directory: %w", err)
	}
	lock, err := os.OpenFile(f.lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cache lock file: %w", err)
	}
	f.lock = lock
	err = f.locked(func() error {
		snap, err := f.read()
		if err != nil {
			return err
		}
		if snap.fi == nil { // absent: create it, so a bad path fails now rather than at the first Save
			f.seen, err = f.write(f.own, f.ownKey, snap.entries)
			return err
		}
		if snap.fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return fmt.Errorf("cache file mode: %w", err)
			}
		}
		f.entries = snap.entries
		return nil
	})
	if err != nil {
		lock.Close()
		return nil, err
	}
	return f, nil
}

// Load returns the entry for k; ok is false when it is absent or expired.
// It re-reads the file when another process has replaced it.
func (f *File) Load(k Key) (Entry, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lock == nil {
		return Entry{}, false, errors.New("token cache is closed")
	}
	if fi, err := os.Stat(f.path); err == nil && !sameVersion(fi, f.seen) {
		snap, err := f.read()
		if err != nil {
			return Entry{}, false, err
		}
		f.entries = snap.entries
	}
	r, ok := f.entries[k.id()]
	if !ok || !r.ExpiresOn.After(f.now()) {
		return Entry{}, false, nil
	}
	return Entry{Token: r.Token, ExpiresOn: r.ExpiresOn}, true, nil
}

// Save replaces the entry for k. Under the lock it re-reads the file, so
// entries other processes saved meanwhile survive, and drops expired entries.
func (f *File) Save(k Key, e Entry) error {
	return f.change(func(entries map[string]record) {
		entries[k.id()] = record{Token: e.Token, ExpiresOn: e.ExpiresOn}
	})
}

// Clear removes every entry.
func (f *File) Clear() error {
	return f.change(func(entries map[string]record) { clear(entries) })
}

// SetClock makes the store judge expiry on now rather than the wall clock:
// a run on virtual time (sim or scaled) keeps and finds tokens by their
// virtual expiry. Call it before the store is shared.
func (f *File) SetClock(now func() time.Time) {
	if now != nil {
		f.now = now
	}
}

// Describe returns "encrypted file PATH" (or "OS keyring" for the keyring store).
func (f *File) Describe() string { return f.describe }

// Close releases the lock file. Further calls fail.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lock == nil {
		return nil
	}
	err := f.lock.Close()
	f.lock = nil
	return err
}

// change applies edit to the file's current entries under the lock and writes
// the result back.
func (f *File) change(edit func(map[string]record)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lock == nil {
		return errors.New("token cache is closed")
	}
	return f.locked(func() error {
		snap, err := f.read()
		if err != nil {
			return err
		}
		h, key := f.own, f.ownKey
		if snap.key != nil && snap.hdr.kdf == f.kdf {
			// Keep the salt of a file written with our parameters, so
			// processes sharing it converge on one derived key.
			h, key = snap.hdr, snap.key
		}
		edit(snap.entries)
		f.prune(snap.entries)
		seen, err := f.write(h, key, snap.entries)
		if err != nil {
			return err
		}
		f.entries, f.seen = snap.entries, seen
		return nil
	})
}

// locked runs fn holding the flock on the sibling lock file.
func (f *File) locked(fn func() error) error {
	if err := lockFile(f.lock); err != nil {
		return err
	}
	err := fn()
	if uerr := unlockFile(f.lock); err == nil {
		err = uerr
	}
	return err
}

// snapshot is what read found in the file.
type snapshot struct {
	entries map[string]record // empty when the file is absent or damaged
	fi      fs.FileInfo       // nil when the file is absent
	hdr     header
	key     cipher.AEAD // nil unless the file decrypted
}

// read reads and decrypts the file. A damaged file is not an error: it warns
// (once per version of the file) and reads as empty.
func (f *File) read() (snapshot, error) {
	snap := snapshot{entries: map[string]record{}}
	file, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		f.seen = nil
		return snap, nil
	}
	if err != nil {
		return snap, fmt.Errorf("cache file: %w", err)
	}
	defer file.Close()
	if snap.fi, err = file.Stat(); err != nil {
		return snap, fmt.Errorf("cache file: %w", err)
	}
	if !snap.fi.Mode().IsRegular() {
		return snap, fmt.Errorf("cache file %s is not a regular file", f.path)
	}
	b, err := io.ReadAll(io.LimitReader(file, maxFileLen+1))
	if err != nil {
		return snap, fmt.Errorf("cache file: %w", err)
	}
	f.seen = snap.fi
	hdr, key, entries, why := f.decode(b)
	if why != nil {
		if !sameVersion(snap.fi, f.warned) {
			f.warned = snap.fi
			f.warn(fmt.Sprintf("token cache %s is ignored: %v; the next save rewrites it", f.path, why))
		}
		return snap, nil
	}
	snap.hdr, snap.key, snap.entries = hdr, key, entries
	return snap, nil
}

// decode checks, decrypts and parses a whole file; why says what is wrong.
func (f *File) decode(b []byte) (h header, key cipher.AEAD, entries map[string]record, why error) {
	if len(b) > maxFileLen {
		return h, nil, nil, fmt.Errorf("it is larger than %d MiB", maxFileLen>>20)
	}
	h, err := parseHeader(b)
	if err != nil {
		return h, nil, nil, err
	}
	if (h.kdf.Kind == kdfNone) != (f.kdf.Kind == kdfNone) {
		return h, nil, nil, errors.New("it was written with another kind of key")
	}
	if key, err = f.keyFor(h); err != nil {
		return h, nil, nil, err
	}
	pt, err := open(key, b)
	if err != nil {
		return h, nil, nil, err
	}
	var p payload
	if err := json.NewDecoder(bytes.NewReader(pt)).Decode(&p); err != nil {
		return h, nil, nil, fmt.Errorf("its entries do not parse: %w", err)
	}
	if len(p.Entries) > maxEntries {
		return h, nil, nil, fmt.Errorf("it holds %d entries, more than %d", len(p.Entries), maxEntries)
	}
	if p.Entries == nil {
		p.Entries = map[string]record{}
	}
	return h, key, p.Entries, nil
}

// keyFor returns the key for a file header, deriving it at most once per
// distinct header (other processes may have started the file with their salt).
func (f *File) keyFor(h header) (cipher.AEAD, error) {
	if h == f.own {
		return f.ownKey, nil
	}
	if key, ok := f.other[h]; ok {
		return key, nil
	}
	key, err := deriveKey(f.secret, h)
	if err != nil {
		return nil, err
	}
	f.derived++
	if len(f.other) >= 4 { // a handful of salts at most; a churning file resets the memo
		clear(f.other)
	}
	f.other[h] = key
	return key, nil
}

// prune drops expired entries and, past maxEntries, those expiring soonest.
func (f *File) prune(entries map[string]record) {
	now := f.now()
	maps.DeleteFunc(entries, func(_ string, r record) bool { return !r.ExpiresOn.After(now) })
	if extra := len(entries) - maxEntries; extra > 0 {
		ids := slices.SortedFunc(maps.Keys(entries), func(a, b string) int {
			return entries[a].ExpiresOn.Compare(entries[b].ExpiresOn)
		})
		for _, id := range ids[:extra] {
			delete(entries, id)
		}
	}
}

// write replaces the file atomically: a temporary file in the same directory,
// written, synced and renamed over it. It returns the new file's info.
func (f *File) write(h header, key cipher.AEAD, entries map[string]record) (fs.FileInfo, error) {
	pt, err := json.Marshal(payload{Entries: entries})
	if err != nil {
		return nil, fmt.Errorf("encode token cache: %w", err)
	}
	b, err := seal(h, key, pt)
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileLen { // readers would reject it and lose every entry
		return nil, fmt.Errorf("token cache %s would grow past %d MiB; not saved", f.path, maxFileLen>>20)
	}
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.path)+".*.tmp") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("write token cache: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.path)
	}
	if err != nil {
		return nil, fmt.Errorf("write token cache %s: %w", f.path, err)
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("write token cache %s: %w", f.path, err)
	}
	fi, err := os.Stat(f.path)
	if err != nil {
		return nil, fmt.Errorf("write token cache %s: %w", f.path, err)
	}
	return fi, nil
}

// sameVersion reports whether a and b describe the same version of a file:
// the same inode (each write renames a new one in) with the same size and time.
func sameVersion(a, b fs.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
