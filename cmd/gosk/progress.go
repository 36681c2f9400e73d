package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// barWidth is the width of the progress bar, in cells.
const barWidth = 30

// progress draws a bar on w, redrawn every tick from its own goroutine,
// until stop. A progress that is not shown does nothing.
type progress struct {
	w     io.Writer
	label string
	total int
	done  atomic.Int64
	quit  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

func startProgress(w io.Writer, show bool, label string, total int) *progress {
	p := &progress{w: w, label: label, total: total, quit: make(chan struct{})}
	if !show {
		return p
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.draw()
			case <-p.quit:
				p.draw()
				fmt.Fprintln(p.w)
				return
			}
		}
	}()
	return p
}

func (p *progress) set(n int) { p.done.Store(int64(n)) }

// stop draws the bar a last time and waits for its goroutine to end.
func (p *progress) stop() {
	p.once.Do(func() { close(p.quit) })
	p.wg.Wait()
}

func (p *progress) draw() {
	n := int(p.done.Load())
	fill := barWidth * n / max(p.total, 1)
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d", p.label, strings.Repeat("#", fill), strings.Repeat(" ", barWidth-fill), n, p.total)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
