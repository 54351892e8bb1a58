// Package ui is tokentop's live terminal screen: a Bubble Tea v2 program that
// shows a session.Manager's sessions (countdowns, refreshes, failures, decoded
// claims, a timeline and the event log) and turns keys into Manager actions.
//
// The screen is one root Model. It never does I/O in Update: it copies a frame
// of session snapshots in a tea.Cmd on a tick (and when session events
// arrive), and issues every action as a tea.Cmd. Widgets (countdown bar,
// timeline lane, prompts, form) are plain structs drawn by the Model. Run
// wires a Manager to a terminal; NewModel builds the Model for tests.
package ui
