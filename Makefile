# sluice developer and CI entry points. CI runs .ci/run, which runs `make lint test`.
#
#   make test        start the integration servers (integration/services/up), then go test ./...
#   make test-unit   go test -short ./..., no servers
#   make lint        gofmt, go vet, staticcheck
#   make build       compile everything and bin/sluice
#   make bench       go run ./bench all
#   make services-up / services-down

SHELL := bash
.SHELLFLAGS := -o pipefail -c

GO ?= go
# The whole run, integration tests included; unit tests alone take well under 2 minutes.
TEST_TIMEOUT ?= 20m
GOTESTFLAGS ?=
# make test PKGS=./connectors/... runs a part of the tests.
# bench/ is its own module (see go.work): ./... alone does not reach it.
PKGS ?= ./... ./bench/...
STATICCHECK_VERSION ?= v0.8.2
SLUICE_CACHE ?= $(HOME)/.cache/sluice
STATICCHECK := $(SLUICE_CACHE)/staticcheck-$(STATICCHECK_VERSION)/staticcheck

.PHONY: all build test test-unit lint fmt-check vet staticcheck bench services-up services-down

all: build

# The version, commit and build date `sluice version` prints.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(shell git rev-parse --short=12 HEAD 2>/dev/null) -X main.buildDate=$(shell date -u +%Y-%m-%dT%H:%M:%SZ)

build:
	$(GO) build ./...
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/sluice ./cmd/sluice

# The servers' variables are read from up's stdout; its progress goes to
# stderr. If a server fails, the tests still run (those needing that server
# fail in CI and skip elsewhere, see integration/testenv) and make fails after.
test:
	@vars=$$(integration/services/up); up_rc=$$?; \
	eval "$$vars"; \
	echo "go test -timeout $(TEST_TIMEOUT) $(GOTESTFLAGS) $(PKGS)"; \
	$(GO) test -timeout $(TEST_TIMEOUT) $(GOTESTFLAGS) $(PKGS); test_rc=$$?; \
	if [ $$up_rc -ne 0 ]; then echo "make test: integration/services/up failed (exit $$up_rc), see its messages above" >&2; exit 1; fi; \
	exit $$test_rc

test-unit:
	$(GO) test -short -timeout 5m $(GOTESTFLAGS) $(PKGS)

lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt -l: these files need gofmt:" >&2; echo "$$out" >&2; exit 1; fi; echo "gofmt: clean"

vet:
	$(GO) vet ./... ./bench/...

# Installed into the cache, by version, so that it is built once per machine.
$(STATICCHECK):
	GOBIN=$(dir $@) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) -version
	$(STATICCHECK) ./... ./bench/...

bench:
	$(GO) run ./bench all

services-up:
	@integration/services/up

services-down:
	@integration/services/down
