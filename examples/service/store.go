package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
	goskredis "github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/drivers/sqlite"
)

// store is the driver the program runs on.
type store struct {
	drv   driver.Driver
	where string // what to print
	close func()
}

// open opens the store cfg names: PostgreSQL, Redis, or else a SQLite
// file in cfg.dir (a temporary directory, removed by close, if empty).
func open(ctx context.Context, cfg config) (*store, error) {
	switch {
	case cfg.postgres != "" && cfg.redis != "":
		return nil, fmt.Errorf("-postgres and -redis: choose one store")
	case cfg.postgres != "":
		drv, err := postgres.Open(ctx, cfg.postgres, &postgres.Options{Schema: cfg.schema})
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
		return &store{drv: drv, where: "PostgreSQL, schema " + cfg.schema, close: func() { _ = drv.Close() }}, nil
	case cfg.redis != "":
		drv, err := goskredis.Open(ctx, cfg.redis, &goskredis.Options{Prefix: cfg.prefix})
		if err != nil {
			return nil, fmt.Errorf("open Redis: %w", err)
		}
		return &store{drv: drv, where: "Redis, under the key prefix " + cfg.prefix, close: func() { _ = drv.Close() }}, nil
	}
	dir, removeDir := cfg.dir, func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "gosk-service-")
		if err != nil {
			return nil, err
		}
		dir, removeDir = tmp, func() { _ = os.RemoveAll(tmp) }
	}
	path := filepath.Join(dir, "service.db")
	drv, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		removeDir()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &store{drv: drv, where: path, close: func() { _ = drv.Close(); removeDir() }}, nil
}
