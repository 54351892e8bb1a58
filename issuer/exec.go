package issuer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"tokentop/credential"
)

// maxStderrBytes is how much of a command's stderr is kept for its error.
const maxStderrBytes = 4 << 10

// Environment variables an Exec command receives, besides tokentop's own
// environment less its secrets (TOKENTOP_CACHE_KEY, TOKENTOP_ADMIN_TOKEN).
const (
	EnvIdentity        = "TOKENTOP_IDENTITY"         // the identity asked for
	EnvScopes          = "TOKENTOP_SCOPES"           // the scopes, space-separated
	EnvLifetimeSeconds = "TOKENTOP_LIFETIME_SECONDS" // the lifetime asked for; 0 means the issuer's default
)

// withheld says whether an environment variable is one of tokentop's own
// secrets, which an Exec command does not inherit: the token cache's key
// and the fake issuer's admin token. (Windows spells names in any case.)
func withheld(name string) bool {
	return strings.EqualFold(name, "TOKENTOP_CACHE_KEY") || strings.EqualFold(name, "TOKENTOP_ADMIN_TOKEN")
}

// childEnviron is env ("NAME=value" entries) without the withheld ones.
func childEnviron(env []string) []string {
	out := make([]string, 0, len(env)+3) // the caller adds the three Env* variables
	for _, kv := range env {
		if name, _, _ := strings.Cut(kv, "="); !withheld(name) {
			out = append(out, kv)
		}
	}
	return out
}

// ExecConfig describes a command that prints a token.
type ExecConfig struct {
	// Argv is the command and its arguments; no shell is involved.
	Argv []string
	// TokenField is the dotted JSON path of the token in the output; empty
	// means communicationIdentityToken, access_token, accessToken or token,
	// or the whole output as a bare token.
	TokenField string
	// SecretEnv names environment variables whose values are secrets the
	// command may print (a password echoed on stderr): they are replaced by
	// [redacted] in errors. They are read once, by NewExec, through
	// Options.LookupEnv; one that is not set is ignored. The command's other
	// environment is not treated as secret.
	SecretEnv []string
	// Keys names the issuer's public keys, to check each token's signature
	// (CallInfo.Signature); the zero value checks none. They are fetched
	// with Options.HTTPClient.
	Keys KeySource
}

// Exec issues tokens by running a command, such as
// "az account get-access-token -o json". The command is sent SIGTERM (its
// whole process group, on Unix) when the call's context ends, and SIGKILL if
// it is still running Options.KillDelay later. On Linux, what is left of its
// group (children it started in the background) is killed as soon as the
// command exits, so that no process outlives the call. It is safe for
// concurrent use.
type Exec struct {
	// reporter names the endpoint and holds the SecretEnv values, to redact.
	reporter
	cfg  ExecConfig
	path string
	opts Options
	keys *keySet // nil without Keys
	// killGroup sends SIGKILL to a process group; nil means the system call.
	// Tests replace it to see when the kill happens.
	killGroup func(pgid int) error
}

// NewExec checks that the command exists, fetches the signing keys cfg.Keys
// names (a failure there is reported on each token, not here) and returns
// the adapter. Close it when done.
func NewExec(cfg ExecConfig, opts Options) (*Exec, error) {
	if len(cfg.Argv) == 0 || cfg.Argv[0] == "" {
		return nil, errors.New("exec issuer: no command given")
	}
	endpoint := "exec " + strings.Join(cfg.Argv, " ")
	path, err := exec.LookPath(cfg.Argv[0])
	if err != nil {
		return nil, fmt.Errorf("issuer %s: command %q not found or not executable (%w); check the spelling and PATH", oneLine(endpoint), cfg.Argv[0], err)
	}
	var secrets []string
	for _, name := range cfg.SecretEnv {
		if v, ok := opts.lookupEnv(name); ok {
			secrets = append(secrets, v)
		}
	}
	var keys *keySet
	if cfg.Keys.Configured() {
		if keys, err = newKeySet(cfg.Keys, adapterClient(opts.httpClient()), opts); err != nil {
			return nil, fmt.Errorf("issuer %s: %w", oneLine(endpoint), err)
		}
	}
	return &Exec{
		reporter: reporter{endpoint: oneLine(endpoint), secrets: newRedactor(secrets...)},
		cfg:      cfg,
		path:     path,
		opts:     opts,
		keys:     keys,
	}, nil
}

