// Package scenario says what a run is: the sessions to add (Spec), a
// timeline of faults and actions (Step), and where they come from: scenario
// files (ParseScenario, LoadScenario), the built-ins (Builtin) and the
// --session flag (ParseSessionFlag). Package session plays them.
//
// Everything here is checked at load, with errors that name the field and
// what is allowed, so that no input can make a run misbehave or its memory
// grow past fixed limits. The file format is described in README.md
// ("Scenarios").
package scenario
