package cli

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"tokentop/credential"
	"tokentop/fakeissuer"
	"tokentop/issuer"
	"tokentop/scenario"
	"tokentop/session"
)

// config is the parsed command line of the tokentop TUI and headless runner.
type config struct {
	issuer      string
	scenario    string
	scenarioSet bool // --scenario (or TOKENTOP_SCENARIO) was given
	sessions    []string
	policy      string
	speed       float64
	clock       string // "sim", "scaled", or "" for the mode's default
	alg         string // --alg: how the embedded fake signs; "" for the scenario's, else the clock's default (fakeAlgorithm)
	seed        uint64
	headless    bool
	duration    time.Duration
	// untilInterrupted is --duration 0 headless: run until interrupted.
	untilInterrupted bool
	json             bool
	events           string // --events: all, changes or none (session.ParseEventOutput)
	// issuerTimeout bounds each issuer call (session.Options.IssueTimeout,
	// and a real issuer adapter's own timeout).
	issuerTimeout time.Duration
	failOnGap     bool
	report        string // --report: the HTML report's path
	compare       bool   // --compare: one headless run per policy, one table (compare_flag.go)
	showSecrets   bool
	metricsListen string // --metrics-listen (metrics_flag.go)
	cacheFile     string // --cache-file: the persisted sessions' encrypted token cache (cmd_cache.go)
	version       bool
	help          bool
}

// usageError marks a command-line mistake: exit status 2, and a pointer to --help.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

const envPrefix = "TOKENTOP_"

// envName is the environment variable that mirrors a flag: --show-secrets is TOKENTOP_SHOW_SECRETS.
func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// newFlagSet declares tokentop's flags on a fresh FlagSet bound to cfg.
func newFlagSet(cfg *config, out io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet("tokentop", pflag.ContinueOnError)
	fs.SetOutput(out)
	fs.SortFlags = false
	fs.StringVar(&cfg.issuer, "issuer", "fake", "where tokens come from: fake, an http(s) URL, oauth2:..., exec:..., acs:... (below)")
	fs.DurationVar(&cfg.issuerTimeout, "issuer-timeout", defaultIssuerTimeout, "how long one issuer call may take before it fails, from 1s to 10m")
	fs.StringVar(&cfg.scenario, "scenario", "demo", "a built-in scenario ("+strings.Join(scenario.BuiltinNames(), ", ")+") or a scenario file")
	fs.StringArrayVar(&cfg.sessions, "session", nil, "add a session: name=alice,policy=js,callers=2,... (repeatable; keys below)")
	fs.StringVar(&cfg.policy, "policy", "", "refresh policy for sessions that name none: tokentop, js, dotnet, java, python")
	fs.Float64Var(&cfg.speed, "speed", 0, "time warp factor from 0.01 to 1,000,000 (default "+speedDefaults+"; only 1 with a real issuer)")
	fs.StringVar(&cfg.clock, "clock", "", "virtual time with the fake issuer: sim (exact, as fast as the CPU goes; the headless default) or scaled (--speed times real time; the screen's)")
	fs.StringVar(&cfg.alg, "alg", "", "how the embedded fake issuer signs: ES256, RS256 or HS256 (default: the scenario's, else HS256 in sim time, ES256 on scaled time)")
	fs.Uint64Var(&cfg.seed, "seed", 1, "seed of every random choice (retry jitter), so that a run repeats exactly")
	fs.BoolVar(&cfg.headless, "headless", false, "run without the TUI: play the scenario and print events and a summary")
	fs.DurationVar(&cfg.duration, "duration", 0, "headless: virtual time to play (default: the scenario's, else 1h; 0: until interrupted, on real or scaled time)")
	fs.BoolVar(&cfg.json, "json", false, "headless: output as JSON lines (one per event, then a summary)")
	fs.StringVar(&cfg.events, "events", "all", "headless: events to print: all, changes (state changes and failures: not refresh-scheduled, refresh-started, upstream-cache-hit, burst-started) or none (the summary alone); --report and metrics see every event")
	fs.BoolVar(&cfg.failOnGap, "fail-on-gap", false, "headless: exit 1 if any session was ever without a valid token (for CI)")
	fs.BoolVar(&cfg.compare, "compare", false, "headless: play the scenario once per policy (every session's overridden), same seed, sim time; print one table")
	fs.StringVar(&cfg.report, "report", "", "write an HTML report of the run to FILE.html (headless: at the end; on screen: when you quit)")
	fs.StringVar(&cfg.metricsListen, "metrics-listen", "", metricsListenUsage)
	fs.StringVar(&cfg.cacheFile, "cache-file", "", "keep persisted sessions' tokens (persist=true) in this encrypted file, secret in "+cacheKeyEnv+" (default: the OS keyring)")
	fs.BoolVar(&cfg.showSecrets, "show-secrets", false, "show the selected session's whole token on screen (off: its claims and a short fingerprint)")
	fs.BoolVar(&cfg.version, "version", false, "print the version and exit")
	fs.BoolVarP(&cfg.help, "help", "h", false, "show this help")
	return fs
}

