package driver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

func TestPayloadLimitOption(t *testing.T) {
	t.Parallel()
	n, err := driver.PayloadLimit("Options.MaxPayloadLen", 0)
	require.NoError(t, err)
	assert.Equal(t, driver.DefaultMaxPayloadLen, n, "zero means the default")
	n, err = driver.PayloadLimit("Options.MaxPayloadLen", 10)
	require.NoError(t, err)
	assert.Equal(t, 10, n, "a value in range is kept")
	n, err = driver.PayloadLimit("Options.MaxPayloadLen", driver.MaxPayloadLimit)
	require.NoError(t, err)
	assert.Equal(t, driver.MaxPayloadLimit, n, "the ceiling itself is allowed")
	for _, bad := range []int{-1, driver.MaxPayloadLimit + 1} {
		_, err := driver.PayloadLimit("gosk/x: Options.MaxPayloadLen", bad)
		require.ErrorIs(t, err, driver.ErrInvalid, "%d is out of range", bad)
		assert.Contains(t, err.Error(), "gosk/x: Options.MaxPayloadLen", "the error names the option")
	}
}

func TestValidateNewTasksMaxNamesTheLimit(t *testing.T) {
	t.Parallel()
	ok := driver.NewTask{Queue: "q", Payload: make([]byte, 10), MaxAttempts: 1}
	require.NoError(t, driver.ValidateNewTasksMax([]driver.NewTask{ok}, 10), "a payload of exactly the limit is valid")
	over := driver.NewTask{Queue: "q", Payload: make([]byte, 11), MaxAttempts: 1}
	err := driver.ValidateNewTasksMax([]driver.NewTask{ok, over}, 10)
	require.ErrorIs(t, err, driver.ErrInvalid)
	assert.Contains(t, err.Error(), "task 1: payload is 11 bytes, over the driver's payload limit of 10 bytes")
}
