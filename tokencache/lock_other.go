//go:build !unix

package tokencache

import "os"

// lockFile is a no-op where flock does not exist: processes sharing a cache
// file there may lose each other's last entry, but the file stays whole
// because every write is an atomic rename.
func lockFile(*os.File) error { return nil }

// unlockFile is a no-op where flock does not exist.
func unlockFile(*os.File) error { return nil }

// syncDir is a no-op where directories cannot be opened for sync.
func syncDir(string) error { return nil }
