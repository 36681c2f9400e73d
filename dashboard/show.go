package dashboard

import (
	"encoding/hex"
	"unicode/utf8"
)

// showBytes returns b as text to show: itself when it is valid UTF-8,
// else a hex dump (binary true). With limit > 0 the text is cut to about
// limit bytes, on a character boundary, and ends in "…". The text is not
// escaped here: the templates escape it.
func showBytes(b []byte, limit int) (text string, binary bool) {
	if !utf8.Valid(b) {
		if limit > 0 && len(b) > limit/3 {
			return hex.EncodeToString(b[:limit/3]) + "…", true
		}
		if limit > 0 {
			return hex.EncodeToString(b), true
		}
		return hex.Dump(b), true
	}
	if limit <= 0 || len(b) <= limit {
		return string(b), false
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "…", false
}
