package dashboard

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gosk/gosk/driver"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/style.css
var styleCSS []byte

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
	},
}

// pages holds one template set per page, each with the shared layout.
var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, name := range []string{"index", "tasks", "task", "error"} {
		m[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return m
}()

// page is what every page's layout needs.
type page struct {
	Title    string
	Prefix   string
	CSRF     string
	ReadOnly bool
	Notice   string
	Data     any
}

// notices are the fixed messages that a redirect after an action may
// name; a link can pick one but cannot put its own text on the page.
var notices = map[string]string{
	"retried":   "The task was moved back to pending.",
	"cancelled": "The task was cancelled.",
	"paused":    "The queue is paused: no worker claims its tasks until it is resumed.",
	"resumed":   "The queue is resumed.",
}

func (h *Handler) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.index)
	mux.HandleFunc("GET /tasks", h.tasks)
	mux.HandleFunc("GET /tasks/{id}", h.task)
	mux.HandleFunc("POST /tasks/{id}/retry", h.taskAction("retry"))
	mux.HandleFunc("POST /tasks/{id}/cancel", h.taskAction("cancel"))
	mux.HandleFunc("POST /queues/pause", h.queueAction("pause"))
	mux.HandleFunc("POST /queues/resume", h.queueAction("resume"))
	mux.HandleFunc("GET /static/style.css", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		_, _ = w.Write(styleCSS)
	})
	if h.opts.Prefix == "" {
		return mux
	}
	strip := http.StripPrefix(h.opts.Prefix, mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == h.opts.Prefix {
			http.Redirect(w, r, h.opts.Prefix+"/", http.StatusFound)
			return
		}
		strip.ServeHTTP(w, r)
	})
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	p := page{
		Title:    title,
		Prefix:   h.opts.Prefix,
		CSRF:     h.csrfToken(r),
		ReadOnly: h.opts.ReadOnly,
		Notice:   notices[r.URL.Query().Get("done")],
		Data:     data,
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pages[name].Execute(w, p); err != nil {
		h.log.Warn("dashboard: render page", "page", name, "err", err)
	}
}

// fail shows an error page. The message is escaped like any other text.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	h.render(w, r, status, "error", http.StatusText(status), err.Error())
}

// queueRow is one queue on the index page.
type queueRow struct {
	Name   string
	Paused bool
	Counts []stateCount
	Total  int64
	Charts []chartView
}

type stateCount struct {
	State driver.State
	N     int64
}

func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	paused, err := h.admin.PausedQueues(r.Context())
	if err != nil {
		h.fail(w, r, http.StatusBadGateway, fmt.Errorf("read the paused queues: %w", err))
		return
	}
	queues, err := h.shown(r.Context())
	if err != nil {
		h.fail(w, r, http.StatusBadGateway, err)
		return
	}
	var rows []queueRow
	for _, q := range queues {
		c, err := h.admin.Count(r.Context(), q)
		if err != nil {
			h.fail(w, r, http.StatusBadGateway, fmt.Errorf("count queue %q: %w", q, err))
			return
		}
		_, isPaused := slices.BinarySearch(paused, q)
		row := queueRow{Name: q, Paused: isPaused}
		for _, s := range driver.States() {
			row.Counts = append(row.Counts, stateCount{s, c[s]})
			row.Total += c[s]
		}
		tp, fl, dp := charts(h.samples.points(q))
		row.Charts = []chartView{draw(tp), draw(fl), draw(dp)}
		rows = append(rows, row)
	}
	h.render(w, r, http.StatusOK, "index", "Queues", struct {
		Queues []queueRow
		States []driver.State
		Every  time.Duration
		Listed bool
	}{rows, driver.States(), h.opts.SampleInterval, h.lister != nil})
}

// taskRow is a task as the list and the detail page show it.
type taskRow struct {
	driver.TaskRecord
	PayloadText   string
	PayloadBinary bool
	ResultText    string
	ResultBinary  bool
	CanRetry      bool
	CanCancel     bool
}

func (h *Handler) row(rec driver.TaskRecord, preview int) taskRow {
	t := taskRow{TaskRecord: rec}
	t.PayloadText, t.PayloadBinary = showBytes(rec.Payload, preview)
	t.ResultText, t.ResultBinary = showBytes(rec.Result, preview)
	t.CanRetry = rec.State == driver.StateFailed || rec.State == driver.StateCancelled
	t.CanCancel = rec.State == driver.StatePending || rec.State == driver.StateRunning
	if preview > 0 {
		t.LastError, _ = showBytes([]byte(rec.LastError), preview)
	}
	return t
}

func (h *Handler) tasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	queues, err := h.shown(r.Context())
	if err != nil {
		h.fail(w, r, http.StatusBadGateway, err)
		return
	}
	queue := q.Get("queue")
	if queue == "" {
		if len(queues) == 0 {
			h.fail(w, r, http.StatusNotFound, errors.New("the store holds no queue yet"))
			return
		}
		queue = queues[0]
	}
	if !slices.Contains(queues, queue) {
		h.fail(w, r, http.StatusNotFound, fmt.Errorf("queue %q is not shown by this dashboard", queue))
		return
	}
	var states []driver.State
	state := driver.State(q.Get("state"))
	if state != "" {
		if !state.Valid() {
			h.fail(w, r, http.StatusBadRequest, fmt.Errorf("state %q is not one of %v", state, driver.States()))
			return
		}
		states = []driver.State{state}
	}
	var after int64
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			h.fail(w, r, http.StatusBadRequest, fmt.Errorf("after %q is not a task ID", s))
			return
		}
		after = n
	}
	recs, err := h.admin.List(r.Context(), driver.ListParams{Queue: queue, States: states, AfterID: after, Limit: h.opts.PageSize})
	if err != nil {
		h.fail(w, r, http.StatusBadGateway, fmt.Errorf("list queue %q: %w", queue, err))
		return
	}
	rows := make([]taskRow, len(recs))
	for i, rec := range recs {
		rows[i] = h.row(rec, 80)
	}
	var next int64
	if len(recs) == h.opts.PageSize {
		next = recs[len(recs)-1].ID
	}
	h.render(w, r, http.StatusOK, "tasks", "Tasks of "+queue, struct {
		Queue, State string
		Queues       []string
		States       []driver.State
		Tasks        []taskRow
		After, Next  int64
	}{queue, string(state), queues, driver.States(), rows, after, next})
}

// lookup reads the task named by the path, or shows why it cannot.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request) (driver.TaskRecord, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.fail(w, r, http.StatusBadRequest, fmt.Errorf("%q is not a task ID", r.PathValue("id")))
		return driver.TaskRecord{}, false
	}
	rec, err := h.drv.Get(r.Context(), id)
	if err == nil && !h.showsTask(rec.Queue) {
		err = driver.ErrTaskNotFound // a task of a queue not shown is not there
	}
	switch {
	case errors.Is(err, driver.ErrTaskNotFound):
		h.fail(w, r, http.StatusNotFound, fmt.Errorf("task %d: %w", id, driver.ErrTaskNotFound))
		return driver.TaskRecord{}, false
	case err != nil:
		h.fail(w, r, http.StatusBadGateway, fmt.Errorf("read task %d: %w", id, err))
		return driver.TaskRecord{}, false
	}
	return rec, true
}

func (h *Handler) task(w http.ResponseWriter, r *http.Request) {
	rec, ok := h.lookup(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "task", fmt.Sprintf("Task %d", rec.ID), h.row(rec, 0))
}
