package session

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"tokentop/credential"
	"tokentop/issuer"
	"tokentop/scenario"
)

// CacheKey names a cached token: which issuer minted it (Issuer, its name),
// under which configuration (Config, the cache's keyed digest of
// everything in the issuer's configuration that chooses the token's
// principal and audience: issuer.CacheIdentifier), for whom, and for which
// scopes. It holds no secret.
type CacheKey struct {
	Issuer, Config, Identity string
	Scopes                   []string
}

// CachedToken is a token kept across runs: the raw access token and its
// expiry. A refresh secret is never cached.
type CachedToken struct {
	Token     string
	ExpiresOn time.Time
}

// TokenCache keeps the tokens of persisted sessions (Spec.Persist) across
// runs. tokentop adapts a tokencache.Store to it.
//
// A cache that also has a method Digest(s string) string (a CacheDigester)
// supplies the keyed digest of CacheKey.Config; without one the manager
// digests with a key of its own, so its tokens resume only inside the
// manager (the restart action). Tokens of an issuer that is not an
// issuer.CacheIdentifier resume only inside the manager too: nothing says
// which configuration made them.
type TokenCache interface {
	// Load returns the token kept under k; ok is false when there is none.
	Load(k CacheKey) (t CachedToken, ok bool, err error)
	// Save keeps t under k, replacing any token kept there.
	Save(k CacheKey, t CachedToken) error
	// Evict drops every token of identity at issuer (CacheKey.Issuer),
	// whatever its configuration and scopes: the identity signed out.
	Evict(issuer, identity string) error
}

// CacheDigester is a TokenCache that supplies the keyed digest of the
// issuer's configuration (CacheKey.Config) and of the secrets in it: the
// same input gives the same digest in every process that opens the cache,
// and nobody without the cache's secret can compute it.
type CacheDigester interface {
	Digest(s string) string
}

// Token sources: where a session's current token came from (Snapshot.TokenSource).
const (
	SourceIssuer  = "issuer"  // a refresh the credential made
	SourceCache   = "cache"   // the token cache, at start (Spec.Persist)
	SourceInitial = "initial" // an initial token given or issued at start
	SourceStatic  = "static"  // a static session's one token
)

// MemoryCache is a TokenCache in memory: a restart inside one process (the
// restart action) resumes from it, nothing outlives the process. It is safe
// for concurrent use.
type MemoryCache struct {
	digest func(string) string // keyed by a random key: nothing outlives the process
	mu     sync.Mutex
	tokens map[string]memoryEntry
}

// memoryEntry is a token and the key it is kept under.
type memoryEntry struct {
	key CacheKey
	tok CachedToken
}

// NewMemoryCache returns an empty in-memory cache.
func NewMemoryCache() *MemoryCache {
	return &MemoryCache{digest: newDigest(), tokens: map[string]memoryEntry{}}
}

// newDigest returns a keyed digest under a random key.
func newDigest() func(string) string {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	return func(s string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return hex.EncodeToString(m.Sum(nil)[:16])
	}
}

// Digest returns a keyed digest of s, under a key of this cache.
func (c *MemoryCache) Digest(s string) string { return c.digest(s) }

// maxMemoryCacheEntries bounds a MemoryCache: one entry per persisted
// session is kept, and a scenario has at most scenario.MaxScenarioSessions.
const maxMemoryCacheEntries = scenario.MaxScenarioSessions

func memoryKey(k CacheKey) string {
	scopes := slices.Clone(k.Scopes)
	slices.Sort(scopes)
	return fmt.Sprintf("%q %q %q %q", k.Issuer, k.Config, k.Identity, strings.Join(scopes, " "))
}

// Load returns the token kept under k.
func (c *MemoryCache) Load(k CacheKey) (CachedToken, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.tokens[memoryKey(k)]
	return e.tok, ok, nil
}

// Save keeps t under k.
func (c *MemoryCache) Save(k CacheKey, t CachedToken) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := memoryKey(k)
	if _, ok := c.tokens[key]; !ok && len(c.tokens) >= maxMemoryCacheEntries {
		return fmt.Errorf("the in-memory token cache is full (%d tokens)", maxMemoryCacheEntries)
	}
	c.tokens[key] = memoryEntry{key: k, tok: t}
	return nil
}

// Evict drops every token of identity at issuer.
func (c *MemoryCache) Evict(issuer, identity string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	maps.DeleteFunc(c.tokens, func(_ string, e memoryEntry) bool {
		return e.key.Issuer == issuer && e.key.Identity == identity
	})
	return nil
}

// cacheKey is the session's key in the token cache: Config digests the
// issuer's cache identity and, for a Teams session, the Teams issuer's and
// the client id, so a token is resumed only under the configuration that
// obtained it.
func (s *Session) cacheKey() CacheKey {
	config := s.m.cacheID.issuer
	if s.spec.Teams != nil {
		b, _ := json.Marshal([]string{config, "teams", s.m.cacheID.teams, s.spec.Teams.ClientID}) // strings always marshal
		config = string(b)
	}
	return CacheKey{Issuer: s.m.opts.Issuer.Name(), Config: s.m.cacheID.digest(config), Identity: s.spec.Identity, Scopes: slices.Clone(s.spec.Scopes)}
}

