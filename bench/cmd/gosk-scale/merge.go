package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// measuredPrefix starts the report's line that says which stores were
// measured when; a later run restricted with -stores reads it back.
const measuredPrefix = "Stores measured: "

var (
	writtenRE  = regexp.MustCompile(`written (\d{4}-\d\d-\d\d \d\d:\d\d) UTC`)
	measuredRE = regexp.MustCompile(`([a-z-]+(?:, [a-z-]+)*) on (\d{4}-\d\d-\d\d \d\d:\d\d) UTC`)
)

// section is a "## " heading of a report and its lines, or the lines
// before the first heading (heading "").
type section struct {
	heading string
	lines   []string
}

func sections(md string) []section {
	out := []section{{}}
	for line := range strings.SplitSeq(strings.TrimRight(md, "\n"), "\n") {
		if strings.HasPrefix(line, "## ") {
			out = append(out, section{heading: line})
			continue
		}
		out[len(out)-1].lines = append(out[len(out)-1].lines, line)
	}
	return out
}

// rowStore returns the store a table row or a bullet is about, or "".
func rowStore(line string) string {
	var first string
	switch {
	case strings.HasPrefix(line, "| "):
		first, _, _ = strings.Cut(line[2:], " |")
	case strings.HasPrefix(line, "- "):
		if f := strings.Fields(line[2:]); len(f) > 0 {
			first = strings.TrimRight(f[0], ":")
		}
	default:
		return ""
	}
	if contains(allStores, first) {
		return first
	}
	return ""
}

// tableHeader returns a section's first table row (its column names).
func tableHeader(lines []string) string {
	for _, l := range lines {
		if strings.HasPrefix(l, "| ") {
			return l
		}
	}
	return ""
}

// measuredWhen reads which stores a report measured when: from its
// measuredPrefix line, else every store with a row in it at its written
// time.
func measuredWhen(md string) map[string]string {
	when := map[string]string{}
	for line := range strings.SplitSeq(md, "\n") {
		if rest, ok := strings.CutPrefix(line, measuredPrefix); ok {
			for _, m := range measuredRE.FindAllStringSubmatch(rest, -1) {
				for st := range strings.SplitSeq(m[1], ", ") {
					when[st] = m[2]
				}
			}
			return when
		}
	}
	m := writtenRE.FindStringSubmatch(md)
	if m == nil {
		return when
	}
	for line := range strings.SplitSeq(md, "\n") {
		if st := rowStore(line); st != "" && strings.HasPrefix(line, "| ") {
			when[st] = m[1]
		}
	}
	return when
}

// measuredLine says, store by store in allStores order, when each was
// measured.
func measuredLine(when map[string]string, now string) string {
	var dates []string
	byDate := map[string][]string{}
	for _, st := range allStores {
		d, ok := when[st]
		if !ok {
			continue
		}
		if _, seen := byDate[d]; !seen {
			dates = append(dates, d)
		}
		byDate[d] = append(byDate[d], st)
	}
	slices.Sort(dates)
	slices.Reverse(dates)
	var parts []string
	for _, d := range dates {
		part := fmt.Sprintf("%s on %s UTC", strings.Join(byDate[d], ", "), d)
		if d == now {
			part += " (this run)"
		} else {
			part += " (rows kept from that run: its machine, load and settings may differ)"
		}
		parts = append(parts, part)
	}
	return measuredPrefix + strings.Join(parts, "; ") + "."
}

