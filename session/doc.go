// Package session drives many token-credential sessions against one issuer:
// a Manager adds sessions from Specs, runs their simulated callers, carries
// out actions (refresh, abort, dispose, sign out, burst, faults), keeps
// per-session counters and a bounded event log, and publishes events to
// subscribers without ever blocking a credential.
//
// Scenarios (package scenario) declare sessions and a timeline of faults
// and actions; Manager.Start schedules one, and RunHeadless plays one for a
// stretch of virtual time and writes its events as lines (their schema is
// in the README, "Headless runs and their JSON"). The package knows nothing
// of terminals.
//
// Every manager runs on a clock.Loop (see loop.go): sim, paced at a time
// warp, or following the wall clock (clock.NewWall) for a real issuer, whose
// blocking calls run in goroutines that post their results back. Times are
// on the loop's clock. A session's "token gap" is the time it held no valid
// token while it was live (Stats.TokenGap).
package session