// cacheIdentity is what the manager's cache keys are made of: the issuers'
// cache identities (issuer.CacheIdentifier) and the digest that keys them.
type cacheIdentity struct {
	issuer, teams string
	digest        func(string) string
}

// newCacheIdentity describes the manager's issuers for its cache. An issuer
// that is not an issuer.CacheIdentifier gets a random identity: its tokens
// resume only inside this manager.
func newCacheIdentity(cache TokenCache, iss issuer.Issuer, teams TeamsIssuer) cacheIdentity {
	id := cacheIdentity{digest: newDigest()}
	if d, ok := cache.(CacheDigester); ok {
		id.digest = d.Digest
	}
	of := func(x any) string {
		if c, ok := x.(issuer.CacheIdentifier); ok {
			return c.CacheIdentity(id.digest)
		}
		return "unidentified " + newDigest()("")
	}
	id.issuer = of(iss)
	if teams != nil {
		id.teams = of(teams)
	}
	return id
}

// loadCached returns a persisted session's cached token if it is still
// valid on the manager's clock; an expired one is ignored, and a cache that
// cannot be read is reported and treated as empty.
func (s *Session) loadCached() (string, time.Time, bool) {
	if !s.spec.Persist || s.m.cache == nil {
		return "", time.Time{}, false
	}
	t, ok, err := s.m.cache.Load(s.cacheKey())
	if err != nil {
		s.emit(Event{Kind: KindActionFailed, Message: "read the token cache; the session asks the issuer", Err: err})
		return "", time.Time{}, false
	}
	if !ok || t.Token == "" {
		return "", time.Time{}, false
	}
	at, err := credential.ParseJWT(t.Token)
	if err != nil || !s.m.clock.Now().Before(at.ExpiresOn) {
		return "", time.Time{}, false
	}
	return t.Token, at.ExpiresOn, true
}

// saveCached keeps a persisted session's newly accepted token. A failure
// is reported; the session goes on with its token.
func (s *Session) saveCached(tok credential.AccessToken) {
	if !s.spec.Persist || s.m.cache == nil || tok.Token == "" {
		return
	}
	s.mu.Lock()
	disposed := s.disposed
	s.mu.Unlock()
	if disposed { // signed out: its tokens were evicted and must stay out
		return
	}
	if err := s.m.cache.Save(s.cacheKey(), CachedToken{Token: tok.Token, ExpiresOn: tok.ExpiresOn}); err != nil {
		s.emit(Event{Kind: KindActionFailed, Message: "save the token to the token cache", Err: err})
	}
}

// setSource records where the current token came from.
func (s *Session) setSource(src string) {
	s.mu.Lock()
	s.source = src
	s.mu.Unlock()
}

// Restart closes and reopens every live session, as a restart of tokentop
// would: each loses its credential, its token and its callers, and starts
// again from its spec on the same clock (its simulated callers, standing
// for the application's code, carry on), so a persisted session resumes from
// the token cache and the others must ask the issuer. Counters and the
// token gap carry on across the restart; disposed sessions stay disposed.
func (m *Manager) Restart() error {
	return m.do(m.restartAll)
}

func (m *Manager) restartAll() {
	for _, s := range m.Sessions() {
		restart := func() {
			if err := s.restart(); err != nil {
				m.emit(KindActionFailed, "restart session "+s.spec.Name, err)
			}
		}
		if m.blocksOnIssue(s.spec) { // its first token again: off the loop
			m.offLoop(restart)
			continue
		}
		restart()
	}
}

// restart drops the session's credential and token and starts it again.
func (s *Session) restart() error {
	s.mu.Lock()
	if s.disposed {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	if c := s.cred(); c != nil {
		c.Dispose()
	}
	now := s.m.clock.Now()
	s.mu.Lock()
	// The token in memory is gone: a gap runs from now until a new one.
	s.gap.stopped = false
	if s.gap.validUntil.After(now) {
		s.gap.validUntil = now
	}
	s.noToken, s.source = nil, ""
	s.mu.Unlock()
	return s.start()
}

// ErrNoCacheToClear is returned by ClearCache when the manager's token
// cache cannot be cleared.
var ErrNoCacheToClear = errors.New("session: this token cache has no Clear method, so it cannot be cleared")

// cacheClearer is a TokenCache that can drop every token it keeps.
type cacheClearer interface{ Clear() error }

// Clear drops every token kept.
func (c *MemoryCache) Clear() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.tokens)
	return nil
}

// ClearCache removes every token from the token cache (Options.Cache, or
// the in-memory one): persisted sessions that start or restart afterwards
// ask the issuer. The sessions' current tokens are untouched. It fails on a
// closed manager and when the cache has no Clear() error method.
func (m *Manager) ClearCache() error {
	if m.isClosed() {
		return ErrClosed
	}
	c, ok := m.cache.(cacheClearer)
	if !ok {
		return fmt.Errorf("%w (%T)", ErrNoCacheToClear, m.cache)
	}
	if err := c.Clear(); err != nil {
		return fmt.Errorf("token cache: %w", err)
	}
	return nil
}
