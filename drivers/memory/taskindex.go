package memory

import "slices"

// pageLen is the number of IDs a page of a taskIndex covers.
const pageLen = 1024

// taskIndex finds a stored task by its ID. The driver hands IDs out in
// order from 1, so the index is an array of pages of pageLen IDs, the
// page and place of an ID found by arithmetic: no hashing, and tasks
// created together sit together, where a map of every task stored
// scattered them (Finish looked up each outcome's task in one, a cache
// miss apiece). A page goes once it holds no task, and the array drops
// the empty pages at its front, so that a store that purges its old
// tasks does not keep a slot for every ID it ever handed out. The zero
// value is an empty index.
type taskIndex struct {
	first int64       // the number of pages[0]: the page of IDs first*pageLen+1 onwards
	pages []*taskPage // nil where no task of the page is stored
}

// taskPage holds the tasks of pageLen consecutive IDs.
type taskPage struct {
	tasks [pageLen]*task
	n     int // the tasks held
}

// locate returns the page number and the place in it of an ID (at
// least 1).
func locate(id int64) (page int64, at int) {
	return (id - 1) / pageLen, int((id - 1) % pageLen)
}

// get returns the task of id, or nil if none is stored.
func (x *taskIndex) get(id int64) *task {
	if id <= 0 {
		return nil
	}
	page, at := locate(id)
	i := page - x.first
	if i < 0 || i >= int64(len(x.pages)) || x.pages[i] == nil {
		return nil
	}
	return x.pages[i].tasks[at]
}

// put stores t under its ID, which must be at least 1 and not stored.
func (x *taskIndex) put(t *task) {
	page, at := locate(t.rec.ID)
	switch {
	case len(x.pages) == 0:
		x.first = page
	case page < x.first:
		// An ID held back by a transaction that commits after the pages
		// before it were dropped.
		x.pages = slices.Insert(x.pages, 0, make([]*taskPage, x.first-page)...)
		x.first = page
	}
	for page-x.first >= int64(len(x.pages)) {
		x.pages = append(x.pages, nil)
	}
	p := x.pages[page-x.first]
	if p == nil {
		p = new(taskPage)
		x.pages[page-x.first] = p
	}
	p.tasks[at] = t
	p.n++
}

// delete takes the task of id, which must be stored, out of the index.
func (x *taskIndex) delete(id int64) {
	page, at := locate(id)
	i := page - x.first
	p := x.pages[i]
	p.tasks[at] = nil
	if p.n--; p.n > 0 {
		return
	}
	x.pages[i] = nil
	for len(x.pages) > 0 && x.pages[0] == nil {
		x.pages[0] = nil
		x.pages = x.pages[1:]
		x.first++
	}
}