// parseArgs parses args, then fills every flag left unset from its TOKENTOP_* variable.
func parseArgs(args []string, getenv func(string) string, out io.Writer) (config, *pflag.FlagSet, error) {
	var cfg config
	fs := newFlagSet(&cfg, out)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		return cfg, fs, usageError{flagError(err)}
	}
	if fs.NArg() > 0 {
		return cfg, fs, usagef("unexpected argument %q (the commands: %s)", fs.Arg(0), strings.Join(commandNames(), ", "))
	}
	var envErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || envErr != nil || f.Name == "help" || f.Name == "version" {
			return
		}
		name := envName(f.Name)
		val := getenv(name)
		if val == "" {
			return
		}
		values := []string{val}
		if f.Name == "session" { // several sessions in one variable, separated by ';'
			values = strings.Split(val, ";")
		}
		for _, v := range values {
			if err := fs.Set(f.Name, strings.TrimSpace(v)); err != nil {
				envErr = usagef("environment variable %s=%q: %v", name, val, flagError(err))
				return
			}
		}
	})
	if envErr != nil {
		return cfg, fs, envErr
	}
	cfg.scenarioSet = fs.Changed("scenario")
	cfg.untilInterrupted = cfg.headless && fs.Changed("duration") && cfg.duration == 0
	if err := checkValues(cfg, fs); err != nil {
		return cfg, fs, err
	}
	return cfg, fs, nil
}

// checkValues refuses flag values that parse but cannot work, before
// anything runs. Zero stands for "the default" in config, so a zero given
// on the command line (or in the environment) is refused rather than
// silently taken for the default.
func checkValues(cfg config, fs *pflag.FlagSet) error {
	if fs.Changed("speed") {
		if err := checkSpeed(cfg.speed); err != nil {
			if cfg.speed == 0 {
				return usagef("%v; leave --speed out for the default (%s)", err, speedDefaults)
			}
			return usageError{err}
		}
	}
	if fs.Changed("duration") && cfg.duration < 0 {
		return usagef("--duration %v: want a positive duration such as 2h, or 0 to run until interrupted; leave it out for the scenario's own", cfg.duration)
	}
	if cfg.issuerTimeout < minIssuerTimeout || cfg.issuerTimeout > maxIssuerTimeout {
		return usagef("--issuer-timeout %v: want a duration from %v to %v", cfg.issuerTimeout, minIssuerTimeout, maxIssuerTimeout)
	}
	if err := checkPolicy("--policy", cfg.policy); err != nil {
		return err
	}
	if err := checkReport(cfg.report); err != nil {
		return err
	}
	if _, err := session.ParseEventOutput(cfg.events); err != nil {
		return usagef("--events %w", err)
	}
	if !cfg.headless {
		for _, f := range []struct {
			name string
			set  bool
		}{{"duration", fs.Changed("duration")}, {"json", cfg.json}, {"events", fs.Changed("events")}, {"fail-on-gap", cfg.failOnGap}} {
			if f.set {
				return usagef("--%s goes with --headless: the live screen runs until you quit it", f.name)
			}
		}
	}
	if err := checkClock(cfg); err != nil {
		return err
	}
	if err := checkAlg(cfg); err != nil {
		return err
	}
	if err := checkMetricsListen(cfg); err != nil {
		return err
	}
	if err := checkCompare(cfg); err != nil {
		return err
	}
	return checkUntilInterrupted(cfg)
}

