// Package rediscache is a token cache shared through Redis: the L2 under each
// instance's in-memory L1, after Microsoft.Identity.Web's two-level cache. A
// fleet of instances (or several tokentop processes) keeps one copy of each
// token, and refreshes it once for the whole fleet under a lease with a
// fencing number.
//
// Entries are sealed by tokencache.EntrySealer (the cache file's cipher and
// format, keyed by TOKENTOP_CACHE_KEY) and named by keyed digests, so neither
// a token nor an identity is readable in Redis. Every call has a timeout and
// honours its context; reads are size-limited.
package rediscache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"tokentop/tokencache"
)

// Defaults and limits.
const (
	// DefaultTimeout bounds each round trip to Redis when Options.Timeout is 0.
	DefaultTimeout = 2 * time.Second
	// MaxTimeout is the longest Options.Timeout accepted.
	MaxTimeout = time.Minute
	// DefaultMaxValueLen is the largest entry read or written when
	// Options.MaxValueLen is 0.
	DefaultMaxValueLen = 256 << 10
	// MaxValueLen is the largest Options.MaxValueLen accepted.
	MaxValueLen = 16 << 20
	// DefaultClearBatch is the SCAN COUNT of Clear and Evict when
	// Options.ClearBatch is 0: about this many keys are scanned and deleted
	// per round trip.
	DefaultClearBatch = 500
	// MaxClearBatch is the largest Options.ClearBatch accepted.
	MaxClearBatch = 10_000
	// MaxLeaseTTL is the longest lease Acquire grants.
	MaxLeaseTTL = 10 * time.Minute
	// fenceTTL keeps a key's fencing counter well past any lease on it;
	// one that expires is re-seeded from the server's clock (see acquire).
	fenceTTL = 24 * time.Hour
)

// PasswordEnv lists the variables the Redis password is read from, first
// found wins. A password is never taken from a URL or a flag.
var PasswordEnv = []string{"TOKENTOP_REDIS_PASSWORD", "REDIS_PASSWORD"}

// ErrStaleFence is wrapped by the error of SaveLeased when another holder
// has taken the key's lease since the one saving: its token is not written.
var ErrStaleFence = errors.New("the lease was taken over by another holder")

// Options configure Open.
type Options struct {
	// URL is redis://HOST:PORT/DB (port 6379 and database 0 by default).
	URL string
	// Password authenticates to Redis; "" for none. Take it from the
	// environment (PasswordFromEnv), never from a flag.
	Password string
	// Namespace separates caches sharing one Redis (letters, digits, '.',
	// '_' and '-', at most 64); it also salts the key derivation.
	Namespace string
	// Secret is TOKENTOP_CACHE_KEY's value.
	Secret string
	// Timeout bounds each round trip (DefaultTimeout when 0).
	Timeout time.Duration
	// MaxValueLen bounds an entry (DefaultMaxValueLen when 0).
	MaxValueLen int
	// ClearBatch is the SCAN COUNT of Clear and Evict (DefaultClearBatch when 0).
	ClearBatch int
	// Now is the clock that sets TTLs and judges expiry (time.Now when nil).
	Now func() time.Time

	sealer *tokencache.EntrySealer // tests: a sealer derived once
}

// Store is the shared cache. It is safe for concurrent use.
type Store struct {
	client     *redis.Client
	sealer     *tokencache.EntrySealer
	where      string // the URL, for errors
	namespace  string
	prefix     string // "tokentop:NS:"
	timeout    time.Duration
	maxValue   int
	clearBatch int
	now        func() time.Time
}

// Lease is a held lease on a key: the holder alone refreshes the key's token
// and saves it with SaveLeased until the lease expires or is released.
type Lease struct {
	// Key is the cache key leased.
	Key tokencache.Key
	// Fence increases with every lease granted on Key: a save carrying a
	// Fence older than the newest grant is refused (ErrStaleFence).
	Fence uint64
	// Expires is when the lease lapses on the store's clock, unless released.
	Expires time.Time

	owner string // random; only its holder can release the lease
}

var namespaceRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// PasswordFromEnv returns the first of PasswordEnv that is set, by getenv
// (os.Getenv when nil).
func PasswordFromEnv(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, name := range PasswordEnv {
		if v := getenv(name); v != "" {
			return v
		}
	}
	return ""
}

