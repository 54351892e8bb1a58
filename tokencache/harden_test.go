//go:build unix

package tokencache

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/sys/unix"
)

// Issue 20, defect 3: a symbolic link at the cache path is refused, naming
// it, and the file it points to keeps its mode and bytes (it was chmodded
// to 0600 through the link).
func TestSymlinkAtCachePathIsRefused(t *testing.T) {
	dir := t.TempDir()
	target, path := filepath.Join(dir, "victim"), filepath.Join(dir, "tokens.cache")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	_, err := openFile(path, []byte(testSecret), nil, options{kdf: testKDF, now: (&fakeNow{epoch}).now})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("open through a link: err = %v, want a refusal naming %s as a symbolic link", err, path)
	}
	fi, err := os.Stat(target)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("the link's target: mode %v (%v), want 0644 untouched", fi.Mode().Perm(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the link's target now holds %q", b)
	}
}

// Issue 20, defect 3: a symbolic link at the lock path is refused, and the
// file it points to is not created.
func TestSymlinkAtLockPathIsRefused(t *testing.T) {
	dir := t.TempDir()
	target, path := filepath.Join(dir, "planted"), filepath.Join(dir, "tokens.cache")
	if err := os.Symlink(target, path+".lock"); err != nil {
		t.Fatal(err)
	}
	_, err := openFile(path, []byte(testSecret), nil, options{kdf: testKDF, now: (&fakeNow{epoch}).now})
	if err == nil || !strings.Contains(err.Error(), path+".lock") {
		t.Errorf("open with a linked lock file: err = %v, want a refusal naming %s.lock", err, path)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Error("the lock file's link target was created")
	}
}

// Issue 20, defect 3: a cache file or lock file owned by another user is
// refused, naming the file and its owner. It needs root to give a file away.
func TestOtherUsersFilesAreRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user needs root; CI runs as root")
	}
	const nobody = 65534
	for _, which := range []string{"", ".lock"} {
		t.Run("file"+which, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens.cache")
			openTest(t, path, &fakeNow{epoch}, nil).Close()
			if err := os.Chown(path+which, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			_, err := openFile(path, []byte(testSecret), nil, options{kdf: testKDF, now: (&fakeNow{epoch}).now})
			if err == nil || !strings.Contains(err.Error(), path+which+" belongs to") || !strings.Contains(err.Error(), fmt.Sprint("uid ", nobody)) {
				t.Errorf("err = %v, want a refusal naming %s and uid %d", err, path+which, nobody)
			}
		})
	}
}

// Issue 20, defect 3: a cache in a directory others can write to opens with
// a warning naming the directory.
func TestDirectoryOthersCanWriteToIsWarnedAbout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	var w warnings
	openTest(t, filepath.Join(dir, "tokens.cache"), &fakeNow{epoch}, &w)
	if len(w) != 1 || !strings.Contains(w[0], dir) || !strings.Contains(w[0], "other users") {
		t.Errorf("warnings = %q, want one naming %s", w, dir)
	}
	var none warnings
	openTest(t, filepath.Join(t.TempDir(), "tokens.cache"), &fakeNow{epoch}, &none)
	if len(none) != 0 {
		t.Errorf("a private directory warned: %q", none)
	}
}

// Issue 20, defect 4: a FIFO at the cache path is refused at once, naming
// it (opening it blocked until a writer came).
func TestFIFOAtCachePathIsRefusedAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.cache")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		f, err := openFile(path, []byte(testSecret), nil, options{kdf: testKDF, now: (&fakeNow{epoch}).now})
		if err == nil {
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "FIFO") {
			t.Errorf("err = %v, want a refusal naming %s as a FIFO", err, path)
		}
	case <-time.After(5 * time.Second):
		// Unblock the open so that the goroutine ends, then fail.
		if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		<-done
		t.Fatal("opening a cache path that is a FIFO blocked for 5s")
	}
}

// holdLock takes the lock of the cache at path as another process would,
// recording pid as its holder, until the test ends.
func holdLock(t *testing.T, path string, pid int) {
	t.Helper()
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(fmt.Sprintf("%-15d\n", pid)), holderSlot); err != nil {
		t.Fatal(err)
	}
}

// Issue 20, defect 4: a Save that finds the lock held waits at most
// lockWait, says after lockNotice who holds it, and then fails naming the
// file and the holder's pid (it waited forever).
func TestHeldLockIsWaitedForBoundedlyNamingItsHolder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tokens.cache")
		var w warnings
		f := openTest(t, path, &fakeNow{epoch}, &w)
		holdLock(t, path, 4242)
		start := time.Now()
		err := f.Save(Key{Issuer: "i", Identity: "u"}, Entry{Token: "t", ExpiresOn: epoch.Add(time.Hour)})
		if waited := time.Since(start); waited != lockWait {
			t.Errorf("Save waited %v, want %v", waited, lockWait)
		}
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "process 4242") {
			t.Errorf("err = %v, want one naming %s and process 4242", err, path)
		}
		if len(w) != 1 || !strings.Contains(w[0], "process 4242") || !strings.Contains(w[0], "waiting") {
			t.Errorf("warnings = %q, want one saying it waits for process 4242", w)
		}
	})
}

// Issue 20, defect 4: the wait for a held lock ends as soon as the store's
// context does (an interrupt), and later calls do not wait at all.
func TestHeldLockWaitEndsWithTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tokens.cache")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f, err := openFile(path, []byte(testSecret), nil, options{ctx: ctx, kdf: testKDF, now: (&fakeNow{epoch}).now})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		holdLock(t, path, 4242)
		go func() {
			time.Sleep(2 * time.Second) // the bubble's clock: the Save is waiting by then
			cancel()
		}()
		start := time.Now()
		err = f.Save(Key{Issuer: "i", Identity: "u"}, Entry{Token: "t", ExpiresOn: epoch.Add(time.Hour)})
		if waited := time.Since(start); waited != 2*time.Second {
			t.Errorf("Save waited %v, want 2s (until the context ended)", waited)
		}
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "stopped waiting") {
			t.Errorf("err = %v, want one saying it stopped waiting for %s", err, path)
		}
		start = time.Now()
		if err := f.Clear(); err == nil || time.Since(start) != 0 {
			t.Errorf("Clear after the context ended: err %v after %v, want a failure at once", err, time.Since(start))
		}
	})
}
