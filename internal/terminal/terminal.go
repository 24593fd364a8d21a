package terminal

import (
	"fmt"
	"io"
	gosync "sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/batonkit/batonkit/pkg/sync"
)

// Terminal draws a sync's progress live on a terminal, with mpb: one line
// per phase (finished phases stay, with their figures when they ended),
// each with the objects so far by kind, the rate, the elapsed time and,
// where connectors announced how much is to come, an estimate of the time
// left. Log lines written to it appear above the live lines instead of
// tearing them. Only for a terminal: into a pipe or a file, use
// sync.LogProgress.
type Terminal struct {
	w     io.Writer
	p     *mpb.Progress
	color bool

	mu    gosync.Mutex // held while calling mpb
	bar   *mpb.Bar
	line  *phaseLine
	phase string
	ended bool // the last frame is drawn: writes go straight to w
}

// phaseLine is what one phase's line shows. The renderer reads it from
// its own goroutine: a lock of its own, never held while calling mpb, so
// the two cannot wait on each other.
type phaseLine struct {
	mu gosync.Mutex
	p  sync.Progress
}

func (l *phaseLine) set(p sync.Progress) {
	l.mu.Lock()
	l.p = p
	l.mu.Unlock()
}

// New draws on w; color paints the phase names (pass false when
// NO_COLOR is set).
func New(w io.Writer, color bool) *Terminal {
	return &Terminal{w: w, p: mpb.New(mpb.WithOutput(w), mpb.WithAutoRefresh(), mpb.WithRefreshRate(100*time.Millisecond)), color: color}
}

// Update is a sync.WithProgress callback.
func (t *Terminal) Update(p sync.Progress) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return
	}
	if p.Phase != t.phase && !(p.Done && t.bar != nil) {
		t.finishLocked()
		t.phase = p.Phase
		name := decor.Name(p.Phase, decor.WC{W: 20, C: decor.DindentRight})
		if t.color {
			name = decor.Meta(name, func(s string) string { return "\x1b[1;36m" + s + "\x1b[0m" })
		}
		t.line = &phaseLine{}
		// Only our own counters reach the terminal: no text from the
		// connector is drawn here.
		t.bar = t.p.New(0, mpb.SpinnerStyle(), mpb.BarWidth(1), mpb.BarFillerOnComplete("✓"),
			mpb.PrependDecorators(name), mpb.AppendDecorators(decor.Any(t.line.text, decor.WCSyncWidthR)))
	}
	t.line.set(p)
	t.bar.SetCurrent(int64(p.Resources + p.Entitlements + p.Grants))
	if p.Done {
		t.finishLocked()
		t.p.Wait()
		t.ended = true
	}
}

// text is the line after the spinner.
func (l *phaseLine) text(decor.Statistics) string {
	l.mu.Lock()
	p := l.p
	l.mu.Unlock()
	line := fmt.Sprintf(" %d resources  %d entitlements  %d grants  %.0f/s  %s", p.Resources, p.Entitlements, p.Grants, p.Rate(),
		p.Elapsed.Round(time.Second))
	if p.Expanded > 0 {
		line += fmt.Sprintf("  +%d expanded", p.Expanded)
	}
	if r := p.Rate(); p.Estimated > 0 && r > 0 && !p.Done {
		line += fmt.Sprintf("  ~%s left", (time.Duration(float64(p.Estimated)/r) * time.Second).Round(time.Second))
	}
	return line
}

func (t *Terminal) finishLocked() {
	if t.bar != nil && !t.bar.Completed() {
		t.bar.SetTotal(-1, true)
	}
}

// Write prints log lines above the live lines (after the sync ended,
// below the last frame).
func (t *Terminal) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return t.w.Write(b)
	}
	return t.p.Write(b)
}

// Close ends the drawing (a phase still running stays on screen as it
// was) and waits for the last frame.
func (t *Terminal) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return
	}
	if t.bar != nil && !t.bar.Completed() {
		t.bar.Abort(false)
	}
	t.p.Wait()
	t.ended = true
}
