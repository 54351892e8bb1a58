package tokencache

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
)

// How long a process waits for another to release the lock: a holder keeps
// it for one read-modify-write (milliseconds, or one key derivation), so a
// longer hold means a stuck or foreign process, and waiting on it forever
// would hang the run.
const (
	lockWait      = 10 * time.Second
	lockNotice    = time.Second // a wait this long is announced, naming the holder
	lockPollFirst = time.Millisecond
	lockPollMax   = 10 * time.Millisecond
	lockYield     = 25 * time.Millisecond // longer than lockPollMax, so a waiter's poll lands in it
)

// The lock file holds two slots of pidSlot bytes: the holder's pid, and the
// pid of a process waiting for the lock.
const (
	pidSlot    = 16
	holderSlot = 0
	waiterSlot = pidSlot
)

// fileLock is the flock on a cache file's sibling lock file. Taking it
// polls, so that a wait can end; to keep a process that saves back to back
// from starving a waiting one, a waiter writes its pid into the lock file
// and the others yield the lock to it for a moment. The holder's pid is
// recorded too, so that a process kept waiting can say who holds it.
type fileLock struct {
	file  *os.File
	path  string // the lock file's
	cache string // the cache file's
	ctx   context.Context
	warn  func(string)
}

// openLock opens (creating if absent) the lock file of the cache at cache.
// It refuses a lock file that is not a regular file of the user's. Waits for
// the lock end when ctx does.
func openLock(ctx context.Context, cache string, warn func(string)) (*fileLock, error) {
	path := cache + ".lock"
	if fi, err := os.Lstat(path); err == nil {
		if err := vet("token cache lock file", path, fi); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|openFlags, 0o600)
	if err != nil {
		return nil, fmt.Errorf("token cache lock file: %w", err)
	}
	fi, err := f.Stat()
	if err == nil {
		err = vet("token cache lock file", path, fi)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &fileLock{file: f, path: path, cache: cache, ctx: ctx, warn: warn}, nil
}

// lock takes the lock, polling without blocking so that the wait ends when
// ctx does or after lockWait, whichever comes first; a wait past lockNotice
// is announced through warn.
func (l *fileLock) lock() error {
	if err := l.yield(); err != nil {
		return err
	}
	start := time.Now()
	poll, waiting, noticed := lockPollFirst, false, false
	defer func() {
		if waiting {
			l.writeSlot(waiterSlot, 0)
		}
	}()
	for {
		busy, err := tryLock(l.file)
		if err != nil {
			return fmt.Errorf("lock %s: %w", l.path, err)
		}
		if !busy {
			l.writeSlot(holderSlot, os.Getpid())
			return nil
		}
		if !waiting {
			waiting = true
			l.writeSlot(waiterSlot, os.Getpid())
		}
		waited := time.Since(start)
		if waited >= lockWait {
			return fmt.Errorf("token cache %s stayed locked by %s for %v; try again once it is done, or stop it",
				l.cache, l.holder(), lockWait)
		}
		if !noticed && waited >= lockNotice {
			noticed = true
			l.warn(fmt.Sprintf("token cache %s is locked by %s; waiting up to %v (Ctrl-C to stop)", l.cache, l.holder(), lockWait))
		}
		if err := l.sleep(min(poll, lockWait-waited)); err != nil {
			return fmt.Errorf("token cache %s: stopped waiting for its lock, held by %s: %w", l.cache, l.holder(), err)
		}
		poll = min(2*poll, lockPollMax)
	}
}

// yield leaves the lock free for up to lockYield while another process
// waits for it (its pid is in the waiter slot), then clears a waiter that
// did not take it (one that gave up or died).
func (l *fileLock) yield() error {
	deadline := time.Now().Add(lockYield)
	for {
		pid := l.readSlot(waiterSlot)
		if pid == 0 || pid == os.Getpid() {
			return nil
		}
		if !time.Now().Before(deadline) {
			l.writeSlot(waiterSlot, 0)
			return nil
		}
		if err := l.sleep(lockPollFirst); err != nil {
			return fmt.Errorf("token cache %s: stopped waiting for its lock: %w", l.cache, err)
		}
	}
}

// sleep waits for d, or until ctx ends.
func (l *fileLock) sleep(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-l.ctx.Done():
		return context.Cause(l.ctx)
	case <-t.C:
		return nil
	}
}

// unlock releases the lock.
func (l *fileLock) unlock() error {
	if err := unlockFile(l.file); err != nil {
		return fmt.Errorf("unlock %s: %w", l.path, err)
	}
	return nil
}

// close closes the lock file, releasing the lock if held.
func (l *fileLock) close() error { return l.file.Close() }

// writeSlot writes pid (0: none) into a slot of the lock file. The slots are
// advice, for waiting and for naming the holder, so a failure to write one
// is not an error.
func (l *fileLock) writeSlot(slot, pid int) {
	b := []byte(strings.Repeat(" ", pidSlot-1) + "\n")
	if pid != 0 {
		copy(b, strconv.Itoa(pid))
	}
	_, _ = l.file.WriteAt(b, int64(slot))
}

// readSlot reads a pid from a slot of the lock file; 0 when there is none.
func (l *fileLock) readSlot(slot int) int {
	b := make([]byte, pidSlot)
	n, _ := l.file.ReadAt(b, int64(slot))
	pid, err := strconv.Atoi(strings.Trim(string(b[:n]), " \n\x00"))
	if err != nil || pid < 0 {
		return 0
	}
	return pid
}

// holder names the lock's holder: its pid as recorded in the lock file, and
// the lock file, so that the user can find it without a pid.
func (l *fileLock) holder() string {
	if pid := l.readSlot(holderSlot); pid > 0 {
		return fmt.Sprintf("process %d (lock file %s)", pid, l.path)
	}
	return fmt.Sprintf("another process (lock file %s)", l.path)
}

// vet refuses what tokentop must not open as a cache file or lock file:
// anything but a regular file (a symbolic link, a FIFO, a device, a
// directory), and a file that belongs to another user.
func vet(what, path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s %s is %s, not a regular file; tokentop does not open it: remove it or choose another path",
			what, path, kindOf(fi.Mode()))
	}
	return checkOwner(what, path, fi)
}

// kindOf names the type of a file that is not regular.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}