// ParseURL checks a redis://HOST:PORT/DB URL and returns the address and
// database. It refuses a password or user in the URL (use the environment),
// other schemes, queries and fragments.
func ParseURL(raw string) (addr string, db int, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", 0, fmt.Errorf("shared cache URL does not parse: %w; write redis://HOST:PORT/DB", err)
	}
	if u.Scheme != "redis" {
		return "", 0, fmt.Errorf("shared cache URL %q: scheme %q is not supported; write redis://HOST:PORT/DB", u.Redacted(), u.Scheme)
	}
	if u.User != nil {
		return "", 0, fmt.Errorf("shared cache URL %s carries credentials; put the password in %s instead", u.Redacted(), PasswordEnv[0])
	}
	if u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", 0, fmt.Errorf("shared cache URL %q: options are not supported; write redis://HOST:PORT/DB", raw)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return "", 0, fmt.Errorf("shared cache URL %q names no host; write redis://HOST:PORT/DB", raw)
	}
	if port == "" {
		port = "6379"
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", 0, fmt.Errorf("shared cache URL %q: port %q is not 1..65535", raw, port)
	}
	switch path := u.Path; path {
	case "", "/":
	default:
		n, err := strconv.Atoi(path[1:])
		if err != nil || n < 0 || n > math.MaxInt32 || path[0] != '/' {
			return "", 0, fmt.Errorf("shared cache URL %q: database %q is not a number; write redis://HOST:PORT/DB", raw, path)
		}
		db = n
	}
	return net.JoinHostPort(host, port), db, nil
}

