package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/pflag"

	"tokentop/issuer"
	"tokentop/scenario"
	"tokentop/session"
	"tokentop/tokencache"
)

// cacheKeyEnv holds the secret of a --cache-file: never a flag value, so it
// stays out of the process list and the shell history.
const cacheKeyEnv = "TOKENTOP_CACHE_KEY"

// cacheHowTo says how to get a token cache on a machine without an OS
// secret store.
const cacheHowTo = "give --cache-file PATH and set " + cacheKeyEnv + " to a random secret of at least 32 characters (`openssl rand -base64 32`)"

// storeCache adapts a tokencache store to the sessions' token cache. Its
// writes go through a tokencache.Writer, off the run's event loop, batched;
// its Digest is the store's, keyed by the cache's secret.
type storeCache struct {
	store  tokencache.Batcher
	w      *tokencache.Writer
	digest func(string) string
}

// newStoreCache starts the writer of store; close it with close.
func newStoreCache(store tokencache.Batcher) *storeCache {
	c := &storeCache{store: store, w: tokencache.NewWriter(store, tokencache.DefaultFlushTimeout)}
	if d, ok := store.(session.CacheDigester); ok {
		c.digest = d.Digest
	}
	return c
}

func (c *storeCache) Load(k session.CacheKey) (session.CachedToken, bool, error) {
	e, ok, err := c.w.Load(tokencache.Key(k))
	return session.CachedToken(e), ok, err
}

func (c *storeCache) Save(k session.CacheKey, t session.CachedToken) error {
	return c.w.Save(tokencache.Key(k), tokencache.Entry(t))
}

// Evict drops every token of identity at issuer.
func (c *storeCache) Evict(issuer, identity string) error { return c.w.Evict(issuer, identity) }

// Clear empties the store, for the screen's clear-cache key.
func (c *storeCache) Clear() error { return c.w.Clear() }

// Digest is the store's keyed digest (session.CacheDigester).
func (c *storeCache) Digest(s string) string { return c.digest(s) }

// close writes what is queued, waiting at most tokencache.DefaultFlushTimeout
// (an interrupted run does not hang on a locked file), and closes the store.
// What could not be written is named on warn; past the timeout the store is
// left to the process's exit, as a write still holds it.
func (c *storeCache) close(warn io.Writer) error {
	err := c.w.Close()
	if err != nil {
		fmt.Fprintf(warn, "tokentop: warning: %v\n", err)
	}
	if errors.Is(err, tokencache.ErrFlushTimeout) {
		return err
	}
	return errors.Join(err, c.store.Close())
}

// evictDeleted drops from the cache the tokens of the identities iss
// deleted when it closed (acs: deletes the users it made): they are dead.
func (c *storeCache) evictDeleted(iss issuer.Issuer) {
	d, ok := iss.(issuer.IdentityDeleter)
	if !ok {
		return
	}
	for _, identity := range d.DeletedIdentities() {
		c.w.Evict(iss.Name(), identity) // fails only once closed, which it is not yet
	}
}

// openCacheFor opens the token cache a run needs: none when no session
// persists, the --cache-file when given, else the OS secret store. Without
// either, a scenario that restarts tokentop inside the run (the restart
// action) falls back to a cache in memory, which lasts as long as the
// process; any other persisted session is refused, saying what to do.
// describe is what the header shows. A --cache-file that does not decrypt
// with the key ends the run (exit 2); the OS keyring's cache file that does
// not is left as it is and the run keeps its tokens in memory, saying so.
// ctx ends waits for the cache's lock.
func openCacheFor(ctx context.Context, cfg config, sc scenario.Scenario, getenv func(string) string, warn io.Writer) (store tokencache.Batcher, describe string, err error) {
	persists := slices.ContainsFunc(sc.Sessions, func(s scenario.Spec) bool { return s.Persist })
	if !persists {
		return nil, "", nil
	}
	if cfg.cacheFile != "" {
		s, err := openCacheFile(ctx, cfg.cacheFile, getenv, warn)
		if err != nil {
			return nil, "", err
		}
		return s, s.Describe(), nil
	}
	k, err := tokencache.OpenKeyring(ctx)
	if err == nil {
		return k, k.Describe(), nil
	}
	if unreadable := (*tokencache.UnreadableError)(nil); errors.As(err, &unreadable) {
		fmt.Fprintf(warn, "tokentop: warning: the OS keyring's %v; this run keeps tokens in memory only (`tokentop cache clear` removes the file)\n", err)
		return nil, "in memory (this run only)", nil
	}
	restarts := slices.ContainsFunc(sc.Timeline, func(s scenario.Step) bool { return s.Action == scenario.ActionRestart })
	if errors.Is(err, tokencache.ErrNoSecretStore) && restarts {
		return nil, "in memory (this run only)", nil
	}
	if errors.Is(err, tokencache.ErrNoSecretStore) {
		return nil, "", usagef("persist=true keeps tokens in a cache, but no OS secret store is reachable here: %s", cacheHowTo)
	}
	return nil, "", fmt.Errorf("opening the OS keyring token cache: %w (or %s)", err, cacheHowTo)
}

