// Package postgres is the gosk driver for PostgreSQL, built on pgx v5.
package postgres
