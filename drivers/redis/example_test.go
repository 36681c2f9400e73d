package redis_test

import (
	"context"
	"log"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk"
	goskredis "github.com/gosk/gosk/drivers/redis"
)

// A driver on a go-redis client; the same call takes a ClusterClient or a
// Sentinel (failover) client.
func ExampleNew() {
	ctx := context.Background()
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	drv, err := goskredis.New(ctx, client, &goskredis.Options{Prefix: "myapp:"})
	if err != nil {
		log.Fatal(err)
	}
	defer drv.Close()
	q, err := gosk.NewQueue[string](drv, "emails", nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := q.Create(ctx, "hello@example.com", nil); err != nil {
		log.Fatal(err)
	}
}

// Creating a task inside the application's own MULTI/EXEC transaction: the
// order and its e-mail are stored together, or neither is.
func ExampleDriver_Tx() {
	ctx := context.Background()
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	drv, err := goskredis.New(ctx, client, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer drv.Close()
	q, err := gosk.NewQueue[string](drv, "receipts", nil)
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.TxPipelined(ctx, func(tx goredis.Pipeliner) error {
		tx.HSet(ctx, "order:42", "state", "paid")
		_, err := q.In(drv.Tx(tx)).Create(ctx, "buyer@example.com", nil)
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
}
