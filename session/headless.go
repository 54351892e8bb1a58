package session

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"
	"tokentop/internal/durfmt"

	"tokentop/internal/clock"
	"tokentop/scenario"
)

// HeadlessOptions configure RunHeadless.
type HeadlessOptions struct {
	// Manager configures the manager the run creates (issuer, clock,
	// resource check, faults). Share its Clock, a *clock.Loop (sim or
	// paced), with the issuer; nil means the wall clock, on a loop that
	// follows it (clock.NewWall). RunHeadless runs the loop on the calling
	// goroutine.
	Manager Options
	// Duration is how much virtual time to play; zero means the scenario's
	// duration, or one hour if it has none.
	Duration time.Duration
	// UntilInterrupted plays until ctx ends, whatever Duration says: a
	// synthetic monitor of a real issuer. It needs paced time: sim time
	// would race ahead unbounded, so RunHeadless refuses it there.
	UntilInterrupted bool
	// Speed, if positive, is set on a paced loop: 3600 plays an hour a second.
	Speed float64
	// Out receives the event lines and the summary; nil discards them.
	Out io.Writer
	// JSON writes JSON lines; otherwise the lines are for people.
	JSON bool
	// Events picks the events written to Out (every one by default); the
	// summary is always written, and Observe still sees every event.
	Events EventOutput
	// Observe, if set, sees every event of the run, in order: a report or a
	// metrics exporter records them. It is called where the events are
	// written, one at a time (on the loop's goroutine, but for the sessions
	// a real issuer adds off it), and must not block.
	Observe func(Event)
	// Started, if set, is called with the run's manager before the scenario
	// starts (a metrics exporter reads its sessions' stats while it runs).
	Started func(*Manager)
}

// RunHeadless plays a scenario without a UI: it adds the scenario's sessions,
// carries out its timeline, writes one line per event to Out, and after
// Duration of virtual time (or when ctx ends) writes a summary as the last
// line and returns it. With JSON set every line is one JSON object
// (eventLine, then Summary); otherwise the lines are aligned text for
// people. The README's "Headless runs and their JSON" documents both
// formats, field by field.
func RunHeadless(ctx context.Context, sc scenario.Scenario, opts HeadlessOptions) (Summary, error) {
	mopts := opts.Manager
	mopts.LogSize = -1 // nobody reads the sessions' logs: count their events only
	wall := false
	switch mopts.Clock.(type) {
	case nil, clock.Real: // the wall clock, on a loop run here rather than by the manager
		mopts.Clock, wall = clock.NewWall(), true
	}
	m, err := NewManager(mopts)
	if err != nil {
		return Summary{}, err
	}
	defer m.Close()
	if opts.UntilInterrupted && m.loop.Sim() {
		return Summary{}, errors.New("headless: running until interrupted needs real or scaled time: sim time runs as fast as the machine goes")
	}
	if opts.Started != nil {
		opts.Started(m)
	}
	if opts.Speed > 0 {
		m.loop.SetSpeed(opts.Speed)
	}
	d := opts.Duration
	if d <= 0 {
		d = sc.Duration
	}
	if d <= 0 {
		d = time.Hour
	}
	if opts.UntilInterrupted {
		d = 24 * time.Hour // for the text's offset column only: the run ends with ctx
	}
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	start := m.clock.Now()
	lay := newTextLayout(start, d, sc)
	p, err := m.play(ctx, sc, lay, d, bw, out == io.Discard, opts)
	if err != nil {
		bw.Flush()
		return Summary{}, err
	}
	sum := m.summarize(sc.Name, start)
	sum.Interrupted = p.interrupted
	res := p.finish()
	sum.EventsPublished = m.Published()
	sum.EventsWritten = res.written
	sum.Totals.EventsDropped = sum.EventsDropped
	m.describeClock(&sum, wall)
	m.Close()
	if res.err != nil {
		return sum, fmt.Errorf("headless: writing events: %w", res.err)
	}
	if opts.JSON {
		err = json.NewEncoder(bw).Encode(sum)
	} else {
		err = sum.writeText(bw)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return sum, fmt.Errorf("headless: writing the summary: %w", err)
	}
	return sum, nil
}