// Close stops the background refresh of the signing keys. The adapter must
// not be used after.
func (e *Exec) Close() error {
	e.keys.close()
	return nil
}

// Name is "exec" and the command line.
func (e *Exec) Name() string { return e.endpoint }

// Issue runs the command and reads the token from its stdout. If ctx
// carries a CallInfo, its Signature is filled.
func (e *Exec) Issue(ctx context.Context, r Request) (credential.AccessToken, error) {
	timeout := e.opts.timeout()
	callCtx, cancel := context.WithTimeoutCause(ctx, timeout, ErrTimeout)
	defer cancel()

	cmd := exec.CommandContext(callCtx, e.path, e.cfg.Argv[1:]...)
	cmd.Args[0] = e.cfg.Argv[0]
	cmd.Env = append(childEnviron(os.Environ()),
		EnvIdentity+"="+r.Identity,
		EnvScopes+"="+strings.Join(r.Scopes, " "),
		EnvLifetimeSeconds+"="+strconv.FormatInt(int64(r.Lifetime.Seconds()), 10),
	)
	stdout := &cappedBuffer{limit: MaxResponseBytes, onOverflow: cancel}
	stderr := &cappedBuffer{limit: maxStderrBytes}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = e.opts.killDelay()
	terminateGroupOnCancel(cmd)

	err := cmd.Start()
	if err == nil {
		// What is left of the group (background children, children that
		// ignored SIGTERM) is killed before Wait reaps the command: once it
		// is reaped, its group id may name another group.
		killGroupBeforeReaping(cmd, e.killGroup)
		err = cmd.Wait()
		if errors.Is(err, exec.ErrWaitDelay) && callCtx.Err() == nil {
			// The command exited 0 but something it started (outside its
			// group, or where groups cannot be killed) still holds stdout
			// open: what the command printed before it exited stands.
			err = nil
		}
	}
	switch {
	case stdout.overflowed():
		return credential.AccessToken{}, e.fail(fmt.Errorf("stdout: %w", ErrResponseTooLarge))
	case callCtx.Err() != nil:
		return credential.AccessToken{}, e.fail(e.withStderr(describeCallError(callCtx, timeout, err), stderr))
	case err != nil:
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return credential.AccessToken{}, e.fail(e.withStderr(fmt.Errorf("command failed: %w", exitErr), stderr))
		}
		return credential.AccessToken{}, e.fail(e.withStderr(fmt.Errorf("cannot run the command: %w", err), stderr))
	}
	tok, err := parseTokenResponse(stdout.bytes(), "", e.cfg.TokenField, e.opts.now())
	if err != nil {
		return credential.AccessToken{}, e.fail(e.withStderr(fmt.Errorf("stdout: %w", err), stderr))
	}
	if info := CallInfoFrom(ctx); info != nil {
		info.Signature = e.keys.check(callCtx, tok.Token)
	}
	return tok, nil
}

// withStderr appends the start of the command's stderr to err, if it wrote
// any, redacted.
func (e *Exec) withStderr(err error, stderr *cappedBuffer) error {
	if text := e.secrets.excerpt(stderr.bytes()); text != "" {
		return fmt.Errorf("%w; stderr: %s", err, text)
	}
	return err
}

// cappedBuffer keeps the first limit bytes written to it and drops the rest,
// so that a chatty command cannot use unbounded memory. onOverflow, if set,
// is called once when the limit is first passed.
type cappedBuffer struct {
	limit      int
	onOverflow func()

	mu   sync.Mutex // the exec package's copying goroutines write; Issue reads after Wait
	buf  []byte
	over bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	room := b.limit - len(b.buf)
	if len(p) <= room {
		b.buf = append(b.buf, p...)
		return len(p), nil
	}
	b.buf = append(b.buf, p[:max(room, 0)]...)
	if !b.over && b.onOverflow != nil {
		b.onOverflow()
	}
	b.over = true
	return len(p), nil
}

func (b *cappedBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf
}

func (b *cappedBuffer) overflowed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.over
}

var _ Issuer = (*Exec)(nil)
