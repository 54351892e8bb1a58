// Package credential implements the Communication Token Credential of the
// Azure Communication Services SDKs: a static token, or a refresher callback
// with an optional initial token, proactive refresh, single-flight on-demand
// refresh, abort and dispose. It knows nothing of issuers or user interfaces.
//
// # Reading a token
//
// GetToken on a fresh token is one atomic load: no lock, no clock read, no
// allocation. A timer withdraws the token from that fast path shortly before
// it enters the policy's on-demand buffer; from then on callers take the slow
// path, which reads the clock and starts or joins a refresh. On the real
// clock the timer also re-checks the wall clock every second, because Go
// timers run on the monotonic clock, which stands still while a machine
// sleeps: no token is served more than about a second past its expiry after
// a resume.
//
// # Refreshing
//
// The decisions (when to refresh, who waits on what, what to retry) are
// taken under a lock from the time alone and return what to do: arm this
// timer, start this refresh, cancel that one, complete these callers, report
// these events. One shell does it, outside the lock for anything that runs
// someone else's code. A Refresher runs in a goroutine of its own per call;
// an AsyncRefresher (for an event loop, see clock.Loop) starts none. Each
// refresh has its own context, cancelled by Abort, by Dispose, or when every
// caller waiting on it has given up (a proactive refresh has no such callers
// and goes on). A blocking GetToken is the asynchronous call waited for. A
// Policy decides the schedule (the SDKs' 10-minute window and halving
// re-polls), the on-demand buffer, how waiters share a refresh and what
// happens after a failure; DefaultPolicy, PolicyJS, PolicyDotNet, PolicyJava
// and PolicyPython reproduce tokentop's own rules and the four official SDKs.
//
// # Watching
//
// Every step is reported as an Event to Options.OnEvent (outside the lock; a
// handler may call Snapshot), and Snapshot gives the state at one instant:
// phase, token, next refresh, attempt, waiters, last error and counters.
package credential