// played is a scenario played to its end (or interrupted): finish stops
// the event writer and reports what it wrote.
type played struct {
	interrupted bool
	finish      func() writeResult
}

// play plays the scenario on the manager's loop, on the calling goroutine:
// every event is written as it is published, in order, so none is ever
// dropped, and the run ends when virtual time reaches start+d or ctx ends.
// With discard set, events are counted, not formatted.
func (m *Manager) play(ctx context.Context, sc scenario.Scenario, lay textLayout, d time.Duration, bw *bufio.Writer, discard bool, opts HeadlessOptions) (played, error) {
	var res writeResult
	enc := json.NewEncoder(bw)
	asJSON := opts.JSON
	live := !m.loop.Sim() // paced time is watched as it goes: every line goes out at once
	m.setSink(func(e Event) {
		if opts.Observe != nil {
			opts.Observe(e)
		}
		switch {
		case res.err != nil || !opts.Events.writes(e.Kind):
			return
		case discard:
		case asJSON:
			res.err = enc.Encode(newEventLine(e, lay.start))
		default:
			res.err = lay.writeLine(bw, e)
		}
		if res.err == nil && live && !discard {
			res.err = bw.Flush()
		}
		if res.err == nil {
			res.written++
		}
	})
	finish := func() writeResult {
		m.setSink(nil)
		return res
	}
	if err := m.Start(sc); err != nil {
		finish()
		return played{}, err
	}
	var err error
	if opts.UntilInterrupted {
		err = m.loop.Run(ctx) // paced: until ctx ends (sim was refused by RunHeadless)
	} else {
		err = m.loop.RunUntil(ctx, lay.start.Add(d))
	}
	return played{interrupted: err != nil, finish: finish}, nil
}

// EventOutput picks which events a headless run writes (--events).
type EventOutput uint8

// The choices of EventOutput.
const (
	// EventsAll writes every event.
	EventsAll EventOutput = iota
	// EventsChanges writes every event but the routine ones that announce
	// work rather than change a session's state or report a failure:
	// refresh-scheduled, refresh-started, upstream-cache-hit and
	// burst-started. Outcomes are kept: refresh-succeeded
	// (a new token), every failure, retry, abort, sign-out, fault and action.
	EventsChanges
	// EventsNone writes no event: the summary alone.
	EventsNone
)

// String returns the name --events takes: all, changes or none.
func (o EventOutput) String() string {
	switch o {
	case EventsAll:
		return "all"
	case EventsChanges:
		return "changes"
	case EventsNone:
		return "none"
	}
	return fmt.Sprintf("EventOutput(%d)", uint8(o))
}

// ParseEventOutput reads an --events value: all, changes or none.
func ParseEventOutput(s string) (EventOutput, error) {
	for _, o := range []EventOutput{EventsAll, EventsChanges, EventsNone} {
		if s == o.String() {
			return o, nil
		}
	}
	return 0, fmt.Errorf("%q: want all (every event), changes (state changes and failures) or none (the summary alone)", s)
}

// writes reports whether an event of kind k is written. EventsChanges
// leaves out a refresh's announcement and start (its outcome follows), a
// Teams session's reuse of its cached upstream token, and a burst's start
// (burst-done follows): most of a quiet run's events.
func (o EventOutput) writes(k EventKind) bool {
	switch o {
	case EventsNone:
		return false
	case EventsChanges:
		switch k {
		case KindRefreshScheduled, KindRefreshStarted, KindUpstreamCache, KindBurstStarted:
			return false
		}
	}
	return true
}

type writeResult struct {
	written uint64
	err     error
}

