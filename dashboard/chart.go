package dashboard

import (
	"strconv"
	"strings"
	"time"
)

// The size of a chart's drawing, in SVG user units.
const (
	chartW = 300
	chartH = 80
)

// chartView is what the template draws for one chart: an SVG polyline and
// its labels. Points holds only numbers, formatted here.
type chartView struct {
	Title  string
	Points string
	Width  int
	Height int
	Max    int64
	Last   int64
	Span   string
	Empty  bool
}

// draw scales s into a chartW by chartH box, the highest value at the
// top and zero at the bottom.
func draw(s series) chartView {
	v := chartView{Title: s.Title, Width: chartW, Height: chartH}
	if len(s.Values) < 2 {
		v.Empty = true
		return v
	}
	for _, x := range s.Values {
		v.Max = max(v.Max, x)
	}
	v.Last = s.Values[len(s.Values)-1]
	v.Span = s.Times[len(s.Times)-1].Sub(s.Times[0]).Round(time.Second).String()
	top := max(v.Max, 1)
	var b strings.Builder
	n := len(s.Values)
	for i, x := range s.Values {
		px := float64(i) * chartW / float64(n-1)
		py := chartH - 2 - float64(x)*(chartH-4)/float64(top)
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatFloat(px, 'f', 1, 64))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(py, 'f', 1, 64))
	}
	v.Points = b.String()
	return v
}
