package ui

import (
	"sync"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"tokentop/internal/clock"
)

// Options configure the screen.
type Options struct {
	// Issuer names the issuer in the header, e.g. "fake (in-process)" or a URL.
	Issuer string
	// Cache names the token cache of persisted sessions in the header, e.g.
	// "encrypted file /path"; empty says there is none (no session
	// persists), which C then says instead of clearing.
	Cache string
	// Clock is the sessions' clock, read for the header's virtual time. When it
	// also implements TimeControl (as a paced *clock.Loop does), p, + and -
	// pause and change its speed. Nil means the manager's (the wall clock for
	// a real issuer: no time keys).
	Clock clock.Clock
	// CanInjectFaults says the Manager's issuer takes injected faults (the
	// fake issuer does; real issuers do not). Off, the f key is left out of
	// the help, and pressing it says why instead of opening the fault menu.
	CanInjectFaults bool
	// NoColor draws the screen without colour (NO_COLOR, --no-color).
	NoColor bool
	// VerifySignature checks a token's signature (for example against the
	// issuer's JWKS). Nil means signatures are shown as "not checked".
	VerifySignature func(token string) error
	// FrameInterval is how often the screen re-reads the sessions (real
	// time); zero means 250ms. Lower rates cost less idle CPU.
	FrameInterval time.Duration
	// Timeline is how much virtual time the detail pane's lane shows; zero means 60m.
	Timeline time.Duration
	// BurstSize is the burst size b offers (the user may type another);
	// zero means 10.
	BurstSize int
	// ShowSecrets shows the selected session's whole token under its event
	// log, and lets c copy it to the clipboard (--show-secrets). Off, a token
	// is shown only as its decoded claims and a short fingerprint.
	ShowSecrets bool
}

// TimeControl is the part of a paced *clock.Loop that the p, + and - keys drive.
type TimeControl interface {
	Speed() float64
	SetSpeed(float64)
	Pause()
	Resume()
	Paused() bool
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.FrameInterval <= 0 {
		o.FrameInterval = 250 * time.Millisecond
	}
	if o.Timeline <= 0 {
		o.Timeline = 60 * time.Minute
	}
	if o.BurstSize <= 0 {
		o.BurstSize = 10
	}
	if o.Issuer == "" {
		o.Issuer = "-"
	}
	return o
}

// mode decides where a key goes.
type mode int

const (
	modeNormal    mode = iota
	modeFilter         // typing the / filter
	modeConfirm        // answering a yes/no question
	modeFaults         // choosing from the fault menu
	modeForm           // filling in the new-session form
	modeBurst          // typing the size of a burst
	modeLogSearch      // typing a search of the event log
	modeDescribe       // reading the full-screen description of a session (enter)
)

// focusArea is the region that movement keys scroll.
type focusArea int

const (
	focusTable focusArea = iota
	focusLog
)

// Model is the root Bubble Tea model: one screen of sessions, driven by
// frames copied from the session layer and by keys. Widgets are plain
// structs drawn by the model; state changes only in Update.
type Model struct {
	be     backend
	frames *frameSource // reads frames for be, numbering them
	opts   Options
	styles Styles
	paints rowPaints // styles reduced to escapes for the table's hot path
	keys   KeyMap
	help   help.Model

	width, height int
	frame         frame
	visible       []int  // indexes into frame.Sessions that pass the filter
	selected      string // name of the selected session; survives reordering
	cursor        int    // index into visible
	offset        int    // first visible row shown in the table
	longestName   int    // widest visible name and identity, for the column widths
	longestID     int
	fetching      bool   // a frame fetch outside the tick is in flight
	frameSeq      uint64 // sequence number of the frame shown
	sortBy        sortKey
	sortReverse   bool // O reverses the order sortBy gives
	virtual       bool // the clock is not the wall clock: latencies are virtual time

	mode     mode
	focus    focusArea
	filter   textField
	confirm  confirmPrompt
	faults   faultMenu
	form     sessionForm
	burst    textField // the burst size being typed
	status   string    // feedback on the last action, shown in the lower rule
	describe describeView

	logView viewport.Model
	logKey  logKey // what the log view currently holds
	// following keeps the event log on its newest line. Only the user's
	// scrolling (and selecting another session) changes it, so a resize that
	// moves the viewport off the bottom does not stop the log following.
	following bool
	pausedAt  uint64 // the log's event count when following stopped
	logStarts []int  // the first viewport line of each log entry
	logSearch logSearch
	token     tokenInfo
	tokenRaw  string
	tokenOf   string           // the session tokenRaw belongs to
	verified  map[string]error // signature check results by fingerprint
}

// logKey identifies the content of the event-log viewport.
type logKey struct {
	name   string
	token  string // the raw token shown under the log (ShowSecrets only)
	lines  int
	logged uint64
	last   time.Time
	text   string
	width  int
	query  string // the log search, whose matches are marked
}

