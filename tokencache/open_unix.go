//go:build unix

package tokencache

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// openFlags are added to every open of the cache file and its lock file: a
// symbolic link planted there is not followed, and a FIFO that appears between
// the type check and the open does not block the open.
const openFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// checkOwner refuses a file that belongs to another user: whoever owns the
// file or the lock file can read the entries' ciphertext, replace them, or
// hold the lock forever.
func checkOwner(what, path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if me := os.Geteuid(); int64(st.Uid) != int64(me) {
		return fmt.Errorf("%s %s belongs to %s, not to you (%s); tokentop uses only a cache of your own: remove it or choose another path",
			what, path, userName(int64(st.Uid)), userName(int64(me)))
	}
	return nil
}

// userName is "name (uid N)", or "uid N" when the name is unknown.
func userName(uid int64) string {
	id := strconv.FormatInt(uid, 10)
	if u, err := user.LookupId(id); err == nil && u.Username != "" {
		return u.Username + " (uid " + id + ")"
	}
	return "uid " + id
}

// sharedDirWarning says why a directory that others can write to is a poor
// home for the cache, or returns "" when only its owner can write to it.
func sharedDirWarning(dir string) string {
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm()&0o022 == 0 {
		return ""
	}
	return fmt.Sprintf("the token cache's directory %s can be written by other users (mode %v), who can plant files there that block or replace the cache; keep it in a directory only you can write to",
		dir, fi.Mode().Perm())
}
