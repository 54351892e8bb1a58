package session

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/internal/clock"
	"tokentop/scenario"
)

// Issue 15, item 3: a headless run on real time could only play a fixed
// duration (the scenario's, or an hour), so tokentop could not run as a
// synthetic monitor of a real issuer until stopped.
func TestHeadlessUntilInterruptedRunsPastTheScenarioUntilCtxEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc, _ := scenario.Builtin("demo") // its own duration is shorter than the three hours below
		opts, _ := fakeOptions(t, clockReal())
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(3*time.Hour, cancel)
		sum, err := RunHeadless(ctx, sc, HeadlessOptions{Manager: opts, Duration: time.Minute, UntilInterrupted: true})
		if err != nil {
			t.Fatal(err)
		}
		if !sum.Interrupted || sum.VirtualSeconds != 3*3600 {
			t.Errorf("interrupted %v after %gs; want a run until ctx ended at 10800s", sum.Interrupted, sum.VirtualSeconds)
		}
	})
}

func TestHeadlessUntilInterruptedOnScaledLoopRunsUntilCtxEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc, _ := scenario.Builtin("demo")
		loop := clock.NewPaced(time.Now(), 60)
		opts, _ := fakeOptions(t, loop)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(5*time.Minute, cancel) // real: 5 virtual hours
		sum, err := RunHeadless(ctx, sc, HeadlessOptions{Manager: opts, UntilInterrupted: true})
		if err != nil {
			t.Fatal(err)
		}
		if !sum.Interrupted || sum.VirtualSeconds < 4*3600 {
			t.Errorf("interrupted %v after %gs; want a run until ctx ended, about 5h of virtual time", sum.Interrupted, sum.VirtualSeconds)
		}
	})
}

func TestHeadlessUntilInterruptedRefusesSimTime(t *testing.T) {
	sc, _ := scenario.Builtin("demo")
	opts, _ := fakeOptions(t, clock.NewSim(time.Now()))
	_, err := RunHeadless(context.Background(), sc, HeadlessOptions{Manager: opts, UntilInterrupted: true})
	if err == nil || !strings.Contains(err.Error(), "sim time") {
		t.Errorf("err %v; want a refusal naming sim time", err)
	}
}
