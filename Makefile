# batonkit build entry points. Every tool comes from go.mod (protoc plugins)
# or tools/go.mod (buf), so a fresh machine with Go needs nothing else.
#
#   make demo      sync the bundled example app into sync.c1z and show it
#   make test      everything CI runs (lint, codegen drift, wire check, tests)
#   make generate  regenerate pb/ from proto/
#   make bench     whole-sync and store/CLI benchmarks
#   make bench-compare  our H100k sync and CLI beside Baton's (BATON_BENCH_PEER)
#   make bench-scale    H1M, H10M, deep cyclic expansion, the child-process link
#   make bench-fleet    baton fleet on 50 apps x 10,000 accounts
#   make fuzz      long fuzz runs and the syncer's differential test over DIFF_SEEDS seeds
#   make crash     the kill-at-random-points test with many iterations

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BUF := $(GO) tool -modfile=tools/go.mod buf
SHARED ?= ../shared
WIRE_WANT := $(SHARED)/wire/baton-sdk-v0.25.0-descriptors.binpb
# The v3 storage records are not in that set; every v3 file Baton writes
# carries their descriptors in its manifest, so one of its files is the
# reference for proto/c1/storage/v3.
WIRE_V3_FILE := $(SHARED)/fixtures/upstream/demo-v3-pebble.c1z
# Every package of Baton's contract we hold: the wire check's defaults and the
# service-mode package (c1.connectorapi.baton.v1).
WIRE_PACKAGES := c1.connector.v2,c1.connector_wrapper.v1,c1.utls.v1,c1.ratelimit.v1,c1.c1z.v1,c1.config.v1,baton.v1,c1.connectorapi.baton.v1
PGV_DIR = $(shell $(GO) list -m -f '{{.Dir}}' github.com/envoyproxy/protoc-gen-validate)
BIN := bin
FUZZTIME ?= 60s
CRASH_RUNS ?= 50
DIFF_SEEDS ?= 5000

.PHONY: gofmt-check staticcheck race-short python-stubs bench-fleet bench-compare bench-scale image image-files all demo test test-deps fuzz-short large-files generate proto-lint proto-format-check drift-check wirecheck vet gotest \
	lint race bench fuzz crash vendor-validate build clean

all: build

build:
	$(GO) build ./...

## bench-compare: our H100k sync and our CLI on its file, and Baton's beside
## them, alternating, when BATON_BENCH_PEER names a Baton-built benchmark
## binary (same flags as baton-synthetic; Baton's CLI is the baton beside it,
## or BATON_PEER_CLI). BENCH_RUNS runs each; BENCH_ONLY picks workloads.
BENCH_RUNS ?= 3
BENCH_ONLY ?=
bench-compare: | $(BIN)
	$(GO) build -o $(BIN)/baton-synthetic ./examples/synthetic/cmd/baton-synthetic
	$(GO) build -o $(BIN)/baton ./cmd/baton
	$(GO) build -o $(BIN)/benchcompare ./internal/tools/benchcompare
	$(BIN)/benchcompare -ours $(BIN)/baton-synthetic -baton $(BIN)/baton -runs $(BENCH_RUNS) -only '$(BENCH_ONLY)'