// newModel builds the root model over a backend.
func newModel(be backend, opts Options) Model {
	opts = opts.withDefaults()
	m := Model{
		be:        be,
		frames:    &frameSource{be: be, stopped: make(chan struct{})},
		opts:      opts,
		keys:      DefaultKeyMap(),
		help:      help.New(),
		width:     80,
		height:    24,
		verified:  map[string]error{},
		logView:   viewport.New(),
		following: true,
	}
	// Log lines are wrapped to the width when rendered (under their text,
	// clear of the time column), so the viewport's lines are the screen's and
	// a search can scroll to an entry by its line.
	m.logView.SoftWrap = false
	m.setStyles(true)
	_, wall := opts.Clock.(clock.Real)
	m.virtual = !wall
	m.keys.Copy.SetEnabled(opts.ShowSecrets)
	if _, ok := opts.Clock.(TimeControl); !ok {
		m.keys.Pause.SetEnabled(false)
		m.keys.Faster.SetEnabled(false)
		m.keys.Slower.SetEnabled(false)
	}
	m.keys.Fault.SetEnabled(opts.CanInjectFaults)
	return m
}

// setStyles picks the theme for the background (ignored without colour).
func (m *Model) setStyles(hasDark bool) {
	if m.opts.NoColor {
		m.styles = NoColorStyles()
	} else {
		m.styles = DefaultStyles(hasDark)
	}
	m.help.Styles = m.styles.Help
	m.paints = newRowPaints(m.styles)
}

// Init starts the frame ticker and asks for the background colour.
func (m Model) Init() tea.Cmd {
	return tea.Batch(m.tick(), m.fetchFrame(), tea.RequestBackgroundColor)
}

// tickSkipMsg is a tick that found a frame read less than a frame
// interval before it: it only re-arms the ticker.
type tickSkipMsg struct{}

// frameMsg carries a fresh frame; tick says it came from the ticker and
// re-arms it.
type frameMsg struct {
	frame frame
	asked string // the session whose detail was asked for
	tick  bool
	seq   uint64 // the order the frame was read in; 0 in tests that build frames
}

// frameSource numbers frames in the order they are read, so that a frame
// read earlier but delivered later (an action's fetch racing the ticker) is
// recognised as stale and dropped. It is shared by every copy of a Model.
type frameSource struct {
	mu   sync.Mutex // held across the read, so that numbers follow read order
	be   backend
	seq  uint64    // frames read: the screen's frame counter
	last time.Time // real time of the last read
	// stopped is closed when the program ends, so that a pending tick
	// (up to a second away) ends with it instead of outliving it.
	stopped  chan struct{}
	stopOnce sync.Once
}

// stop ends the pending and future ticks.
func (s *frameSource) stop() { s.stopOnce.Do(func() { close(s.stopped) }) }

// after returns a Cmd that calls fn after d, or returns nil at once when
// the source is stopped first (tea.Tick cannot be cancelled).
func (s *frameSource) after(d time.Duration, fn func() tea.Msg) tea.Cmd {
	t := time.NewTimer(d)
	return func() tea.Msg {
		defer t.Stop()
		select {
		case <-t.C:
			return fn()
		case <-s.stopped:
			return nil
		}
	}
}

// recent reports whether a frame was read less than d ago, so that a tick
// right after an event's frame need not read another: the two together
// stay within the frame rate.
func (s *frameSource) recent(d time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.last.IsZero() && time.Since(s.last) < d
}

// read copies a frame and numbers it.
func (s *frameSource) read(detail string) frameMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.last = time.Now()
	return frameMsg{frame: s.be.Frame(detail), asked: detail, seq: s.seq}
}

// fetchFrame reads a frame now (off the event loop); it does not re-arm.
func (m Model) fetchFrame() tea.Cmd {
	src, sel := m.frames, m.selected
	return func() tea.Msg { return src.read(sel) }
}

// tick reads a frame when what it shows next changes and re-arms the ticker.
func (m Model) tick() tea.Cmd {
	src, sel := m.frames, m.selected
	interval := m.opts.FrameInterval
	return src.after(nextFrameDelay(m.frame, interval), func() tea.Msg {
		if src.recent(interval) {
			return tickSkipMsg{}
		}
		msg := src.read(sel)
		msg.tick = true
		return msg
	})
}

// Selected returns the name of the selected session ("" when none).
func (m Model) Selected() string { return m.selected }

// nextFrameDelay is how long, in real time, until the clock-driven text of
// f (countdowns and ages, shown to the second) next changes: the rest of
// the current second of f.Now at f's speed, but never sooner than interval
// (the frame rate) nor later than a second. Events fetch frames on their
// own, so an idle screen draws once a second rather than every interval.
func nextFrameDelay(f frame, interval time.Duration) time.Duration {
	if f.Now.IsZero() || f.Paused || f.Speed <= 0 {
		return max(interval, time.Second)
	}
	rest := time.Second - time.Duration(f.Now.Nanosecond())
	d := time.Duration(float64(rest) / f.Speed)
	return min(max(d, interval), max(interval, time.Second))
}
