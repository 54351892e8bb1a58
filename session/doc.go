// Package session drives many token-credential sessions against one issuer:
// a Manager adds sessions from Specs, runs their simulated callers, carries
// out actions (refresh, abort, dispose, sign out, burst, faults), keeps
// per-session counters and a bounded event log, and publishes events to
// subscribers without ever blocking a credential.
//
// Scenarios (package scenario: JSON files, or the built-ins) declare
// sessions and a timeline of faults and actions; Manager.Start schedules
// one and RunHeadless plays one for a stretch of virtual time and writes JSON lines
// whose schema its doc comment gives. The package knows nothing of terminals.
//
// Times are on the manager's clock, which may be virtual (a clock.Scaled,
// best over a clock.Process for headless runs, or a synctest bubble in tests). A session's "token gap" is the virtual time it
// held no valid token: from its token's expiry until a new token arrived,
// counted once it first had a token and until it was disposed.
package session
