package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"

	"tokentop/session"
)

// ErrNotTerminal is wrapped by CheckTerminal when output is not a terminal.
var ErrNotTerminal = errors.New("standard output is not a terminal")

// CheckTerminal reports whether f (normally os.Stdout) can show the live
// screen, with an error that says what to do instead.
func CheckTerminal(f *os.File) error {
	if f == nil || !term.IsTerminal(f.Fd()) {
		return fmt.Errorf("tokentop: %w, so the live screen cannot be drawn; "+
			"run with --headless to print the events as text instead (add --json for JSON lines)", ErrNotTerminal)
	}
	return nil
}

// NewModel returns the screen over m, for tests and for callers that run
// their own tea.Program. Feed it session events as EventsMsg.
func NewModel(m *session.Manager, opts Options) Model {
	model, _ := newManagerModel(m, opts)
	return model
}

// newManagerModel builds the screen over m and returns its backend too,
// defaulting the clock and issuer name from m.
func newManagerModel(m *session.Manager, opts Options) (Model, *managerBackend) {
	if opts.Clock == nil {
		opts.Clock = m.Clock()
	}
	if opts.Issuer == "" {
		opts.Issuer = m.IssuerName()
	}
	be := newManagerBackend(m, opts.Clock)
	return newModel(be, opts), be
}

// Run shows the live screen for m until the user quits or ctx is done, and
// returns nil then. It subscribes to m's events before the program starts
// (sessions added earlier are still shown in full: the screen reads their
// state and logs, the events only wake it up), and closes its subscription
// when it returns. The caller still owns m and closes it.
func Run(ctx context.Context, m *session.Manager, opts Options) error {
	return run(ctx, m, opts)
}

// run is Run with extra program options (tests give it pipes for a terminal).
func run(ctx context.Context, m *session.Manager, opts Options, extra ...tea.ProgramOption) error {
	model, be := newManagerModel(m, opts)
	sub := m.Subscribe(4096)

	progOpts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithFPS(screenFPS)}
	if opts.NoColor {
		progOpts = append(progOpts, tea.WithColorProfile(colorprofile.ASCII))
	}
	p := tea.NewProgram(model, append(progOpts, extra...)...)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // owned by Run: ends when sub is closed below
		defer wg.Done()
		pumpEvents(sub, be, model.opts.FrameInterval, p.Send)
	}()
	_, err := p.Run()
	model.frames.stop()
	sub.Close()
	wg.Wait()

	switch {
	case err == nil, errors.Is(err, tea.ErrInterrupted):
		return nil
	case errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		return nil
	}
	return fmt.Errorf("tokentop: the terminal screen failed: %w", err)
}

// pumpEvents forwards the subscription's events to the screen as EventsMsgs,
// coalescing what arrives within batch (the frame interval: a storm of
// events becomes at most one refresh per frame, not one per event). It
// returns when sub's channel is closed. send may block until the program
// runs, and returns at once after it has exited.
func pumpEvents(sub *session.Subscription, be *managerBackend, batch time.Duration, send func(tea.Msg)) {
	c := sub.C()
	for {
		e, ok := <-c
		if !ok {
			return
		}
		be.observe(e)
		n := 1
		wait := time.NewTimer(batch)
	gather:
		for {
			select {
			case e, ok := <-c:
				if !ok {
					wait.Stop()
					send(EventsMsg{N: n})
					return
				}
				be.observe(e)
				n++
			case <-wait.C:
				break gather
			}
		}
		send(EventsMsg{N: n})
	}
}

// screenFPS caps how often the renderer flushes. The screen changes at most
// once per frame tick or event batch, so 30 is plenty and halves the
// renderer's idle wake-ups compared with Bubble Tea's default 60.
const screenFPS = 30