## bench-fleet: a fleet of 50 apps x 10,000 accounts of 20,000 people
## (neighbouring apps share half), then baton fleet's first and later
## questions on it, measured (BENCHMARKS.md, issue 36).
bench-fleet: | $(BIN)
	$(GO) build -o $(BIN)/baton-synthetic ./examples/synthetic/cmd/baton-synthetic
	$(GO) build -o $(BIN)/baton ./cmd/baton
	$(GO) build -o $(BIN)/measure ./internal/tools/measure
	rm -rf $(BENCH_DIR)/fleet $(BENCH_DIR)/fleet-cache && mkdir -p $(BENCH_DIR)/fleet $(BENCH_DIR)/fleet-cache
	for i in $$(seq 0 49); do $(BIN)/baton-synthetic --users 10000 --groups 200 --members 20 --people 20000 --app $$i \
		--file $(BENCH_DIR)/fleet/app-$$(printf %02d $$i).c1z > /dev/null; done
	@echo "== first who (no cache)"
	XDG_CACHE_HOME=$(abspath $(BENCH_DIR))/fleet-cache $(BIN)/measure -- $(BIN)/baton fleet who person-000042@example.com $(BENCH_DIR)/fleet
	@echo "== later who, people, orphans-free stats (cached)"
	XDG_CACHE_HOME=$(abspath $(BENCH_DIR))/fleet-cache $(BIN)/measure -- $(BIN)/baton fleet who person-004242@example.com $(BENCH_DIR)/fleet
	XDG_CACHE_HOME=$(abspath $(BENCH_DIR))/fleet-cache $(BIN)/measure -- $(BIN)/baton fleet people $(BENCH_DIR)/fleet
	XDG_CACHE_HOME=$(abspath $(BENCH_DIR))/fleet-cache $(BIN)/measure -- $(BIN)/baton fleet stats $(BENCH_DIR)/fleet
	@echo "== export parquet"
	rm -rf $(BENCH_DIR)/fleet-parquet
	XDG_CACHE_HOME=$(abspath $(BENCH_DIR))/fleet-cache $(BIN)/measure -- $(BIN)/baton fleet export --out $(BENCH_DIR)/fleet-parquet $(BENCH_DIR)/fleet

## bench-scale: the long runs (about 15 minutes, a few GB of disk): H1M,
## H10M, expansion 3/6/12 levels deep with cycles, and a sync over the
## child-process link with one object per page (~20k calls).
bench-scale: | $(BIN)
	mkdir -p $(BENCH_DIR)
	$(GO) build -buildvcs=auto -o $(BIN)/baton ./cmd/baton
	$(GO) build -o $(BIN)/baton-synthetic ./examples/synthetic/cmd/baton-synthetic
	$(GO) build -o $(BIN)/baton-synthetic-connector ./examples/synthetic/cmd/baton-synthetic-connector
	$(GO) build -o $(BIN)/measure ./internal/tools/measure
	@echo "== child-process link: 10k users, 100 groups x 100 members, one object per page"
	rm -f $(BENCH_DIR)/link.c1z
	$(BIN)/measure -- $(BIN)/baton sync --connector $(BIN)/baton-synthetic-connector -f $(BENCH_DIR)/link.c1z -- \
		--users 10000 --groups 100 --members 100 --resource-page-size 1 --grant-page-size 1
	@echo "== expansion: 100k users, 10k groups x 20 in cyclic chains 3, 6 and 12 deep"
	for d in 3 6 12; do rm -f $(BENCH_DIR)/exp.c1z; \
		$(BIN)/measure -- $(BIN)/baton-synthetic --users 100000 --groups 10000 --members 20 --depth $$d --cycles --file $(BENCH_DIR)/exp.c1z; done
	@echo "== H1M (1M users, 50k groups x 20) and H10M (10M users, 500k groups x 20)"
	rm -f $(BENCH_DIR)/h1m.c1z $(BENCH_DIR)/h10m.c1z
	$(BIN)/baton-synthetic --users 1000000 --groups 50000 --members 20 --file $(BENCH_DIR)/h1m.c1z
	$(BIN)/baton-synthetic --users 10000000 --groups 500000 --members 20 --file $(BENCH_DIR)/h10m.c1z
	rm -f $(BENCH_DIR)/h1m.c1z $(BENCH_DIR)/h10m.c1z $(BENCH_DIR)/exp.c1z $(BENCH_DIR)/link.c1z

## generate: regenerate pb/ (clean: true in buf.gen.yaml wipes it first).
generate:
	$(BUF) generate

## vendor-validate: refresh third_party/proto/validate/validate.proto from the
## protoc-gen-validate version pinned in go.mod.
vendor-validate:
	install -m 0644 "$(PGV_DIR)/validate/validate.proto" third_party/proto/validate/validate.proto

proto-lint:
	$(BUF) lint

proto-format-check:
	$(BUF) format --diff --exit-code proto

## drift-check: pb/ must be exactly what make generate produces.
drift-check: generate
	@if [ -n "$$(git status --porcelain -- pb)" ]; then \
		git status --short -- pb; git diff --stat -- pb; \
		echo "pb/ is out of date with proto/: run 'make generate' and commit pb/" >&2; exit 1; \
	fi

