package tokencache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// RemoveFile deletes the cache file at path, under its lock, without its
// key: a cache whose key is lost can still be cleared. It refuses anything
// but a regular file of the user's that starts as a cache file does, so it
// never deletes another file; removed is false when there was no file. The
// lock file stays, as processes may be waiting on it. ctx and warn are as
// for OpenFile.
func RemoveFile(ctx context.Context, path string, warn func(string)) (removed bool, err error) {
	if warn == nil {
		warn = func(string) {}
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("token cache %s: %w", path, err)
	}
	if err := vet("token cache", path, fi); err != nil { // before a lock file is made beside it
		return false, err
	}
	lock, err := openLock(ctx, path, warn)
	if err != nil {
		return false, err
	}
	defer lock.close()
	if err := lock.lock(); err != nil {
		return false, err
	}
	defer lock.unlock()
	file, err := openCache(path) // again, under the lock: another process may have replaced it
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	head := make([]byte, len(magic))
	_, err = io.ReadFull(file, head)
	file.Close()
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, fmt.Errorf("token cache %s: %w", path, err)
	}
	if string(head) != magic {
		return false, fmt.Errorf("%s is not a tokentop token cache (it does not start with %q); not removed", path, magic)
	}
	if err := os.Remove(path); err != nil {
		return false, fmt.Errorf("removing token cache %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return true, fmt.Errorf("removing token cache %s: %w", path, err)
	}
	return true, nil
}
