package worker_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

type Resize struct {
	Image string
	Width int
}

type Resized struct {
	URL   string
	Bytes int
}

// A handler stores a result with the task it completes; whoever created
// the task reads it back with Get and decodes it with DecodeResult.
func Example_result() {
	ctx := context.Background()
	drv := memory.New(nil)
	defer drv.Close()
	q, err := gosk.NewQueue[Resize](drv, "resize", nil)
	if err != nil {
		panic(err)
	}
	id, err := q.Create(ctx, Resize{Image: "cat.png", Width: 200}, nil)
	if err != nil {
		panic(err)
	}
	w, err := worker.New(q, func(ctx context.Context, t *gosk.Task[Resize]) error {
		url := fmt.Sprintf("https://img.example.com/%d/%s", t.Payload.Width, t.Payload.Image)
		return t.SetResult(Resized{URL: url, Bytes: 5120})
	}, nil)
	if err != nil {
		panic(err)
	}
	if err := w.Work(ctx); err != nil {
		panic(err)
	}

	task, err := q.Get(ctx, id)
	if err != nil {
		panic(err)
	}
	var r Resized
	if err := task.DecodeResult(&r); err != nil {
		panic(err)
	}
	fmt.Println(task.State, r.URL, r.Bytes)

	// A task that has not completed has no result.
	pending, err := q.Create(ctx, Resize{Image: "dog.png", Width: 100}, nil)
	if err != nil {
		panic(err)
	}
	task, err = q.Get(ctx, pending)
	if err != nil {
		panic(err)
	}
	fmt.Println(errors.Is(task.DecodeResult(&r), gosk.ErrNoResult))
	// Output:
	// completed https://img.example.com/200/cat.png 5120
	// true
}
