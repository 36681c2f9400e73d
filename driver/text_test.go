package driver_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gosk/gosk/driver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestCheckTextAcceptsValidUTF8WithoutNUL(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"",
		"plain",
		"é ü ß 日本 🎉",
		"\x01\x1f\t\r\n\x7f",
		"\uFFFD",
		"\u2028\u2029\u200b",
		strings.Repeat("🎉", 4),
	} {
		assert.NoError(t, driver.CheckText(s, 64), "%q is valid text", s)
	}
	assert.NoError(t, driver.CheckText(strings.Repeat("k", 64), 64), "exactly the limit is valid")
}

func TestCheckTextRefusesNULInvalidUTF8AndLength(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		s, want string
	}{
		"NUL":                  {"ab\x00c", "NUL byte at byte 2"},
		"NUL alone":            {"\x00", "NUL byte at byte 0"},
		"lone byte":            {"a\xff", "not valid UTF-8 at byte 1"},
		"continuation":         {"\x80", "not valid UTF-8 at byte 0"},
		"truncated sequence":   {"é\xe2\x82", "not valid UTF-8 at byte 2"},
		"overlong NUL":         {"\xc0\x80", "not valid UTF-8 at byte 0"},
		"encoded surrogate":    {"\xed\xa0\x80", "not valid UTF-8 at byte 0"},
		"beyond U+10FFFF":      {"\xf4\x90\x80\x80", "not valid UTF-8 at byte 0"},
		"one byte too long":    {strings.Repeat("k", 65), "is 65 bytes, longer than 64"},
		"too long multi-byte":  {strings.Repeat("é", 33), "is 66 bytes, longer than 64"},
		"too long and invalid": {strings.Repeat("\x00", 65), "longer than 64"},
	}
	for name, c := range cases {
		err := driver.CheckText(c.s, 64)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), c.want, name)
		assert.NotErrorIs(t, err, driver.ErrInvalid, "%s: CheckText leaves wrapping to its caller", name)
	}
}

func TestValidatorsRefuseBadTextWithErrInvalidNamingTheField(t *testing.T) {
	t.Parallel()
	err := driver.ValidateNewTasks([]driver.NewTask{
		{Queue: "q", MaxAttempts: 1, UniqueKey: "ok"},
		{Queue: "q", MaxAttempts: 1, UniqueKey: "a\x00"},
	})
	require.ErrorIs(t, err, driver.ErrInvalid)
	assert.Contains(t, err.Error(), "task 1: unique key holds a NUL byte")

	lease := func(id int64) driver.Lease { return driver.Lease{TaskID: id, Token: 1} }
	for what, msg := range map[string]string{
		"NUL":       "bad \x00 input",
		"not UTF-8": "bad \xff input",
		"too long":  strings.Repeat("m", driver.MaxMessageLen+1),
	} {
		err := driver.ValidateOutcomes([]driver.Outcome{
			{Lease: lease(1), Kind: driver.Complete},
			{Lease: lease(2), Kind: driver.Fail, Message: msg},
		})
		require.ErrorIs(t, err, driver.ErrInvalid, what)
		assert.Contains(t, err.Error(), "outcome 1: message", what)
	}
	require.NoError(t, driver.ValidateOutcomes([]driver.Outcome{
		{Lease: lease(1), Kind: driver.Fail, Message: strings.Repeat("m", driver.MaxMessageLen)},
	}), "a message of exactly MaxMessageLen is valid")
}

func TestCleanMessage(t *testing.T) {
	t.Parallel()
	const fffd = "\uFFFD"
	cases := map[string]struct{ in, want string }{
		"clean text is kept":        {"é 🎉 \t\x01", "é 🎉 \t\x01"},
		"NUL is replaced":           {"bad \x00 input", "bad " + fffd + " input"},
		"each NUL is replaced":      {"\x00\x00", fffd + fffd},
		"an invalid byte":           {"bad \xff input", "bad " + fffd + " input"},
		"a run of invalid bytes":    {"a\xff\xfe\x80b", "a" + fffd + "b"},
		"a truncated sequence":      {"a\xe2\x82", "a" + fffd},
		"invalid bytes then NUL":    {"\xff\x00\xff", fffd + fffd + fffd},
		"U+FFFD itself is kept":     {fffd + "\xff", fffd + fffd},
		"an overlong NUL":           {"\xc0\x80", fffd},
		"empty stays empty":         {"", ""},
		"a message at the limit":    {strings.Repeat("m", driver.MaxMessageLen), strings.Repeat("m", driver.MaxMessageLen)},
		"one byte over is cut":      {strings.Repeat("m", driver.MaxMessageLen+1), strings.Repeat("m", driver.MaxMessageLen)},
		"a cut falls between runes": {"m" + strings.Repeat("🎉", driver.MaxMessageLen/4), "m" + strings.Repeat("🎉", driver.MaxMessageLen/4-1)},
		"replacements count":        {strings.Repeat("\x00", driver.MaxMessageLen), strings.Repeat(fffd, driver.MaxMessageLen/3)},
	}
	for name, c := range cases {
		got := driver.CleanMessage(c.in)
		assert.Equal(t, c.want, got, name)
		assert.NoError(t, driver.CheckText(got, driver.MaxMessageLen), "%s: the result is a valid message", name)
	}

	huge := strings.Repeat("é\x00\xff", 100_000)
	got := driver.CleanMessage(huge)
	require.NoError(t, driver.CheckText(got, driver.MaxMessageLen))
	assert.Greater(t, len(got), driver.MaxMessageLen-utf8.UTFMax, "a long text is cut near the limit, not far below it")
	assert.True(t, strings.HasPrefix(got, "é\uFFFD\uFFFDé"), "the start is kept")
}
