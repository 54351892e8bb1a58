//go:build unix

package tokencache

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Issue 20, defect 6: RemoveFile deletes a cache file without its key (one
// written under another key here), and keeps the lock file.
func TestRemoveFileNeedsNoKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.cache")
	f, err := openFile(path, []byte(strings.Repeat("x", 40)), nil, options{kdf: testKDF, now: (&fakeNow{epoch}).now})
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, f, Key{Issuer: "i", Identity: "u"}, Entry{Token: "t", ExpiresOn: epoch.Add(1e12)})
	f.Close()
	removed, err := RemoveFile(context.Background(), path, nil)
	if err != nil || !removed {
		t.Fatalf("RemoveFile = %v, %v; want true, nil", removed, err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("the cache file is still there (%v)", err)
	}
	if _, err := os.Lstat(path + ".lock"); err != nil {
		t.Errorf("the lock file is gone: %v", err)
	}
	if removed, err := RemoveFile(context.Background(), path, nil); removed || err != nil {
		t.Errorf("RemoveFile of nothing = %v, %v; want false, nil", removed, err)
	}
}

// RemoveFile refuses what is not a cache file of the user's: another file,
// a link (to a cache file, even), a FIFO; each stays.
func TestRemoveFileRefusesWhatIsNotACacheFile(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.cache")
	openTest(t, real, &fakeNow{epoch}, nil).Close()
	cases := map[string]func(path string) error{
		"another file": func(path string) error { return os.WriteFile(path, []byte("#!/bin/sh\n"), 0o600) },
		"a link":       func(path string) error { return os.Symlink(real, path) },
		"a FIFO":       func(path string) error { return syscall.Mkfifo(path, 0o600) },
	}
	for name, make := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens.cache")
			if err := make(path); err != nil {
				t.Fatal(err)
			}
			removed, err := RemoveFile(context.Background(), path, nil)
			if removed || err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("RemoveFile = %v, %v; want a refusal naming %s", removed, err, path)
			}
			if _, err := os.Lstat(path); err != nil {
				t.Errorf("it was removed: %v", err)
			}
		})
	}
	if _, err := os.Stat(real); err != nil {
		t.Errorf("the link's target was removed: %v", err)
	}
}
