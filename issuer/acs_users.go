package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// The Communication users of the ACS adapter: one per identity, made on its
// first call, revoked on sign-out, and deleted when the adapter closes.

// acsUser is the Communication user of one identity.
type acsUser struct {
	// slot is held (a value sent) while the user is created, so that
	// concurrent first calls of one identity create one user; each waits
	// for it with its own context.
	slot chan struct{}
	id   string // guarded by ACS.mu; empty until created
}

// userID returns the Communication user of identity, creating it on the
// identity's first call. Concurrent first calls create one user: the others
// wait for it, each within its own context.
func (a *ACS) userID(ctx context.Context, timeout time.Duration, identity string) (string, error) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return "", ErrClosed
	}
	u := a.users[identity]
	if u == nil {
		if len(a.users) >= MaxACSUsers {
			a.mu.Unlock()
			return "", fmt.Errorf("identity %s would be the %dth given a Communication user; one run creates at most %d", identity, MaxACSUsers+1, MaxACSUsers)
		}
		u = &acsUser{slot: make(chan struct{}, 1)}
		a.users[identity] = u
	}
	id := u.id
	a.mu.Unlock()
	if id != "" {
		return id, nil
	}

	select {
	case u.slot <- struct{}{}:
	case <-ctx.Done():
		return "", describeCallError(ctx, timeout, ctx.Err())
	}
	defer func() { <-u.slot }()
	a.mu.Lock()
	if id, closed := u.id, a.closed; id != "" || closed { // created while this call waited, or closed
		a.mu.Unlock()
		if closed {
			return "", ErrClosed
		}
		return id, nil
	}
	a.creating.Add(1) // before Close can wait: closed is checked under the same lock
	a.mu.Unlock()
	defer a.creating.Done()

	id, err := a.createUser(ctx, timeout)
	if err != nil {
		return "", fmt.Errorf("create a Communication user for %s: %w", identity, err)
	}
	a.mu.Lock()
	u.id = id
	a.mu.Unlock()
	return id, nil
}

// createUser creates a Communication user and returns its id.
func (a *ACS) createUser(ctx context.Context, timeout time.Duration) (string, error) {
	u := *a.base
	u.Path += "/identities"
	u.RawQuery = "api-version=" + ACSAPIVersion
	resp, err := a.call(ctx, timeout, http.MethodPost, &u, nil) // no body, as the client libraries: a user without a token
	if err != nil {
		return "", err
	}
	var created struct {
		Identity struct {
			ID string `json:"id"`
		} `json:"identity"`
	}
	if err := json.Unmarshal(resp.body, &created); err != nil {
		return "", fmt.Errorf("the answer is not the JSON expected (%s)", shapeOf(resp.body, resp.contentType))
	}
	id := created.Identity.ID
	if id == "" || len(id) > maxACSUserIDBytes || !isTokenText(id) {
		return "", fmt.Errorf("the answer has no usable identity.id (%s)", shapeOf(resp.body, resp.contentType))
	}
	return id, nil
}

// Revoke revokes every token issued so far to identity's Communication
// user. An identity that never got a user has no token to revoke.
func (a *ACS) Revoke(ctx context.Context, identity string) error {
	timeout := a.opts.timeout()
	callCtx, cancel := context.WithTimeoutCause(ctx, timeout, ErrTimeout)
	defer cancel()
	a.mu.Lock()
	closed, u := a.closed, a.users[identity]
	a.mu.Unlock()
	switch {
	case closed:
		return a.fail(ErrClosed)
	case u == nil:
		return nil
	}
	// Wait for a creation in flight: its user may already hold a token.
	select {
	case u.slot <- struct{}{}:
		<-u.slot
	case <-callCtx.Done():
		return a.fail(fmt.Errorf("revoke the tokens of %s: %w", identity, describeCallError(callCtx, timeout, callCtx.Err())))
	}
	a.mu.Lock()
	id := u.id
	a.mu.Unlock()
	if id == "" {
		return nil
	}
	if _, err := a.call(callCtx, timeout, http.MethodPost, a.identityURL(id, ":revokeAccessTokens"), nil); err != nil {
		return a.fail(fmt.Errorf("revoke the tokens of %s (user %s): %w", identity, id, err))
	}
	return nil
}

// Close deletes the Communication users the adapter created (unless
// KeepUsers), after the creations in flight end, and ends a fetch of its
// signing keys; later calls fail with ErrClosed. It takes at most 30
// seconds, and names the users it could not delete. A user already gone
// counts as deleted. DeletedIdentities then names the identities whose
// users are gone.
func (a *ACS) Close() error { return a.CloseContext(context.Background(), nil) }

// CloseContext is Close, cut short when ctx ends (a second Ctrl-C): the
// deletions in flight are abandoned and the error names every user left.
// deleting, if not nil, is told how many users are to be deleted before
// the first is, so that a caller can say why it waits.
func (a *ACS) CloseContext(ctx context.Context, deleting func(users int)) error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	a.mu.Unlock()
	a.keys.close()
	a.creating.Wait()
	if a.keep {
		return nil
	}
	var ids []string
	identities := map[string]string{} // by user id
	a.mu.Lock()
	for identity, u := range a.users {
		if u.id != "" {
			ids = append(ids, u.id)
			identities[u.id] = identity
		}
	}
	a.mu.Unlock()
	slices.Sort(ids)
	if len(ids) == 0 {
		return nil
	}
	if deleting != nil {
		deleting(len(ids))
	}

	ctx, cancel := context.WithTimeoutCause(ctx, acsCloseTimeout, ErrTimeout)
	defer cancel()
	errs := make([]error, len(ids))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(acsCloseWorkers, len(ids)) {
		wg.Go(func() {
			for n := range next {
				errs[n] = a.deleteUser(ctx, ids[n])
			}
		})
	}
	for n := range ids {
		next <- n
	}
	close(next)
	wg.Wait()

	var deleted []string
	for n, err := range errs {
		if err == nil {
			deleted = append(deleted, identities[ids[n]])
		}
	}
	slices.Sort(deleted)
	a.mu.Lock()
	a.deleted = deleted
	a.mu.Unlock()
	var failed []string
	var first error
	for n, err := range errs {
		if err != nil {
			failed = append(failed, ids[n])
			if first == nil {
				first = err
			}
		}
	}
	if len(failed) == 0 {
		return nil
	}
	if cause := context.Cause(ctx); ctx.Err() != nil && !errors.Is(cause, ErrTimeout) {
		first = fmt.Errorf("stopped waiting: %w", cause) // the caller's choice, not the service's failure
	}
	list := strings.Join(failed[:min(len(failed), 5)], ", ")
	if len(failed) > 5 {
		list += fmt.Sprintf(" and %d more", len(failed)-5)
	}
	return a.fail(fmt.Errorf("could not delete %d of the %d Communication users created (%s; delete them by hand): %w", len(failed), len(ids), list, first))
}

// DeletedIdentities returns the identities whose users Close deleted,
// sorted: their tokens are dead. It is empty before Close.
func (a *ACS) DeletedIdentities() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.deleted)
}

// deleteUser deletes one user; one already gone (404) counts as deleted.
func (a *ACS) deleteUser(ctx context.Context, id string) error {
	timeout := a.opts.timeout()
	callCtx, cancel := context.WithTimeoutCause(ctx, timeout, ErrTimeout)
	defer cancel()
	_, err := a.call(callCtx, timeout, http.MethodDelete, a.identityURL(id, ""), nil)
	if se, ok := errors.AsType[*StatusError](err); ok && se.StatusCode == http.StatusNotFound {
		return nil
	}
	return err
}
