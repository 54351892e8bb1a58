package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/issuer"
	"tokentop/scenario"
	"tokentop/session"
	"tokentop/ui"
)

// Default time warps with the fake issuer: an hour-long token lives through
// its refresh window in about a minute on screen, and in a second headless.
const (
	defaultSpeedTUI      = 60
	defaultSpeedHeadless = 3600
)

// speedDefaults says the defaults above where --help, the README and the
// --speed 0 error name them: the headless one applies in scaled time only
// (sim time has no speed).
const speedDefaults = "60 on screen, 3600 for --headless --clock scaled"

// app is a configured tokentop run: the scenario, and the manager options
// that wire the issuer and the clock.
type app struct {
	cfg      config
	getenv   func(string) string
	scenario scenario.Scenario
	manager  session.Options
	speed    float64
	loop     *clock.Loop            // the fake issuer's event loop; nil for a real issuer (the manager or RunHeadless runs a wall loop)
	verify   func(raw string) error // signature check for the detail pane; nil: not checked
	closers  []func() error         // run by close
	cache    string                 // the token cache in use, for the header; "" when no session persists
	report   *reportFile            // --report's file, opened before the run; nil without it
	stderr   io.Writer              // warnings and notes, apart from the run's output
}

// close releases what newApp started, the last started first: the issuer
// closes (and names the identities it deleted) before the token cache
// writes its last changes.
func (a *app) close() {
	for _, c := range slices.Backward(a.closers) {
		c()
	}
}

// newApp checks the configuration and builds the issuer, the clock and the
// scenario. ctx ends waits for the token cache's lock, at start and during the run.
func newApp(ctx context.Context, cfg config, getenv func(string) string, stderr io.Writer) (*app, error) {
	a := &app{cfg: cfg, getenv: getenv, stderr: stderr}
	sc, err := loadScenario(cfg)
	if err != nil {
		return nil, err
	}
	a.scenario = sc
	store, cacheDesc, err := openCacheFor(ctx, cfg, sc, getenv, stderr)
	if err != nil {
		return nil, err
	}
	a.cache = cacheDesc
	var cache session.TokenCache // nil: the sessions' in-memory cache
	var stored *storeCache
	if store != nil {
		stored = newStoreCache(store)
		cache = stored
		a.closers = append(a.closers, func() error { return stored.close(stderr) })
	}
	defer func() { // every return below sets the manager's options
		a.manager.Cache = cache
	}()

	spec, err := issuer.ParseSpec(cfg.issuer)
	if err != nil {
		return nil, usageError{fmt.Errorf("--issuer: %w", err)}
	}
	if spec.Kind != issuer.KindFake {
		if cfg.clock != "" {
			return nil, usagef("--clock %s: a real issuer mints tokens that expire in real time, so it runs on the real clock; leave --clock out", cfg.clock)
		}
		if cfg.speed != 0 && cfg.speed != 1 {
			return nil, usagef("--speed %v: a real issuer mints tokens that expire in real time, so only --speed 1 works with an %s issuer", cfg.speed, spec.Kind)
		}
		if !cfg.scenarioSet {
			a.scenario = withoutFaults(a.scenario)
		}
		iss, err := spec.New(issuer.Options{HTTPClient: issuer.NewHTTPClient(), LookupEnv: lookupEnv(getenv), Timeout: cfg.issuerTimeout})
		if err != nil {
			return nil, usageError{fmt.Errorf("--issuer: %w", err)}
		}
		if c, ok := iss.(io.Closer); ok { // acs: deletes the users it created; the others end a key fetch
			a.closers = append(a.closers, func() error {
				err := closeIssuer(c, stderr, untilInterrupted)
				if stored != nil {
					stored.evictDeleted(iss)
				}
				return err
			})
		}
		a.speed = 1
		// On the wall clock the manager runs a loop that follows it (the TUI),
		// or RunHeadless does; each issuer call runs in a goroutine off it.
		a.manager = session.Options{Issuer: iss, Clock: clock.Real{}, IssueTimeout: cfg.issuerTimeout}
		return a, nil
	}

	// The fake issuer's sessions run on an event loop: in sim time (exact and
	// reproducible, as fast as the machine goes) or paced at a time warp that
	// slows down rather than skip refresh windows when the machine falls behind.
	var clk *clock.Loop
	if cfg.clockMode() == clockSim {
		clk = clock.NewSim(sc.StartTime())
	} else {
		a.speed = cfg.speed
		if a.speed == 0 {
			a.speed = defaultSpeedTUI
			if cfg.headless {
				a.speed = defaultSpeedHeadless
			}
		}
		clk = clock.NewPaced(time.Now(), a.speed)
	}
	a.loop = clk
	fake, err := fakeissuer.New(fakeissuer.Options{Clock: clk, Algorithm: cfg.fakeAlgorithm(sc)})
	if err != nil {
		return nil, fmt.Errorf("starting the fake issuer: %w", err)
	}
	if stored != nil {
		stored.w.SetClock(clk.Now) // cached tokens expire in the run's virtual time
	}
	// The fake is also the manager's resource check and fault injector.
	a.manager = session.Options{Issuer: fake, Clock: clk, Seed: cfg.seed, IssuerLatency: sc.IssuerLatency, IssueTimeout: cfg.issuerTimeout}
	a.verify = verifySignature(fake)
	return a, nil
}