// openCacheFile opens the encrypted cache file at path with the secret from
// TOKENTOP_CACHE_KEY; warnings (a shared directory, a wait for the lock, a
// file turned unreadable mid-run) go to warn.
func openCacheFile(ctx context.Context, path string, getenv func(string) string, warn io.Writer) (*tokencache.File, error) {
	secret := getenv(cacheKeyEnv)
	if secret == "" {
		return nil, usagef("--cache-file %s needs the cache's secret in %s (at least 32 characters)", path, cacheKeyEnv)
	}
	f, err := tokencache.OpenFile(ctx, path, secret, warnTo(warn))
	if unreadable := (*tokencache.UnreadableError)(nil); errors.As(err, &unreadable) {
		return nil, usageError{fmt.Errorf("--cache-file: %w: check %s, or remove the file with `tokentop cache clear --cache-file %s`", err, cacheKeyEnv, path)}
	}
	if err != nil && ctx.Err() != nil { // interrupted while waiting for the lock: not a usage error
		return nil, fmt.Errorf("--cache-file: %w", err)
	}
	if err != nil {
		return nil, usageError{fmt.Errorf("--cache-file: %w", err)}
	}
	return f, nil
}

// warnTo writes the token cache's warnings to w, one line each.
func warnTo(w io.Writer) func(string) {
	return func(msg string) { fmt.Fprintf(w, "tokentop: warning: %s\n", msg) }
}

// runCache is `tokentop cache clear [--cache-file PATH]`: it removes the
// token cache's file (the given one, else the OS keyring's) without needing
// its key, and returns the exit status. ctx ends a wait for the file's lock.
func runCache(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("tokentop cache", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("cache-file", "", "the encrypted token cache file (its secret is not needed); default: the OS keyring's cache")
	help := fs.BoolP("help", "h", false, "show this help")
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: tokentop cache clear [--cache-file PATH]")
		fmt.Fprintln(w, "Removes the token cache of persisted sessions (persist=true), without needing its key; it removes only a tokentop cache file.")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		return fail(stderr, usageError{err})
	}
	if *help {
		usage(stdout)
		return exitOK
	}
	if fs.NArg() != 1 || fs.Arg(0) != "clear" {
		return fail(stderr, usagef("tokentop cache: want the subcommand clear, as in: tokentop cache clear [--cache-file PATH]"))
	}
	if *path == "" {
		*path = getenv(envName("cache-file"))
	}
	describe := "encrypted file " + *path
	if *path == "" {
		p, err := tokencache.KeyringPath()
		if err != nil {
			return fail(stderr, err)
		}
		*path, describe = p, "OS keyring ("+p+")"
	}
	removed, err := tokencache.RemoveFile(ctx, *path, warnTo(stderr))
	switch {
	case err != nil:
		return fail(stderr, fmt.Errorf("clearing the token cache: %w", err))
	case removed:
		fmt.Fprintf(stdout, "cleared the token cache: %s\n", describe)
	default:
		fmt.Fprintf(stdout, "the token cache is already clear: %s does not exist\n", *path)
	}
	return exitOK
}
