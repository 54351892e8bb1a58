//go:build !unix

package tokencache

import "io/fs"

// openFlags are added to every open of the cache file and its lock file;
// none exist here for links and FIFOs, which the type check before opening
// refuses.
const openFlags = 0

// checkOwner accepts every file where ownership is not a uid.
func checkOwner(string, string, fs.FileInfo) error { return nil }

// sharedDirWarning has nothing to say where modes are not Unix modes.
func sharedDirWarning(string) string { return "" }
