package driver_test

import (
	"testing"
	"time"

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

// A batch's payloads are bounded in all, by MaxBatchPayloadLen or the
// payload limit if that is higher, for Create and Import alike.
func TestBatchPayloadLimit(t *testing.T) {
	t.Parallel()
	buf := make([]byte, driver.DefaultMaxPayloadLen)
	batch := func(total int) ([]driver.NewTask, []driver.ImportTask) {
		var tasks []driver.NewTask
		var imports []driver.ImportTask
		for left := total; left > 0; left -= len(buf) {
			p := buf[:min(len(buf), left)]
			tasks = append(tasks, driver.NewTask{Queue: "q", Payload: p, MaxAttempts: 1})
			imports = append(imports, driver.ImportTask{Origin: "o", Task: driver.TaskRecord{
				ID: int64(len(imports) + 1), Queue: "q", Payload: p, State: driver.StatePending, MaxAttempts: 1,
				CreatedAt: time.Unix(1e9, 0), RunAt: time.Unix(1e9, 0),
			}})
		}
		return tasks, imports
	}
	tasks, imports := batch(driver.MaxBatchPayloadLen)
	require.NoError(t, driver.ValidateNewTasksMax(tasks, driver.DefaultMaxPayloadLen), "a batch of exactly MaxBatchPayloadLen is valid")
	require.NoError(t, driver.ValidateImports(imports, driver.DefaultMaxPayloadLen), "an import of exactly MaxBatchPayloadLen is valid")
	tasks, imports = batch(driver.MaxBatchPayloadLen + 1)
	err := driver.ValidateNewTasksMax(tasks, driver.DefaultMaxPayloadLen)
	require.ErrorIs(t, err, driver.ErrInvalid)
	assert.Contains(t, err.Error(), "over the batch limit of 67108864 bytes")
	require.ErrorIs(t, driver.ValidateImports(imports, driver.DefaultMaxPayloadLen), driver.ErrInvalid)

	// A driver whose payload limit is higher takes one task of it.
	big := driver.MaxBatchPayloadLen * 2
	assert.Equal(t, big, driver.BatchPayloadLimit(big))
	one := []driver.NewTask{{Queue: "q", Payload: make([]byte, big), MaxAttempts: 1}}
	require.NoError(t, driver.ValidateNewTasksMax(one, big), "a task of the payload limit goes alone, whatever MaxBatchPayloadLen")
}
