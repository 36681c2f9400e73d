package redis

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gosk/gosk/driver"
)

// reply is an error reply of the server, as go-redis types them.
type reply string

func (r reply) Error() string { return string(r) }
func (reply) RedisError()     {}

// TestTranslateKeysOnReplyCodes: translate recognises the scripts' errors
// by the code of a server reply, not by any error's text.
func TestTranslateKeysOnReplyCodes(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string // in the translated text; "" means only the generic wrap
	}{
		{reply("GOSK_FOREIGN key gosk:meta is a string, not a gosk layout record"), "used by something else"},
		{fmt.Errorf("run: %w", reply("GOSK_NEWER layout version 9 is newer than this code knows (1)")), "newer gosk"},
		{reply("ERR GOSK_NEWER layout version 9"), "newer gosk"},
		{errors.New("GOSK_FOREIGN typed by hand, not a reply"), ""},
		{reply("GOSK_FOREIGNER is another code"), ""},
		{reply("WRONGTYPE Operation against a key holding the wrong kind of value"), ""},
	} {
		got := translate(c.err)
		if !errors.Is(got, c.err) {
			t.Errorf("translate(%q) = %q lost its cause", c.err, got)
		}
		if driver.IsPortError(got) {
			t.Errorf("translate(%q) = %q, a port error", c.err, got)
		}
		generic := got.Error() == "gosk/redis: "+c.err.Error()
		switch {
		case c.want == "" && !generic:
			t.Errorf("translate(%q) = %q, want the generic wrap", c.err, got)
		case c.want != "" && (generic || !strings.Contains(got.Error(), c.want)):
			t.Errorf("translate(%q) = %q, want it to say %q", c.err, got, c.want)
		}
	}
	if errorCode(reply("NOSCRIPT No matching script. Please use EVAL.")) != codeNoScript {
		t.Error("NOSCRIPT not recognised")
	}
	if errorCode(errors.New("NOSCRIPT")) != "" {
		t.Error("a plain error has no reply code")
	}
}