## wirecheck: our descriptors against Baton's (the v3 records against those a
## Baton v3 file carries); zero problems is the bar.
wirecheck:
	@if [ ! -f "$(WIRE_WANT)" ]; then \
		echo "################################################################"; \
		echo "## WARNING: $(SHARED) is missing: the wire check is SKIPPED.   ##"; \
		echo "################################################################"; \
		exit 0; \
	fi; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(BUF) build -o "$$tmp/ours.binpb"; \
	cd "$(SHARED)/tools/wirecheck" && $(GO) run . -want "$(abspath $(WIRE_WANT))" -got "$$tmp/ours.binpb" -packages $(WIRE_PACKAGES) && \
	cd "$(CURDIR)" && $(GO) run ./internal/tools/v3descriptors "$(WIRE_V3_FILE)" "$$tmp/v3.binpb" && \
	cd "$(SHARED)/tools/wirecheck" && $(GO) run . -want "$$tmp/v3.binpb" -got "$$tmp/ours.binpb" -packages c1.storage.v3

vet:
	$(GO) vet ./...

gotest:
	$(GO) test ./...
	@# The Parquet export read back by DuckDB: a module of its own (cgo),
	@# so the product never imports it.
	cd test/duckdb && CGO_ENABLED=1 $(GO) test ./...

## fuzz-short: a few seconds of each fuzz target (2000 inputs: a count, not a
## time, so a large cached corpus cannot run past a deadline), in make test.
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=2000x DIFF_SEEDS=0

## test-deps: the real servers tests start (Debian's slapd and postgresql),
## the browser the explorer's tests drive (chromium), jq (README) and the
## Python examples' grpcio, protobuf and stub generator, installed
## when missing; tests that need one fail, never skip, without it.
test-deps:
	@missing=""; \
	if ! command -v slapd >/dev/null 2>&1 && [ ! -x /usr/sbin/slapd ]; then missing="$$missing slapd"; fi; \
	if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then missing="$$missing postgresql"; fi; \
	if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then missing="$$missing chromium"; fi; \
	if ! command -v jq >/dev/null 2>&1; then missing="$$missing jq"; fi; \
	if ! command -v gcc >/dev/null 2>&1; then missing="$$missing gcc"; fi; \
	if ! /usr/bin/python3 -c 'import grpc, google.protobuf, cryptography' >/dev/null 2>&1; then missing="$$missing python3-grpcio python3-protobuf python3-cryptography"; fi; \
	if ! command -v protoc >/dev/null 2>&1 || ! command -v grpc_python_plugin >/dev/null 2>&1; then missing="$$missing protobuf-compiler protobuf-compiler-grpc"; fi; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "missing:$$missing; installing needs root: apt-get install$$missing" >&2; exit 1; fi; \
		echo "installing$$missing (Debian) for the LDAP, PostgreSQL and Python examples' and the explorer's tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@# podman builds (and, where the machine allows, runs) the image in
	@# examples/deploy's test; best effort: without it that test says so.
	@if ! command -v podman >/dev/null 2>&1 && ! command -v docker >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing podman (Debian) for the container image test"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >/dev/null 2>&1 || echo "podman could not be installed: the image test will say so"; \
	fi

## python-stubs: the Python modules of the contract, for examples/python
## (generated from proto/ into examples/python/gen/, never edited).
python-stubs:
	examples/python/gen_stubs.sh examples/python/gen

## large-files: no tracked file over 1 MB outside testdata/ (build outputs
## belong in .gitignore).
large-files:
	@big=$$(git ls-files -z | xargs -0 -r stat -c '%s %n' 2>/dev/null | awk '$$1 > 1048576 && $$2 !~ /(^|\/)testdata\// {print $$2}'); \
	if [ -n "$$big" ]; then echo "tracked files over 1 MB outside testdata/:" >&2; echo "$$big" >&2; exit 1; fi

## test: the CI gate, in order.
test: large-files test-deps proto-lint proto-format-check drift-check wirecheck vet gofmt-check staticcheck gotest race-short fuzz-short