// loadScenario picks the scenario: --session values alone make a scenario of
// their own unless --scenario is given too, in which case they are added to it.
func loadScenario(cfg config) (scenario.Scenario, error) {
	var specs []scenario.Spec
	for _, v := range cfg.sessions {
		more, err := scenario.ParseSessionFlags(v, cfg.policy) // count=N gives N
		if err != nil {
			return scenario.Scenario{}, usageError{err}
		}
		specs = append(specs, more...)
	}
	var sc scenario.Scenario
	if len(specs) > 0 && !cfg.scenarioSet {
		sc = scenario.Scenario{Name: "custom"}
	} else {
		var err error
		if sc, err = findScenario(cfg.scenario); err != nil {
			return sc, err
		}
	}
	if cfg.policy != "" {
		for i := range sc.Sessions {
			if sc.Sessions[i].Policy == "" {
				sc.Sessions[i].Policy = cfg.policy
			}
		}
	}
	names := make(map[string]bool, len(sc.Sessions)+len(specs))
	for _, s := range sc.Sessions {
		names[s.Name] = true
	}
	for _, s := range specs {
		if names[s.Name] {
			return sc, usagef("--session name=%s: a session of that name is already in scenario %s or an earlier --session; names must be unique", s.Name, sc.Name)
		}
		names[s.Name] = true
	}
	sc.Sessions = append(sc.Sessions, specs...)
	return sc, nil
}

// withoutFaults is the default scenario for a real issuer: its fault steps
// only the fake issuer takes, so they are left out (and the description
// says so) rather than announced and then failed.
func withoutFaults(sc scenario.Scenario) scenario.Scenario {
	steps := make([]scenario.Step, 0, len(sc.Timeline))
	for _, st := range sc.Timeline {
		if st.Action != scenario.ActionFault && st.Action != scenario.ActionClearFaults {
			steps = append(steps, st)
		}
	}
	if len(steps) < len(sc.Timeline) {
		sc.Description += " Against a real issuer the fault steps are left out: only the fake issuer takes faults."
	}
	sc.Timeline = steps
	return sc
}

// findScenario resolves a built-in name or a scenario file.
func findScenario(name string) (scenario.Scenario, error) {
	if slices.Contains(scenario.BuiltinNames(), name) {
		return scenario.Builtin(name)
	}
	if _, err := os.Stat(name); err != nil {
		return scenario.Scenario{}, usagef("--scenario %q is neither a built-in (%s) nor a readable file", name, strings.Join(scenario.BuiltinNames(), ", "))
	}
	sc, err := scenario.LoadScenario(name)
	if err != nil {
		return sc, usageError{err}
	}
	return sc, nil
}

