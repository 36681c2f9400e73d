# gosk's tasks. `make help` lists them; each target's comment after `##` is
# its one-line description.

GO            ?= go
GOLANGCI_LINT ?= $(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
PKGS          ?= ./...
BENCH         ?= .
BENCHTIME     ?= 1s
TEST_TIMEOUT  ?= 12m
FUZZTIME      ?= 4s
SOAK_TASKS    ?= 100000
SOAK_FLAGS    ?=
BENCH_ROUNDS  ?= 3
BENCH_N       ?= 20000
BENCH_FLAGS   ?=
SCALE_ROUNDS  ?= 3
SCALE_FLAGS   ?=
# Nested modules whose tests and lint run with the root's (bench/ is not one:
# it runs only through make bench-compare).
MODULES       ?= contrib/prometheus contrib/otel

.DEFAULT_GOAL := help

.PHONY: help run test soak fuzz lint bench bench-compare bench-scale cover fmt vet services

help: ## List the targets with a line on each
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## Run the quickstart: a few hundred tasks through a pool of workers
	$(GO) run ./examples/quickstart

test: ## Run every test with the race detector, the root's and MODULES' (servers: GOSK_TEST_POSTGRES_URL, GOSK_TEST_REDIS_URL, else the local defaults)
	@$(GO) run ./internal/testenv/findservers
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)
	@# The move test at its full count (100,000 tasks between each pair of
	@# durable drivers): without the race detector, whose instrumentation of
	@# the pure-Go SQLite makes that count take most of an hour; the run
	@# above moves 5,000 per pair under it.
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -run '^TestMove$$' ./cmd/gosk
	@for m in $(MODULES); do echo "cd $$m && $(GO) test -race -count=1 ./..."; (cd $$m && $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...) || exit 1; done

fuzz: ## Run every fuzz target for FUZZTIME each (default 4s; FUZZ=regexp picks targets)
	bash .ci/fuzz $(FUZZTIME)

soak: ## Kill workers and producers at random for minutes on each durable driver and print the accounting (SOAK_TASKS=100000 SOAK_FLAGS=-stores=sqlite,bbolt)
	GOSK_SOAK_TASKS=$(SOAK_TASKS) $(GO) run ./internal/crashtest/soak $(SOAK_FLAGS)

lint: ## Run golangci-lint on the root and MODULES (a pinned version, built by `go run`: nothing to install)
	$(GOLANGCI_LINT) run $(PKGS)
	@for m in $(MODULES); do echo "cd $$m && golangci-lint run ./..."; (cd $$m && $(GOLANGCI_LINT) run ./...) || exit 1; done

vet: ## Run go vet
	$(GO) vet $(PKGS)

fmt: ## Format the code with gofmt
	gofmt -w $$(git ls-files '*.go')

bench: ## Run the benchmarks (BENCH=regexp BENCHTIME=1s PKGS=./drivers/...)
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -benchmem $(PKGS)

bench-compare: ## Start PostgreSQL and Redis, run gosk and its peers side by side (bench/) and write BENCHMARKS.md (BENCH_ROUNDS=3 BENCH_N=20000 BENCH_FLAGS=)
	bash .ci/services
	cd bench && $(GO) run ./cmd/compare -r $(BENCH_ROUNDS) -n $(BENCH_N) -out ../BENCHMARKS.md $(BENCH_FLAGS)

bench-scale: ## Start PostgreSQL and Redis, run gosk against its own empty store with 1M pending or final tasks, 4 processes, big payloads (bench/cmd/gosk-scale) and write BENCHMARKS-scale.md (SCALE_ROUNDS=3 SCALE_FLAGS=-quick for a smoke run)
	bash .ci/services
	cd bench && $(GO) run ./cmd/gosk-scale -r $(SCALE_ROUNDS) -out ../BENCHMARKS-scale.md $(SCALE_FLAGS)

cover: ## Run the tests with coverage and write cover.html
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) -coverpkg=./... -coverprofile=cover.out $(PKGS)
	$(GO) tool cover -func=cover.out | tail -1
	$(GO) tool cover -html=cover.out -o cover.html

services: ## Start local PostgreSQL and Redis for the server tests if they are down (installs them when missing)
	bash .ci/services