// mergeReport returns fresh, the report of a run that measured only the
// stores in measured, with the rows and bullets of every other store kept
// from old, the report it replaces, and a line saying which stores were
// measured when. A table whose column names differ between the two (other
// -background, -n10k or -n1m) keeps none of old's rows, and says so.
func mergeReport(old, fresh string, measured []string) string {
	now := ""
	if m := writtenRE.FindStringSubmatch(fresh); m != nil {
		now = m[1]
	}
	when := measuredWhen(old)
	for _, st := range measured {
		when[st] = now
	}
	oldSecs := sections(old)
	find := func(heading string) *section {
		for i := range oldSecs {
			if oldSecs[i].heading == heading {
				return &oldSecs[i]
			}
		}
		return nil
	}
	kept := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			if st := rowStore(l); st != "" && !contains(measured, st) {
				out = append(out, l)
			}
		}
		return out
	}
	keptFailures := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			if st := failureStore(l); st != "" && !contains(measured, st) {
				out = append(out, l)
			}
		}
		return out
	}
	var dropped []string
	var b strings.Builder
	secs := sections(fresh)
	for i, s := range secs {
		var lines []string
		if o := find(s.heading); s.heading == "## Failures" && o != nil {
			lines = append(slices.Clone(s.lines), keptFailures(o.lines)...)
		} else if o != nil && i > 0 {
			if h := tableHeader(s.lines); h != "" && h != tableHeader(o.lines) {
				dropped = append(dropped, strings.TrimPrefix(s.heading, "## "))
				lines = s.lines
			} else {
				lines = mergeLines(s.lines, kept(o.lines))
			}
		} else {
			lines = s.lines
		}
		if i == 0 {
			lines = withMeasuredLine(lines, measuredLine(when, now))
		}
		if s.heading != "" {
			b.WriteString(s.heading + "\n")
		}
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
	}
	if o := find("## Failures"); o != nil && !slices.ContainsFunc(secs, func(s section) bool { return s.heading == o.heading }) {
		if fails := keptFailures(o.lines); len(fails) > 0 {
			b.WriteString("\n## Failures\n\n" + strings.Join(fails, "\n") + "\n")
		}
	}
	if len(dropped) > 0 {
		fmt.Fprintf(&b, "\nThe earlier run's rows of these tables were not kept, as their columns differ from this run's: %s.\n", strings.Join(dropped, "; "))
	}
	return b.String()
}

// failureStore returns the store a Failures bullet ("- round 1 sqlite
// final: ..." or "- setup bbolt pending: ...") names.
func failureStore(line string) string {
	what, _, _ := strings.Cut(strings.TrimPrefix(line, "- "), ":")
	for _, w := range strings.Fields(what) {
		if contains(allStores, w) {
			return w
		}
	}
	return ""
}

// mergeLines puts the kept rows and bullets among a section's own: the
// store lines of each run of consecutive store lines (a table's body, a
// list) are sorted in allStores order, kept lines joining the first such
// run of their kind (table row or bullet).
func mergeLines(lines, keep []string) []string {
	var out []string
	used := map[byte]bool{}
	for i := 0; i < len(lines); {
		if rowStore(lines[i]) == "" {
			out = append(out, lines[i])
			i++
			continue
		}
		j := i
		for j < len(lines) && rowStore(lines[j]) != "" {
			j++
		}
		block := slices.Clone(lines[i:j])
		kind := lines[i][0]
		if !used[kind] {
			used[kind] = true
			for _, k := range keep {
				if k[0] == kind {
					block = append(block, k)
				}
			}
		}
		slices.SortStableFunc(block, func(x, y string) int {
			return slices.Index(allStores, rowStore(x)) - slices.Index(allStores, rowStore(y))
		})
		out = append(out, block...)
		i = j
	}
	// A kind with no line of this run's goes after the table's separator
	// or the list's first bullet.
	for _, kind := range []byte{'|', '-'} {
		var rest []string
		for _, k := range keep {
			if k[0] == kind {
				rest = append(rest, k)
			}
		}
		if used[kind] || len(rest) == 0 {
			continue
		}
		at := slices.IndexFunc(out, func(l string) bool {
			return kind == '|' && strings.HasPrefix(l, "|---") || kind == '-' && strings.HasPrefix(l, "- ")
		})
		if at < 0 {
			continue
		}
		out = slices.Insert(out, at+1, rest...)
	}
	return out
}

// withMeasuredLine puts line after the paragraph that says when the
// report was written, in place of an earlier measuredPrefix line.
func withMeasuredLine(lines []string, line string) []string {
	lines = slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return strings.HasPrefix(l, measuredPrefix) })
	for i, l := range lines {
		if writtenRE.MatchString(l) {
			// The blank line after the paragraph stays between them.
			return slices.Insert(lines, i+1, "", line)
		}
	}
	return append(lines, "", line)
}
