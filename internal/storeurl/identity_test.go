package storeurl_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeurl"
)

// URLs that open one store have one identity, without credentials or
// connection settings; URLs of different stores have different ones.
func TestIdentity(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	for _, c := range []struct{ url, want string }{
		{"sqlite:///var/app.db?busy_timeout=5s", "sqlite:///var/app.db"},
		{"sqlite:data/app.db", "sqlite://" + filepath.ToSlash(filepath.Join(wd, "data/app.db"))},
		{"sqlite:///var/app.db?table_prefix=jobs_", "sqlite:///var/app.db?table_prefix=jobs_"},
		{"bbolt:///var/app.bolt?bucket=b&lock_timeout=1s", "bbolt:///var/app.bolt?bucket=b"},
		{"postgres://app:secret@DB.example:5432/prod?schema=q&max_conns=4", "postgres://db.example:5432/prod?schema=q"},
		{"postgres://app@db.example/prod", "postgres://db.example:5432/prod"},
		{"redis://:pw@127.0.0.1/2?prefix=p", "redis://127.0.0.1:6379/2?prefix=p"},
		{"redis://127.0.0.1:6380", "redis://127.0.0.1:6380/0"},
		{"memory:", "memory:"},
	} {
		got, err := storeurl.Identity(c.url)
		require.NoError(t, err, c.url)
		assert.Equal(t, c.want, got, c.url)
		assert.NotContains(t, got, "secret", "no password")
	}
	_, err = storeurl.Identity("ftp://x")
	assert.ErrorIs(t, err, driver.ErrInvalid)
}
