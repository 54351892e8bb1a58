package tokencache

import (
	"bytes"
	"context"
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
)

// File is a cache kept in one encrypted file, shared safely between processes:
// every change re-reads the file under an flock on a sibling ".lock" file,
// merges, and replaces the file atomically. A file that exists but does not
// decrypt with the key is never overwritten.
type File struct {
	path     string
	warn     func(string)
	now      func() time.Time
	describe string
	secret   []byte
	own      header      // header for files this process starts afresh
	ownKey   cipher.AEAD // derived once, at open
	kdf      kdfParams

	mu      sync.Mutex
	lock    *fileLock // nil once closed
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
	ctx      context.Context  // ends waits for the lock; nil: never
	kdf      kdfParams        // key stretching for new files
	now      func() time.Time // clock deciding expiry
	describe string           // Describe's answer; "" for "encrypted file PATH"
}

// UnreadableError reports a cache file that exists but cannot be used: it
// fails authentication with the key given (a wrong key, or tampering), or is
// truncated, foreign or too large. Such a file is left as it is, never
// overwritten, so a mistyped key loses no saved token.
type UnreadableError struct {
	Path string
	Why  error
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("token cache %s cannot be read: %v; it is left as it is", e.Path, e.Why)
}

func (e *UnreadableError) Unwrap() error { return e.Why }

// OpenFile opens (creating if absent) an encrypted cache file. secret is
// TOKENTOP_CACHE_KEY's value: at least MinSecretLen characters, not easy to
// guess; it is stretched with Argon2id once per process. A file that does not
// decrypt with secret is an *UnreadableError. The path and its ".lock"
// sibling must be regular files of the user's (links are not followed);
// warn receives one-line warnings (a directory others can write to, a wait
// for another process's lock). ctx ends every wait for the lock, now and in
// later calls: once it is done, a call that finds the lock held fails at once.
func OpenFile(ctx context.Context, path string, secret string, warn func(string)) (*File, error) {
	if err := checkSecret(secret); err != nil {
		return nil, err
	}
	return openFile(path, []byte(secret), warn, options{ctx: ctx, kdf: productionKDF, now: time.Now})
}