// checkUntilInterrupted refuses --duration 0 in sim time, which would race
// through virtual time without end.
func checkUntilInterrupted(cfg config) error {
	if cfg.untilInterrupted && cfg.clockMode() == clockSim && isFakeIssuer(cfg.issuer) {
		return usagef("--duration 0 (until interrupted): sim time runs as fast as the machine goes; give --duration, or --clock scaled")
	}
	return nil
}

// isFakeIssuer reports an --issuer that names the embedded fake (a bad one
// is reported when the issuer is built).
func isFakeIssuer(spec string) bool {
	s, err := issuer.ParseSpec(spec)
	return err == nil && s.Kind == issuer.KindFake
}

// checkPolicy refuses a refresh policy name that is not one (empty is the
// default; case does not matter, as in credential.PolicyByName).
func checkPolicy(what, name string) error {
	if _, err := credential.PolicyByName(name); err == nil {
		return nil
	}
	return usagef("%s %q: not a refresh policy; want one of %s", what, name, strings.Join(scenario.PolicyNames(), ", "))
}

// Issuer call time limits (--issuer-timeout): the session manager's default,
// and a range wide enough for a slow command (exec:) yet short enough that a
// hung call is noticed.
const (
	defaultIssuerTimeout = 30 * time.Second
	minIssuerTimeout     = time.Second
	maxIssuerTimeout     = 10 * time.Minute
)

// Clock modes (--clock).
const (
	clockSim    = "sim"
	clockScaled = "scaled"
)

// checkClock refuses a --clock that is unknown or does not fit the mode.
func checkClock(cfg config) error {
	switch cfg.clock {
	case "", clockScaled:
		return nil
	case clockSim:
		switch {
		case !cfg.headless:
			return usagef("--clock sim goes with --headless: the live screen runs on scaled time")
		case cfg.speed != 0:
			return usagef("--speed %v goes with --clock scaled: sim time runs as fast as the machine goes", cfg.speed)
		}
		return nil
	}
	return usagef("--clock %q: want sim or scaled", cfg.clock)
}

// checkAlg refuses an --alg the fake cannot sign with, or that has no
// fake to sign.
func checkAlg(cfg config) error {
	switch {
	case cfg.alg == "":
		return nil
	case !slices.Contains(scenario.FakeAlgorithms(), cfg.alg):
		return usagef("--alg %q: want one of %s", cfg.alg, strings.Join(scenario.FakeAlgorithms(), ", "))
	case !isFakeIssuer(cfg.issuer):
		return usagef("--alg %s: only the embedded fake issuer signs tokens here; leave --alg out with --issuer %s", cfg.alg, cfg.issuer)
	}
	return nil
}

// fakeAlgorithm is how the embedded fake signs in a run of sc: --alg, else
// the scenario's algorithm, else HS256 in sim time, where nothing but the
// fake's own key ever checks a signature and ES256 would cost most of a
// large run's CPU, and ES256 on scaled time (the screen's, which shows the
// signature as a real issuer's would look).
func (cfg config) fakeAlgorithm(sc scenario.Scenario) string {
	switch {
	case cfg.alg != "":
		return cfg.alg
	case sc.Algorithm != "":
		return sc.Algorithm
	case cfg.clockMode() == clockSim:
		return fakeissuer.AlgHS256
	}
	return fakeissuer.AlgES256
}

// clockMode is the clock a run with the fake issuer uses: --clock, else sim
// headless (unless a --speed asks for scaled time) and scaled on the screen.
func (cfg config) clockMode() string {
	switch {
	case cfg.clock != "":
		return cfg.clock
	case cfg.headless && cfg.speed == 0:
		return clockSim
	}
	return clockScaled
}

// Time warp limits: below minSpeed a run would look frozen, above maxSpeed a
// real millisecond of scheduling would be more than a virtual quarter hour.
const (
	minSpeed = 0.01 // the messages say these two numbers
	maxSpeed = 1e6
)

// checkSpeed refuses a time warp that is not a finite number in range.
func checkSpeed(speed float64) error {
	if math.IsNaN(speed) || speed < minSpeed || speed > maxSpeed {
		return fmt.Errorf("--speed %v: want a number from 0.01 to 1,000,000 (1 is real time)", speed)
	}
	return nil
}
