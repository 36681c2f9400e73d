package crashtest

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/gosk/gosk/worker"
)

// run is one handler call, as its process recorded it.
type run struct {
	pid     int
	id      int64
	attempt int
	start   int64 // Unix nanoseconds
	end     int64 // 0 if no end was recorded
	result  string
	event   worker.EventKind // how the worker says it ended; 0 if unknown
}

type procState struct {
	open    int  // runs started and not ended
	trying  bool // a create is under way
	acked   int  // tasks acknowledged
	started int  // runs started
}

// logbook gathers the records of every process.
type logbook struct {
	mu   sync.Mutex
	runs []*run
	open map[[3]int64]*run // pid, task ID, attempt -> its open run
	// A process may run one task twice at once: a lease that ran out
	// in a slow process can be taken again by that process, under the
	// next attempt. Hence the attempt in the keys.
	//
	// unheard holds, per pid, task ID and attempt, the runs whose event
	// has not come yet, oldest first: an event may come after the
	// snoozed task already started again under the same attempt.
	unheard map[[3]int64][]*run
	tries   map[string]int // marker -> tasks in the create call
	acks    map[string][]int64
	procs   map[int]*procState
	finals  int // final outcomes stored, as the workers' events say
	changed chan struct{}
}

func newLogbook() *logbook {
	return &logbook{
		open:    make(map[[3]int64]*run),
		unheard: make(map[[3]int64][]*run),
		tries:   make(map[string]int),
		acks:    make(map[string][]int64),
		procs:   make(map[int]*procState),
		changed: make(chan struct{}, 1),
	}
}

// read records the lines of process pid until r ends.
func (b *logbook) read(pid int, r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		b.record(pid, sc.Text())
	}
}

func (b *logbook) proc(pid int) *procState {
	p := b.procs[pid]
	if p == nil {
		p = &procState{}
		b.procs[pid] = p
	}
	return p
}

// state returns a copy of what process pid is doing.
func (b *logbook) state(pid int) procState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return *b.proc(pid)
}

func (b *logbook) finished() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.finals
}

func (b *logbook) acked() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, p := range b.procs {
		n += p.acked
	}
	return n
}

func (b *logbook) record(pid int, line string) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.proc(pid)
	num := func(i int) int64 {
		if i >= len(f) {
			return 0
		}
		v, _ := strconv.ParseInt(f[i], 10, 64)
		return v
	}
	switch f[0] {
	case "start":
		r := &run{pid: pid, id: num(1), attempt: int(num(2)), start: num(3)}
		b.runs = append(b.runs, r)
		b.open[[3]int64{int64(pid), r.id, int64(r.attempt)}] = r
		k := [3]int64{int64(pid), r.id, int64(r.attempt)}
		b.unheard[k] = append(b.unheard[k], r)
		p.open++
		p.started++
	case "end":
		k := [3]int64{int64(pid), num(1), num(2)}
		if r := b.open[k]; r != nil {
			r.end, r.result = num(3), f[len(f)-1]
			delete(b.open, k)
			p.open--
		}
	case "ev":
		k := [3]int64{int64(pid), num(1), num(2)}
		if rs := b.unheard[k]; len(rs) > 0 {
			rs[0].event = worker.EventKind(num(3))
			if len(rs) == 1 {
				delete(b.unheard, k)
			} else {
				b.unheard[k] = rs[1:]
			}
		}
		switch worker.EventKind(num(3)) {
		case worker.EventCompleted, worker.EventCancelled, worker.EventFailed:
			b.finals++
		}
	case "try":
		b.tries[f[1]] = int(num(2))
		p.trying = true
	case "ack":
		ids := []int64{}
		for _, s := range f[2:] {
			if v, err := strconv.ParseInt(s, 10, 64); err == nil {
				ids = append(ids, v)
			}
		}
		b.acks[f[1]] = ids
		p.acked += len(ids)
		p.trying = false
	}
	select {
	case b.changed <- struct{}{}:
	default:
	}
}

// writer returns a writer whose lines are recorded as process pid's.
func (b *logbook) writer(pid int) *lineWriter {
	return &lineWriter{f: recordFunc(func(p []byte) {
		for _, l := range strings.Split(strings.TrimSuffix(string(p), "\n"), "\n") {
			b.record(pid, l)
		}
	})}
}

type recordFunc func([]byte)

func (f recordFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }
