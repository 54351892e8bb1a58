//go:build race

package metrics

// raceEnabled is true in a -race build, which runs the large comparison
// an order of magnitude slower without finding more: its subject is the
// text, not concurrency.
const raceEnabled = true
