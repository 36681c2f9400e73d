package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// refuse answers a POST that checkPost turned away.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Warn("dashboard: refused a POST", "path", r.URL.Path, "err", err)
	h.fail(w, r, http.StatusForbidden, err)
}

// parsePost parses r's form and checks it may act; it answers r itself
// when it may not.
func (h *Handler) parsePost(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, http.StatusBadRequest, fmt.Errorf("read the form: %w", err))
		return false
	}
	if err := h.checkPost(r); err != nil {
		h.refuse(w, r, err)
		return false
	}
	return true
}

// taskAction handles retry and cancel of one task, then goes back to the
// task's page.
func (h *Handler) taskAction(verb string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.parsePost(w, r) {
			return
		}
		rec, ok := h.lookup(w, r)
		if !ok {
			return
		}
		call, done := h.admin.Retry, "retried"
		if verb == "cancel" {
			call, done = h.admin.Cancel, "cancelled"
		}
		errs, err := call(r.Context(), []int64{rec.ID})
		if err == nil {
			err = errs[0]
		}
		if err != nil {
			h.log.Warn("dashboard: "+verb, "task", rec.ID, "err", err)
			h.fail(w, r, http.StatusConflict, fmt.Errorf("%s task %d: %w", verb, rec.ID, err))
			return
		}
		h.log.Info("dashboard: "+verb, "task", rec.ID, "queue", rec.Queue)
		http.Redirect(w, r, h.opts.Prefix+"/tasks/"+strconv.FormatInt(rec.ID, 10)+"?done="+done, http.StatusSeeOther)
	}
}

// queueAction handles pause and resume of the queue named by the form's
// queue field, then goes back to the index.
func (h *Handler) queueAction(verb string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.parsePost(w, r) {
			return
		}
		queue := r.PostForm.Get("queue")
		shown, err := h.shows(r.Context(), queue)
		if err != nil {
			h.fail(w, r, http.StatusBadGateway, err)
			return
		}
		if !shown {
			h.fail(w, r, http.StatusNotFound, fmt.Errorf("queue %q is not shown by this dashboard", queue))
			return
		}
		call, done := h.admin.Pause, "paused"
		if verb == "resume" {
			call, done = h.admin.Resume, "resumed"
		}
		if err := call(r.Context(), []string{queue}); err != nil {
			h.log.Warn("dashboard: "+verb, "queue", queue, "err", err)
			h.fail(w, r, http.StatusBadGateway, fmt.Errorf("%s queue %q: %w", verb, queue, err))
			return
		}
		h.log.Info("dashboard: "+verb, "queue", queue)
		http.Redirect(w, r, h.opts.Prefix+"/?done="+done+"#q-"+url.PathEscape(queue), http.StatusSeeOther)
	}
}