// textLayout lays out the text lines of one run in aligned columns: the
// offset from the run's start, as wide as the run's longest offset (see
// offsetLayout), and the session, as wide as the scenario's longest name
// (at most maxNameColumn; a longer name pushes its line's text along).
type textLayout struct {
	start     time.Time
	offsets   offsetLayout
	nameWidth int
}

// maxNameColumn caps the session column of the text lines.
const maxNameColumn = 32

func newTextLayout(start time.Time, runFor time.Duration, sc scenario.Scenario) textLayout {
	l := textLayout{start: start, offsets: newOffsetLayout(runFor), nameWidth: len("session")}
	for _, s := range sc.Sessions {
		l.nameWidth = min(max(l.nameWidth, len(s.Name)), maxNameColumn)
	}
	return l
}

// writeLine writes e as a line for people.
func (l textLayout) writeLine(w io.Writer, e Event) error {
	_, err := fmt.Fprintf(w, "%*s  %-*s  %s\n", l.offsets.width(), l.offsets.format(e.At.Sub(l.start)), l.nameWidth, orDash(e.Session), e.Text())
	return err
}

// eventLine is the JSON form of an Event.
type eventLine struct {
	Type      string    `json:"type"`
	Seq       uint64    `json:"seq"`
	Session   string    `json:"session"`
	At        time.Time `json:"at"`
	T         float64   `json:"t"`
	Kind      EventKind `json:"kind"`
	Reason    string    `json:"reason,omitempty"`
	Attempt   int       `json:"attempt,omitempty"`
	ExpiresOn time.Time `json:"expires_on,omitzero"`
	NextAt    time.Time `json:"next_at,omitzero"`
	LatencyMS float64   `json:"latency_ms,omitempty"`
	Waiters   int       `json:"waiters,omitempty"`
	Message   string    `json:"message,omitempty"`
	Error     string    `json:"error,omitempty"`
	HTTP      *httpLine `json:"http,omitempty"`
	Signature string    `json:"signature,omitempty"`
}

// httpLine is the JSON form of an issuer call's HTTP timings.
type httpLine struct {
	Status      int     `json:"status"`
	Reused      bool    `json:"reused"`
	DNSMS       float64 `json:"dns_ms"`
	ConnectMS   float64 `json:"connect_ms"`
	TLSMS       float64 `json:"tls_ms"`
	FirstByteMS float64 `json:"first_byte_ms"`
	TotalMS     float64 `json:"total_ms"`
	Bytes       int64   `json:"bytes"`
}