// Open connects to the shared cache and checks that Redis answers. The key
// derivation from Secret is slow by design: open one Store per process.
func Open(ctx context.Context, o Options) (*Store, error) {
	addr, db, err := ParseURL(o.URL)
	if err != nil {
		return nil, err
	}
	if !namespaceRE.MatchString(o.Namespace) {
		return nil, fmt.Errorf("shared cache namespace %q: use 1 to 64 letters, digits, '.', '_' or '-'", o.Namespace)
	}
	s := &Store{where: o.URL, namespace: o.Namespace, prefix: "tokentop:" + o.Namespace + ":",
		timeout: o.Timeout, maxValue: o.MaxValueLen, clearBatch: o.ClearBatch, now: o.Now, sealer: o.sealer}
	for _, c := range []struct {
		name   string
		v, max int64
	}{
		{"timeout", int64(o.Timeout), int64(MaxTimeout)},
		{"value limit", int64(o.MaxValueLen), MaxValueLen},
		{"clear batch", int64(o.ClearBatch), MaxClearBatch},
	} {
		if c.v < 0 || c.v > c.max {
			return nil, fmt.Errorf("shared cache %s %d is out of range 0..%d", c.name, c.v, c.max)
		}
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.maxValue == 0 {
		s.maxValue = DefaultMaxValueLen
	}
	if s.clearBatch == 0 {
		s.clearBatch = DefaultClearBatch
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sealer == nil {
		if s.sealer, err = tokencache.NewEntrySealer(o.Secret, o.Namespace); err != nil {
			return nil, err
		}
	}
	silenceOnce.Do(func() { redis.SetLogger(quiet{}) })
	s.client = redis.NewClient(&redis.Options{
		Addr: addr, DB: db, Password: o.Password,
		Protocol: 2, DisableIdentity: true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		DialTimeout:              s.timeout, ReadTimeout: s.timeout, WriteTimeout: s.timeout, PoolTimeout: s.timeout,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
		DialerRetries:         1,
	})
	err = s.do(ctx, "connect", func(ctx context.Context) error { return s.client.Ping(ctx).Err() })
	if err != nil {
		s.client.Close()
		return nil, err
	}
	return s, nil
}

// silenceOnce silences go-redis's logger: it is process-wide, writes to
// stderr (tearing the terminal UI) and repeats what the errors Store returns
// already say. Only this package in tokentop uses go-redis.
var silenceOnce sync.Once

// quiet is a go-redis logger that drops everything.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// Describe says where the cache lives, for a header:
// "shared cache redis://HOST:PORT/DB namespace NS".
func (s *Store) Describe() string { return "shared cache " + s.where + " namespace " + s.namespace }

// Digest is the keyed digest of TOKENTOP_CACHE_KEY (tokencache.File.Digest),
// for Key.Config.
func (s *Store) Digest(v string) string { return s.sealer.Digest(v) }

// Close closes the connections to Redis.
func (s *Store) Close() error { return s.client.Close() }

// do runs one round trip under the store's timeout and names the operation
// and the server in its error.
func (s *Store) do(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := fn(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			err = fmt.Errorf("no answer within %v: %w", s.timeout, err)
		}
		return fmt.Errorf("shared cache %s: %s: %w", s.where, op, err)
	}
	return nil
}

// names of k's entry, lease and fencing counter. The key digest is a hash
// tag ({...}) so that the keys one script touches share a slot, as a Redis
// Cluster would need (Clear and Evict scan one server: no Cluster yet).
func (s *Store) tokenName(k tokencache.Key) string {
	return s.prefix + "t:" + s.sealer.PrincipalDigest(k.Issuer, k.Identity) + ":{" + s.sealer.KeyDigest(k) + "}"
}
func (s *Store) leaseName(k tokencache.Key) string {
	return s.prefix + "l:{" + s.sealer.KeyDigest(k) + "}"
}
func (s *Store) fenceName(k tokencache.Key) string {
	return s.prefix + "f:{" + s.sealer.KeyDigest(k) + "}"
}

// Load returns the entry for k; ok is false when it is absent or expired.
// An entry that cannot be used (too large, or not sealed for k under this
// secret and namespace) is a miss with an error saying why, wrapping
// tokencache.ErrUnreadableEntry.
func (s *Store) Load(ctx context.Context, k tokencache.Key) (e tokencache.Entry, ok bool, err error) {
	var b string
	err = s.do(ctx, "load", func(ctx context.Context) error {
		// GETRANGE bounds what the server sends, whatever was stored.
		b, err = s.client.GetRange(ctx, s.tokenName(k), 0, int64(s.maxValue)).Result()
		return err
	})
	if err != nil || b == "" { // GETRANGE answers "" for a missing key
		return e, false, err
	}
	if len(b) > s.maxValue {
		return e, false, fmt.Errorf("shared cache %s: load: %w: it is larger than %d bytes", s.where, tokencache.ErrUnreadableEntry, s.maxValue)
	}
	e, err = s.sealer.Open(k, []byte(b))
	if err != nil {
		return tokencache.Entry{}, false, fmt.Errorf("shared cache %s: load: %w", s.where, err)
	}
	if !e.ExpiresOn.After(s.now()) {
		return tokencache.Entry{}, false, nil
	}
	return e, true, nil
}

// Scripts run atomically in Redis. saveScript writes an entry unless the
// one there outlives it (a save without a lease never replaces a newer
// token). ARGV: value, ttl ms.
var saveScript = redis.NewScript(`
local left = redis.call('PTTL', KEYS[1])
if left > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`)

// Save writes e for k with a TTL at its expiry, unless the shared entry
// expires later. A token already expired is not written. Prefer SaveLeased
// when holding the key's lease.
func (s *Store) Save(ctx context.Context, k tokencache.Key, e tokencache.Entry) error {
	v, ttl, err := s.prepare(k, e)
	if err != nil || ttl <= 0 {
		return err
	}
	return s.do(ctx, "save", func(ctx context.Context) error {
		return saveScript.Run(ctx, s.client, []string{s.tokenName(k)}, v, ttl.Milliseconds()).Err()
	})
}

// prepare seals e for k and returns its TTL, rounded down to milliseconds
// (0 when it has expired).
func (s *Store) prepare(k tokencache.Key, e tokencache.Entry) ([]byte, time.Duration, error) {
	ttl := e.ExpiresOn.Sub(s.now()).Truncate(time.Millisecond)
	if ttl <= 0 {
		return nil, 0, nil
	}
	v, err := s.sealer.Seal(k, e)
	if err != nil {
		return nil, 0, err
	}
	if len(v) > s.maxValue {
		return nil, 0, fmt.Errorf("shared cache %s: a token of %d bytes seals to %d, over the limit of %d bytes; not saved", s.where, len(e.Token), len(v), s.maxValue)
	}
	return v, ttl, nil
}

// acquireScript takes a lease (SET NX PX) and, if it got it, returns the
// next fencing number, else 0. A counter that does not exist (new, expired
// or cleared) starts from the server's clock in microseconds, so it never
// goes back to a number an earlier holder was given. KEYS: lease, fence.
// ARGV: owner, ttl ms, fence ttl ms.
var acquireScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local f
if redis.call('EXISTS', KEYS[2]) == 1 then
  f = redis.call('INCR', KEYS[2])
else
  local t = redis.call('TIME')
  local seed = t[1] .. string.format('%06d', tonumber(t[2]))
  redis.call('SET', KEYS[2], seed)
  f = tonumber(seed) -- about 2^51 today: exact in Lua's doubles until 2255
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return f`)

// Acquire tries to take k's lease for ttl (at most MaxLeaseTTL). ok is false
// when another holder has it. The holder refreshes the token, saves it with
// SaveLeased and releases the lease; one that dies lets it lapse after ttl.
func (s *Store) Acquire(ctx context.Context, k tokencache.Key, ttl time.Duration) (l Lease, ok bool, err error) {
	if ttl < time.Millisecond || ttl > MaxLeaseTTL {
		return l, false, fmt.Errorf("shared cache lease of %v is out of range 1ms..%v", ttl, MaxLeaseTTL)
	}
	var owner [16]byte
	rand.Read(owner[:]) // crypto/rand.Read never fails
	l = Lease{Key: k, owner: hex.EncodeToString(owner[:])}
	start := s.now()
	var fence int64
	err = s.do(ctx, "acquire lease", func(ctx context.Context) error {
		fence, err = acquireScript.Run(ctx, s.client, []string{s.leaseName(k), s.fenceName(k)},
			l.owner, ttl.Milliseconds(), fenceTTL.Milliseconds()).Int64()
		return err
	})
	switch {
	case err != nil:
		return Lease{}, false, err
	case fence == 0:
		return Lease{}, false, nil // held by another
	case fence < 0:
		return Lease{}, false, fmt.Errorf("shared cache %s: acquire lease: the fencing counter reads %d, not a positive number", s.where, fence)
	}
	l.Fence = uint64(fence)
	l.Expires = start.Add(ttl)
	return l, true, nil
}

// saveLeasedScript writes an entry only if the fencing counter still holds
// the writer's number. KEYS: entry, fence. ARGV: fence, value, ttl ms.
var saveLeasedScript = redis.NewScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`)