## staticcheck: staticcheck (pinned in go.mod's tool block) on everything
## but the generated pb/. The contract marks some fields deprecated that
## connectors still send (UserTrait.status, Resource.external_id); using
## them is deliberate, so only those deprecation reports are dropped.
staticcheck:
	@out=$$($(GO) tool staticcheck $$($(GO) list ./... | grep -v /pb/) 2>&1 | grep -v -E 'batonkit/pb/c1/.*SA1019' || true); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi

## race-short: the packages with concurrency (the syncer, the store, the
## child-process link, the session store, service mode) under the race
## detector, in make test; `make race` runs everything.
race-short:
	CGO_ENABLED=1 $(GO) test -race ./pkg/sync/... ./pkg/c1z ./pkg/subprocess ./pkg/session ./pkg/service

## race: the Go tests under the race detector (slower; not part of make test).
race:
	$(GO) test -race ./...

## lint: the static checks alone.
lint: proto-lint proto-format-check vet gofmt-check staticcheck

## gofmt-check: every Go file but the generated ones is gofmt'd.
gofmt-check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '^pb/'))" || { gofmt -l $$(git ls-files '*.go' | grep -v '^pb/'); echo "gofmt needed" >&2; exit 1; }

$(BIN):
	mkdir -p $(BIN)

## demo: build the CLI and the example connector, sync the bundled app
## (sqlapp.db, created with sample data on first run) into sync.c1z, show it.
demo: | $(BIN)
	$(GO) build -buildvcs=auto -o $(BIN)/baton ./cmd/baton
	$(GO) build -buildvcs=auto -o $(BIN)/baton-sqlapp ./examples/sqlapp/cmd/baton-sqlapp
	$(BIN)/baton-sqlapp --db sqlapp.db --file sync.c1z
	$(BIN)/baton resources -f sync.c1z
	$(BIN)/baton stats -f sync.c1z
	@echo
	@echo "Browse it (who can reach what, and how):  $(BIN)/baton explorer -f sync.c1z"

## bench: the H100k whole sync (DESIGN §6), the CLI on its file, and the
## store benchmarks. Paste the printed figures into BENCHMARKS.md.
BENCH_DIR ?= $(BIN)/bench
bench: | $(BIN)
	mkdir -p $(BENCH_DIR)
	$(GO) build -buildvcs=auto -o $(BIN)/baton ./cmd/baton
	$(GO) build -o $(BIN)/baton-synthetic ./examples/synthetic/cmd/baton-synthetic
	$(GO) build -o $(BIN)/measure ./internal/tools/measure
	rm -f $(BENCH_DIR)/h100k.c1z
	@echo "== H100k in-process sync (100,000 users, 5,000 groups x 20 members)"
	$(BIN)/baton-synthetic --users 100000 --groups 5000 --members 20 --file $(BENCH_DIR)/h100k.c1z
	@echo "== baton CLI on the H100k file"
	$(BIN)/measure -- $(BIN)/baton -f $(BENCH_DIR)/h100k.c1z grants -o json
	$(BIN)/measure -- $(BIN)/baton -f $(BENCH_DIR)/h100k.c1z grants
	$(BIN)/measure -- $(BIN)/baton -f $(BENCH_DIR)/h100k.c1z resources -o json
	$(BIN)/measure -- $(BIN)/baton -f $(BENCH_DIR)/h100k.c1z stats
	$(BIN)/measure -- $(BIN)/baton -f $(BENCH_DIR)/h100k.c1z search u00999
	$(BIN)/measure -- $(BIN)/baton -f $(BENCH_DIR)/h100k.c1z resources -t user --status disabled
	$(BIN)/measure -- $(BIN)/baton -f $(BENCH_DIR)/h100k.c1z access -t user -r 'User u0099999'
	$(BIN)/measure -- $(BIN)/baton -f $(BENCH_DIR)/h100k.c1z grants --principal 'user:User u0099999'
	@echo "== baton CLI on the H100k file in v3 (Pebble) layout"
	$(GO) build -o $(BIN)/v3copy ./internal/tools/v3copy
	rm -f $(BENCH_DIR)/h100k-v3.c1z
	$(BIN)/v3copy $(BENCH_DIR)/h100k.c1z $(BENCH_DIR)/h100k-v3.c1z
	$(BIN)/measure -- $(BIN)/baton -f $(BENCH_DIR)/h100k-v3.c1z grants -o json
	$(BIN)/measure -- $(BIN)/baton -f $(BENCH_DIR)/h100k-v3.c1z stats
	@echo "== baton-postgres against a real PostgreSQL (10k roles)"
	$(GO) test ./examples/postgres -run '^$$' -bench Sync10kRoles -benchtime 1x -timeout 30m
	@echo "== baton-ldap against a real slapd (100k entries)"
	$(GO) test ./examples/ldap -run '^$$' -bench Sync100kEntries -benchtime 1x -timeout 30m
	@echo "== upload and download of the H100k file to a loopback S3 server"
	$(GO) test ./pkg/remote -run '^$$' -bench UploadH100k -benchtime 5x -benchmem
	@echo "== service mode against the test control plane: no-op tasks, and an H100k sync task with its upload"
	$(GO) test ./pkg/service -run '^$$' -bench NoopTasks -benchtime 2000x
	$(GO) test ./pkg/service -run '^$$' -bench SyncUploadH100k -benchtime 1x -benchmem
	@echo "== baton explorer: each page's answer on the H100k file, over loopback HTTP"
	$(GO) test ./internal/explorer -run '^$$' -bench PagesH100k -benchtime 20x
	@echo "== baton explorer: first paint in headless Chromium on the H100k file (build/explorer-screenshots/timings.txt)"
	$(GO) test ./internal/explorer -run TestBrowserH100k -count=1 -v | grep 'first contentful paint'
	@echo "== store benchmarks"
	$(GO) test ./pkg/c1z -run '^$$' -bench 'Grants' -benchtime 1x -timeout 30m
	@echo "== per-call overhead of a sync over loopback gRPC and in-process"
	$(GO) test ./pkg/sync -run '^$$' -bench 'PerCall' -benchtime 2000x
	@echo "== one call over the real child link (Baton's handshake, mutual TLS)"
	$(GO) test ./pkg/subprocess -run '^$$' -bench 'LinkCall' -benchtime 3000x