// runHeadless plays the scenario and writes its events and summary to out.
// With --fail-on-gap, a run in which any session was without a valid token
// fails (exit 1) after its summary.
func (a *app) runHeadless(ctx context.Context, out io.Writer) error {
	if a.cfg.compare {
		return a.runCompare(ctx, out)
	}
	mr, err := a.startMetrics()
	if err != nil {
		return err
	}
	defer mr.close()
	rec := a.newRecorder()
	events, _ := session.ParseEventOutput(a.cfg.events) // checked with the flags
	sum, err := session.RunHeadless(ctx, a.scenario, session.HeadlessOptions{
		Observe:  mr.observe(observer(rec)),
		Started:  mr.started(),
		Manager:  a.manager,
		Duration: a.cfg.duration,
		Speed:    a.speed,
		// --duration 0: a synthetic monitor, until interrupted
		UntilInterrupted: a.cfg.untilInterrupted,
		Out:              out,
		JSON:             a.cfg.json,
		Events:           events,
	})
	if err == nil {
		err = a.writeReport(rec, sum)
	}
	if err != nil || !a.cfg.failOnGap {
		return err
	}
	var gaps []string
	for _, s := range sum.Sessions {
		if s.TokenGapSeconds > 0 || s.NeverHadToken {
			gaps = append(gaps, s.Name)
		}
	}
	if len(gaps) > 0 {
		return fmt.Errorf("--fail-on-gap: %d of %d sessions were without a valid token (%s)", len(gaps), len(sum.Sessions), abbreviate(gaps, 5))
	}
	return nil
}

// abbreviate lists the first n names and says how many more there are.
func abbreviate(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

// runTUI shows the live screen until the user quits or ctx ends.
func (a *app) runTUI(ctx context.Context, stdout io.Writer) error {
	f, _ := stdout.(*os.File) // anything else is not a terminal
	if err := ui.CheckTerminal(f); err != nil {
		return err
	}
	mr, err := a.startMetrics()
	if err != nil {
		return err
	}
	defer mr.close()
	m, err := session.NewManager(a.manager)
	if err != nil {
		return err
	}
	defer m.Close()
	defer mr.follow(ctx, m)() // stops following before the manager closes
	if a.loop != nil {
		// The loop runs the sessions while the screen shows them; it stops
		// before the manager closes (deferred above, so run after this).
		defer a.loop.Go()()
	}
	live := a.recordLive(m)
	if err := a.start(m); err != nil {
		return joinReportErr(err, a.finishLive(live, m))
	}
	err = ui.Run(ctx, m, ui.Options{
		Issuer:          m.IssuerName(),
		Cache:           a.cache,
		Clock:           a.manager.Clock,
		NoColor:         a.getenv("NO_COLOR") != "",
		VerifySignature: a.verify,
		ShowSecrets:     a.cfg.showSecrets,
		CanInjectFaults: a.canInjectFaults(),
	})
	return joinReportErr(err, a.finishLive(live, m))
}

// start adds the scenario's sessions to m. Its error already names the
// scenario ("scenario demo: ..."), so it is not wrapped again.
func (a *app) start(m *session.Manager) error {
	return m.Start(a.scenario)
}

func lookupEnv(getenv func(string) string) func(string) (string, bool) {
	return func(key string) (string, bool) {
		v := getenv(key)
		return v, v != ""
	}
}

// verifySignature returns a check of only a token's signature against the
// fake's key: the detail pane shows time validity separately.
func verifySignature(fake *fakeissuer.Issuer) func(raw string) error {
	return func(raw string) error {
		_, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return fake.VerificationKey(), nil },
			jwt.WithValidMethods([]string{fake.Algorithm()}), jwt.WithoutClaimsValidation())
		if err != nil {
			return errors.Unwrap(err)
		}
		return nil
	}
}

// canInjectFaults reports whether the issuer takes faults (the fake does), so
// that the screen offers its fault menu only then.
func (a *app) canInjectFaults() bool {
	if a.manager.Faults != nil {
		return true
	}
	_, ok := a.manager.Issuer.(issuer.FaultInjector)
	return ok
}