func openFile(path string, secret []byte, warn func(string), o options) (*File, error) {
	if path == "" {
		return nil, errors.New("cache file: empty path")
	}
	if warn == nil {
		warn = func(string) {}
	}
	if o.ctx == nil {
		o.ctx = context.Background()
	}
	f := &File{
		path: path, warn: warn, now: o.now, describe: o.describe,
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
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache file directory: %w", err)
	}
	if w := sharedDirWarning(dir); w != "" {
		warn(w)
	}
	if fi, err := os.Lstat(path); err == nil { // refused before the slow key derivation; read checks again
		if err := vet("token cache", path, fi); err != nil {
			return nil, err
		}
	}
	lock, err := openLock(o.ctx, path, warn)
	if err != nil {
		return nil, err
	}
	key, err := deriveKey(secret, f.own)
	if err != nil {
		lock.close()
		return nil, err
	}
	f.ownKey, f.derived, f.lock = key, 1, lock
	err = f.locked(func() error {
		snap, err := f.read()
		if err != nil {
			return err
		}
		if snap.bad != nil {
			return snap.bad
		}
		if snap.key == nil { // absent or empty: create it, so a bad path fails now rather than at the first Save
			f.seen, err = f.write(f.own, f.ownKey, []byte(emptyPayload))
			return err
		}
		f.entries = snap.entries
		return nil
	})
	if err != nil {
		lock.close()
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
	if fi, err := os.Lstat(f.path); err == nil && !sameVersion(fi, f.seen) {
		snap, err := f.read()
		if err != nil {
			return Entry{}, false, err
		}
		if snap.bad != nil && !sameVersion(snap.fi, f.warned) {
			f.warned = snap.fi
			f.warn(snap.bad.Error() + ", and its entries are not used")
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
// entries other processes saved meanwhile survive, and drops expired entries
// and, to stay within the file's limits, those expiring soonest. It fails,
// writing nothing, when the file has become unreadable with this key.
func (f *File) Save(k Key, e Entry) error {
	id, r := k.id(), record{Token: e.Token, ExpiresOn: e.ExpiresOn}
	if n := emptyPayloadLen + entryLen(id, r); n > maxPayloadLen {
		return fmt.Errorf("token cache %s: a token of %d bytes does not fit in the file's %d MiB; not saved", f.path, len(e.Token), maxFileLen>>20)
	}
	return f.change(id, func(entries map[string]record) { entries[id] = r })
}

// Clear removes every entry.
func (f *File) Clear() error {
	return f.change("", func(entries map[string]record) { clear(entries) })
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
	err := f.lock.close()
	f.lock = nil
	return err
}

// change applies edit to the file's current entries under the lock and writes
// the result back; keep names the entry edit saved, evicted last.
func (f *File) change(keep string, edit func(map[string]record)) error {
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
		if snap.bad != nil {
			return snap.bad
		}
		h, key := f.own, f.ownKey
		if snap.key != nil && snap.hdr.kdf == f.kdf {
			// Keep the salt of a file written with our parameters, so
			// processes sharing it converge on one derived key.
			h, key = snap.hdr, snap.key
		}
		edit(snap.entries)
		f.prune(snap.entries, keep)
		pt, err := encode(snap.entries, keep)
		if err != nil {
			return err
		}
		seen, err := f.write(h, key, pt)
		if err != nil {
			return err
		}
		f.entries, f.seen = snap.entries, seen
		return nil
	})
}

// locked runs fn holding the flock on the sibling lock file.
func (f *File) locked(fn func() error) error {
	if err := f.lock.lock(); err != nil {
		return err
	}
	err := fn()
	if uerr := f.lock.unlock(); err == nil {
		err = uerr
	}
	return err
}

// snapshot is what read found in the file.
type snapshot struct {
	entries map[string]record // empty when the file is absent, empty or unreadable
	fi      fs.FileInfo       // nil when the file is absent
	hdr     header
	key     cipher.AEAD      // nil unless the file decrypted
	bad     *UnreadableError // why the file, which exists, cannot be used
}

// read reads and decrypts the file. A file that is there but does not
// decode is not an error but snap.bad; an empty one reads as absent.
func (f *File) read() (snapshot, error) {
	snap := snapshot{entries: map[string]record{}}
	file, err := openCache(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		f.seen = nil
		return snap, nil
	}
	if err != nil {
		return snap, err
	}
	defer file.Close()
	if snap.fi, err = file.Stat(); err != nil {
		return snap, fmt.Errorf("token cache %s: %w", f.path, err)
	}
	if snap.fi.Mode().Perm()&0o077 != 0 { // through the handle: never a file a link points to
		if err := file.Chmod(0o600); err != nil {
			return snap, fmt.Errorf("token cache %s: narrowing its mode to 0600: %w", f.path, err)
		}
	}
	b, err := io.ReadAll(io.LimitReader(file, maxFileLen+1))
	if err != nil {
		return snap, fmt.Errorf("token cache %s: %w", f.path, err)
	}
	f.seen = snap.fi
	if len(b) == 0 {
		return snap, nil
	}
	hdr, key, entries, why := f.decode(b)
	if why != nil {
		snap.bad = &UnreadableError{Path: f.path, Why: why}
		return snap, nil
	}
	snap.hdr, snap.key, snap.entries = hdr, key, entries
	return snap, nil
}

// openCache opens the cache file at path for reading after checking what it
// is: a FIFO, a link or another user's file is refused before it is opened.
func openCache(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if err := vet("token cache", path, fi); err != nil {
		return nil, err
	}
	file, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, fmt.Errorf("token cache %s: %w", path, err)
	}
	if fi, err = file.Stat(); err == nil { // it may have been replaced since the check
		err = vet("token cache", path, fi)
	}
	if err != nil {
		file.Close()
		return nil, err
	}
	return file, nil
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

// prune drops expired entries and, past maxEntries, those expiring soonest;
// keep (the entry just saved) goes last.
func (f *File) prune(entries map[string]record, keep string) {
	now := f.now()
	maps.DeleteFunc(entries, func(_ string, r record) bool { return !r.ExpiresOn.After(now) })
	if extra := len(entries) - maxEntries; extra > 0 {
		for _, id := range evictionOrder(entries, keep)[:extra] {
			delete(entries, id)
		}
	}
}

// fit drops the entries expiring soonest (keep last) until their encoding
// is at most maxPayloadLen bytes, so that a file full of large tokens still
// takes new ones. It is called only when the encoding is too long.
func fit(entries map[string]record, keep string) {
	size := emptyPayloadLen
	for id, r := range entries {
		size += entryLen(id, r)
	}
	for _, id := range evictionOrder(entries, keep) {
		if size <= maxPayloadLen {
			return
		}
		size -= entryLen(id, entries[id])
		delete(entries, id)
	}
}

// evictionOrder lists the entries' ids, those expiring soonest first and
// keep last.
func evictionOrder(entries map[string]record, keep string) []string {
	return slices.SortedFunc(maps.Keys(entries), func(a, b string) int {
		if a == keep || b == keep {
			return cmpBool(a == keep, b == keep)
		}
		return entries[a].ExpiresOn.Compare(entries[b].ExpiresOn)
	})
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// emptyPayloadLen is the length of the encoded payload with no entries.
const emptyPayloadLen = len(emptyPayload)

// emptyPayload is the payload of a file with no entries.
const emptyPayload = `{"entries":{}}`

// entryLen is at least what one entry adds to the encoded payload: its key,
// its record, a colon and a comma (one too many for the first entry).
func entryLen(id string, r record) int {
	k, _ := json.Marshal(id) // a string always marshals
	v, err := json.Marshal(r)
	if err != nil { // a time past year 9999: the whole encoding fails anyway
		return len(k) + 6*len(r.Token) + 64
	}
	return len(k) + len(v) + 2
}

// encode is the payload of a file holding entries, evicting as fit does
// when it would not fit in the file.
func encode(entries map[string]record, keep string) ([]byte, error) {
	pt, err := json.Marshal(payload{Entries: entries})
	if err == nil && len(pt) > maxPayloadLen {
		fit(entries, keep)
		pt, err = json.Marshal(payload{Entries: entries})
	}
	if err != nil {
		return nil, fmt.Errorf("encode token cache: %w", err)
	}
	return pt, nil
}

// write replaces the file with pt, sealed: a temporary file in the same
// directory, written, synced and renamed over it. It returns the new file's info.
func (f *File) write(h header, key cipher.AEAD, pt []byte) (fs.FileInfo, error) {
	b, err := seal(h, key, pt)
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileLen { // readers would reject it and lose every entry; prune keeps it from happening
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
	fi, err := os.Lstat(f.path)
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