## fuzz: run every fuzz target for FUZZTIME each.
# Every parser of outside input has a fuzz target: package, target.
FUZZ_TARGETS := ./pkg/c1z:FuzzOpen ./pkg/sync:FuzzParseState ./pkg/pagination:FuzzParse \
	./pkg/config:FuzzLoad ./pkg/subprocess:FuzzServerConfigLine

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		echo "== fuzz $${t#*:} for $(FUZZTIME)"; \
		$(GO) test "$${t%%:*}" -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME); \
	done
	BATONKIT_DIFF_SEEDS=$(DIFF_SEEDS) $(GO) test ./pkg/sync -run '^TestDifferentialAgainstReference$$' -count=1 -timeout 60m

## crash: kill a syncing process at CRASH_RUNS random moments.
crash:
	CRASH_RUNS=$(CRASH_RUNS) $(GO) test ./pkg/c1z -run '^TestKillWhileWriting$$' -count=1 -v -timeout 30m
	CRASH_RUNS=$(CRASH_RUNS) CRASH_USERS=20000 $(GO) test ./pkg/sync -run '^TestKillAndResume$$' -count=1 -v -timeout 60m

clean:
	rm -rf $(BIN) sync.c1z sqlapp.db

## image: the example connector as a container image (Dockerfile), with
## podman or docker: a static binary on an empty base, non-root.
IMAGE ?= batonkit/baton-sqlapp:dev
ENGINE ?= $(shell command -v podman || command -v docker)
image: image-files
	@if [ -z "$(ENGINE)" ]; then echo "no container engine: apt-get install podman" >&2; exit 1; fi
	$(ENGINE) build -q -t $(IMAGE) -f Dockerfile build/image

## image-files: what the image holds (the static binary, CA bundle,
## passwd), built apart so a cold Go build is not part of the image step.
image-files:
	rm -rf build/image && mkdir -p build/image/data
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o build/image/baton-sqlapp ./examples/sqlapp/cmd/baton-sqlapp
	cp /etc/ssl/certs/ca-certificates.crt build/image/
	printf 'nonroot:x:65532:65532:nonroot:/data:/sbin/nologin\n' > build/image/passwd
