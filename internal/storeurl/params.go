package storeurl

import (
	"net/url"
	"slices"
	"strconv"
	"time"
)

// params reads a URL's query parameters, each at most once; what is
// left at the end is either passed on to the store's client or refused.
type params struct {
	kind string
	q    url.Values
	err  error
}

// take removes and returns the parameter's value, or "" if it is absent.
func (p *params) take(name string) string {
	vs, ok := p.q[name]
	if !ok {
		return ""
	}
	delete(p.q, name)
	if len(vs) != 1 && p.err == nil {
		p.err = invalid("%s parameter %s is given %d times", p.kind, name, len(vs))
	}
	return vs[len(vs)-1]
}

func (p *params) fail(name, v, want string) {
	if p.err == nil {
		p.err = invalid("%s parameter %s=%q: want %s", p.kind, name, v, want)
	}
}

func (p *params) duration(name string) time.Duration {
	v := p.take(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.fail(name, v, "a duration such as 10s or 250ms")
	}
	return d
}

func (p *params) integer(name string) int {
	v := p.take(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.fail(name, v, "an integer")
	}
	return n
}

func (p *params) boolean(name string) bool {
	v := p.take(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, v, "true or false")
	}
	return b
}

// done returns the first error, or one naming the parameters left, which
// the store does not know.
func (p *params) done() error {
	if p.err != nil {
		return p.err
	}
	if len(p.q) > 0 {
		var names []string
		for k := range p.q {
			names = append(names, k)
		}
		slices.Sort(names)
		return invalid("unknown %s parameter %s", p.kind, names[0])
	}
	return nil
}
