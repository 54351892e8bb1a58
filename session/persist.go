package session

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"tokentop/credential"
	"tokentop/scenario"
)

// CacheKey names a cached token: which issuer minted it, for whom, and for
// which scopes. It holds no secret.
type CacheKey struct {
	Issuer, Identity string
	Scopes           []string
}

// CachedToken is a token kept across runs: the raw access token and its
// expiry. A refresh secret is never cached.
type CachedToken struct {
	Token     string
	ExpiresOn time.Time
}

// TokenCache keeps the tokens of persisted sessions (Spec.Persist) across
// runs. tokentop adapts a tokencache.Store to it.
type TokenCache interface {
	// Load returns the token kept under k; ok is false when there is none.
	Load(k CacheKey) (t CachedToken, ok bool, err error)
	// Save keeps t under k, replacing any token kept there.
	Save(k CacheKey, t CachedToken) error
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
	mu     sync.Mutex
	tokens map[string]CachedToken
}

// NewMemoryCache returns an empty in-memory cache.
func NewMemoryCache() *MemoryCache { return &MemoryCache{tokens: map[string]CachedToken{}} }

// maxMemoryCacheEntries bounds a MemoryCache: one entry per persisted
// session is kept, and a scenario has at most scenario.MaxScenarioSessions.
const maxMemoryCacheEntries = scenario.MaxScenarioSessions

func memoryKey(k CacheKey) string {
	scopes := slices.Clone(k.Scopes)
	slices.Sort(scopes)
	return fmt.Sprintf("%q %q %q", k.Issuer, k.Identity, strings.Join(scopes, " "))
}

// Load returns the token kept under k.
func (c *MemoryCache) Load(k CacheKey) (CachedToken, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tokens[memoryKey(k)]
	return t, ok, nil
}

// Save keeps t under k.
func (c *MemoryCache) Save(k CacheKey, t CachedToken) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := memoryKey(k)
	if _, ok := c.tokens[key]; !ok && len(c.tokens) >= maxMemoryCacheEntries {
		return fmt.Errorf("the in-memory token cache is full (%d tokens)", maxMemoryCacheEntries)
	}
	c.tokens[key] = t
	return nil
}

// cacheKey is the session's key in the token cache.
func (s *Session) cacheKey() CacheKey {
	iss := s.m.opts.Issuer.Name()
	if s.spec.Teams != nil {
		iss += " teams " + s.spec.Teams.ClientID
	}
	return CacheKey{Issuer: iss, Identity: s.spec.Identity, Scopes: slices.Clone(s.spec.Scopes)}
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
	if m.loop != nil {
		return m.do(m.restartAll)
	}
	if m.isClosed() {
		return ErrClosed
	}
	m.restartAll()
	return nil
}

func (m *Manager) restartAll() {
	for _, s := range m.Sessions() {
		if err := s.restart(); err != nil {
			m.emit(KindActionFailed, "restart session "+s.spec.Name, err)
		}
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
	s.noToken, s.lastCall, s.source = nil, callNote{}, ""
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