// SaveLeased writes the token the holder of l refreshed, with a TTL at its
// expiry. It fails, writing nothing, with an error wrapping ErrStaleFence
// when the lease has been granted to another holder since l (l lapsed and
// was taken over).
func (s *Store) SaveLeased(ctx context.Context, l Lease, e tokencache.Entry) error {
	v, ttl, err := s.prepare(l.Key, e)
	if err != nil || ttl <= 0 {
		return err
	}
	var n int64
	err = s.do(ctx, "save under lease", func(ctx context.Context) error {
		n, err = saveLeasedScript.Run(ctx, s.client, []string{s.tokenName(l.Key), s.fenceName(l.Key)},
			strconv.FormatUint(l.Fence, 10), v, ttl.Milliseconds()).Int64()
		return err
	})
	if err == nil && n == 0 {
		err = fmt.Errorf("shared cache %s: save under lease %d: %w; its token is not written", s.where, l.Fence, ErrStaleFence)
	}
	return err
}

// releaseScript deletes the lease only for its owner. KEYS: lease. ARGV: owner.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Release gives l up; released is false when l had already lapsed (and
// perhaps been taken by another holder, whose lease it leaves alone).
func (s *Store) Release(ctx context.Context, l Lease) (released bool, err error) {
	var n int64
	err = s.do(ctx, "release lease", func(ctx context.Context) error {
		n, err = releaseScript.Run(ctx, s.client, []string{s.leaseName(l.Key)}, l.owner).Int64()
		return err
	})
	return n == 1, err
}

// Clear deletes every key of the namespace (entries, leases, fencing
// counters), ClearBatch keys about per round trip with SCAN, never KEYS,
// and returns how many it deleted.
func (s *Store) Clear(ctx context.Context) (int, error) {
	return s.deleteMatching(ctx, "clear", s.prefix+"*")
}

// Evict deletes every entry of identity at issuer, whatever its
// configuration and scopes.
func (s *Store) Evict(ctx context.Context, issuer, identity string) error {
	_, err := s.deleteMatching(ctx, "evict", s.prefix+"t:"+s.sealer.PrincipalDigest(issuer, identity)+":*")
	return err
}

// deleteMatching scans for pattern (which holds no glob character but its
// final '*': namespaces and digests cannot) and deletes what it finds, one
// SCAN and one UNLINK per round trip, each under the timeout.
func (s *Store) deleteMatching(ctx context.Context, op, pattern string) (int, error) {
	var cursor uint64
	deleted := 0
	for {
		var keys []string
		err := s.do(ctx, op, func(ctx context.Context) error {
			var err error
			keys, cursor, err = s.client.Scan(ctx, cursor, pattern, int64(s.clearBatch)).Result()
			if err != nil || len(keys) == 0 {
				return err
			}
			n, err := s.client.Unlink(ctx, keys...).Result()
			deleted += int(n)
			return err
		})
		if err != nil {
			return deleted, err
		}
		if cursor == 0 {
			return deleted, nil
		}
	}
}