func newEventLine(e Event, start time.Time) eventLine {
	l := eventLine{Type: "event", Seq: e.Seq, Session: e.Session, At: e.At.UTC(), T: e.At.Sub(start).Seconds(),
		Kind: e.Kind, Reason: e.Reason.String(), Attempt: e.Attempt, ExpiresOn: e.ExpiresOn.UTC(), NextAt: e.NextAt.UTC(),
		LatencyMS: ms(e.Latency), Waiters: e.Waiters, Message: e.Message}
	if e.Err != nil {
		l.Error = e.Err.Error()
	}
	if h := e.HTTP; h != nil {
		l.HTTP = &httpLine{Status: h.Status, Reused: h.Reused, DNSMS: ms(h.DNS), ConnectMS: ms(h.Connect), TLSMS: ms(h.TLS),
			FirstByteMS: ms(h.FirstByte), TotalMS: ms(h.Total), Bytes: h.Bytes}
	}
	if sig := e.Signature; sig != nil {
		l.Signature = describeSignature(*sig)
	}
	return l
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Summary is the last line of a headless run: counters per session and totals.
type Summary struct {
	Type            string           `json:"type"` // always "summary"
	Scenario        string           `json:"scenario"`
	Clock           string           `json:"clock"`                    // "sim", "scaled" or "real"
	Seed            *uint64          `json:"seed,omitempty"`           // the seed of a sim or scaled run
	Speed           float64          `json:"speed,omitempty"`          // a scaled run's speed asked
	SpeedAchieved   float64          `json:"speed_achieved,omitempty"` // and achieved (virtual / real seconds)
	VirtualSeconds  float64          `json:"virtual_seconds"`
	Interrupted     bool             `json:"interrupted"`
	EventsPublished uint64           `json:"events_published"` // events of the run (written + dropped)
	EventsWritten   uint64           `json:"events_written"`   // event lines written
	EventsDropped   uint64           `json:"events_dropped"`   // events lost because the writer fell behind
	Sessions        []SessionSummary `json:"sessions"`
	Totals          SessionSummary   `json:"totals"`
}

// SessionSummary is one session's counters in a Summary (or their totals).
type SessionSummary struct {
	Name             string  `json:"name,omitempty"`
	Identity         string  `json:"identity,omitempty"`
	Policy           string  `json:"policy,omitempty"`
	IssuerCalls      uint64  `json:"issuer_calls"` // successes + failures + aborts + in_flight
	UpstreamCalls    uint64  `json:"upstream_calls"`
	Successes        uint64  `json:"successes"`
	Failures         uint64  `json:"failures"`
	Aborts           uint64  `json:"aborts"`
	InFlight         uint64  `json:"in_flight"` // issuer calls with no outcome yet when the summary was taken
	GetTokenCalls    uint64  `json:"get_token_calls"`
	GetTokenErrors   uint64  `json:"get_token_errors"`
	MaxWaitMS        float64 `json:"max_wait_ms"`
	TokenGapSeconds  float64 `json:"token_gap_seconds"` // while live: a disposed or signed-out session stops counting
	ResourceAccepted uint64  `json:"resource_accepted"`
	ResourceRefused  uint64  `json:"resource_refused"`
	EventsDropped    uint64  `json:"events_dropped"`
	IssuerP50MS      float64 `json:"issuer_latency_p50_ms"` // of the completed issuer calls, within 19%
	IssuerP99MS      float64 `json:"issuer_latency_p99_ms"`
	NewConnections   uint64  `json:"new_connections"` // issuer calls that opened a connection (HTTP issuers)
	// NeverHadToken reports a session that was asked for a token (it called
	// the issuer) and never held a valid one: its gap cannot be measured from
	// a first token, so it is flagged instead.
	NeverHadToken bool `json:"never_had_token,omitempty"`
}

func newSessionSummary(st Stats) SessionSummary {
	ended := st.Successes + st.Failures + st.Aborts
	return SessionSummary{IssuerCalls: st.IssuerCalls, UpstreamCalls: st.UpstreamCalls, Successes: st.Successes,
		Failures: st.Failures, Aborts: st.Aborts, InFlight: st.IssuerCalls - min(ended, st.IssuerCalls),
		GetTokenCalls: st.GetTokenCalls, GetTokenErrors: st.GetTokenErrors,
		MaxWaitMS: ms(st.MaxWait), TokenGapSeconds: st.TokenGap.Seconds(),
		ResourceAccepted: st.ResourceAccepted, ResourceRefused: st.ResourceRefused,
		IssuerP50MS: ms(st.LatencyP50), IssuerP99MS: ms(st.LatencyP99), NewConnections: st.NewConnections}
}

// summarize takes every session's counters now. The sessions are in
// natural order of their names ("s-2" before "s-10"; naturalLess), so a
// summary reads the same run after run, however the sessions were added.
func (m *Manager) summarize(scenario string, start time.Time) Summary {
	sum := Summary{Type: "summary", Scenario: scenario, VirtualSeconds: m.clock.Since(start).Seconds()}
	var total Stats
	var latencies latencyHistogram
	for _, s := range m.Sessions() {
		st := s.Stats()
		total.add(st)
		s.mu.Lock()
		latencies.merge(&s.latencies)
		s.mu.Unlock()
		ss := newSessionSummary(st)
		ss.Name, ss.Identity, ss.Policy = s.spec.Name, s.spec.Identity, s.spec.PolicyLabel()
		ss.NeverHadToken = st.IssuerCalls > 0 && !s.hadToken()
		sum.Sessions = append(sum.Sessions, ss)
	}
	sort.SliceStable(sum.Sessions, func(i, j int) bool { return naturalLess(sum.Sessions[i].Name, sum.Sessions[j].Name) })
	total.LatencyP50, total.LatencyP99 = latencies.quantile(0.5), latencies.quantile(0.99)
	sum.Totals = newSessionSummary(total)
	return sum
}

// describeClock says in sum which time the run was played on: the wall
// clock (a loop that follows it), or the loop it was given.
func (m *Manager) describeClock(sum *Summary, wall bool) {
	if wall {
		sum.Clock = "real"
		return
	}
	seed := m.opts.Seed
	sum.Seed = &seed
	sum.Clock = "sim"
	if !m.loop.Sim() {
		sum.Clock = "scaled"
		sum.Speed, sum.SpeedAchieved = m.loop.Speed(), m.loop.Achieved()
	}
}

func (s Summary) clockText() string {
	switch {
	case s.Clock == "sim" && s.Seed != nil:
		return fmt.Sprintf("sim clock, seed %d", *s.Seed)
	case s.Clock == "scaled" && s.SpeedAchieved > 0:
		return fmt.Sprintf("scaled clock, x%s asked, x%s achieved", strconv.FormatFloat(s.Speed, 'g', 4, 64), strconv.FormatFloat(s.SpeedAchieved, 'g', 4, 64))
	case s.Clock == "scaled":
		return fmt.Sprintf("scaled clock, x%s", strconv.FormatFloat(s.Speed, 'g', 4, 64))
	}
	return s.Clock + " clock"
}

// summaryLegend explains the text summary's columns that need it.
const summaryLegend = `sessions in natural order of name (s-2 before s-10).
issuer calls = ok + failed + aborted + in flight: every token request (a static or initial issue too; for a Teams
  session the upstream token and its exchange count once), whichever stage failed.
token gap: time without a valid token while the session was live; a disposed or signed-out session stops counting.
caller errors: GetToken calls that returned an error; the caller then tries the resource with the last token it
  holds, so resource ok can count them.
`

// writeText writes the summary as a table for people, then its legend.
func (s Summary) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\nscenario %s: %s of virtual time (%s)", s.Scenario, formatDuration(durfmt.FromFloat(s.VirtualSeconds, time.Second)), s.clockText())
	if s.Interrupted {
		fmt.Fprint(tw, " (interrupted)")
	}
	fmt.Fprintf(tw, "; events %d published, %d written, %d dropped\n", s.EventsPublished, s.EventsWritten, s.EventsDropped)
	fmt.Fprintln(tw, "session\tidentity\tpolicy\tissuer calls\tok\tfailed\taborted\tin flight\tp50\tp99\tGetToken\tcaller errors\tmax wait\ttoken gap\tresource ok\trefused\t")
	msText := func(v float64) string { return formatDuration(durfmt.FromFloat(v, time.Millisecond)) }
	row := func(r SessionSummary) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t%d\t%s\t%s\t%d\t%d\t\n", r.Name, r.Identity, r.Policy, r.IssuerCalls,
			r.Successes, r.Failures, r.Aborts, r.InFlight, msText(r.IssuerP50MS), msText(r.IssuerP99MS), r.GetTokenCalls, r.GetTokenErrors,
			msText(r.MaxWaitMS), formatDuration(durfmt.FromFloat(r.TokenGapSeconds, time.Second)), r.ResourceAccepted, r.ResourceRefused)
	}
	for _, r := range s.Sessions {
		row(r)
	}
	t := s.Totals
	t.Name = "total"
	row(t)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, summaryLegend)
	return err
}
