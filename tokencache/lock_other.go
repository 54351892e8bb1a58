//go:build !unix

package tokencache

import "os"

// tryLock always succeeds where flock does not exist: processes sharing a
// cache file there may lose each other's last entry, but the file stays
// whole because every write is an atomic rename.
func tryLock(*os.File) (busy bool, err error) { return false, nil }

// unlockFile is a no-op where flock does not exist.
func unlockFile(*os.File) error { return nil }

// syncDir is a no-op where directories cannot be opened for sync.
func syncDir(string) error { return nil }
