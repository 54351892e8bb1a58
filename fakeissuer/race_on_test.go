//go:build race

package fakeissuer

// raceEnabled is true in a -race build, where sync.Pool drops items at
// random, so that allocation counts mean nothing.
const raceEnabled = true
