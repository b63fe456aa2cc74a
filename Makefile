# The targets the README names. `make test` is what CI runs.
GO ?= go

.PHONY: test check fuzz bench build

build:
	$(GO) build -o stele ./cmd/stele

# Everything: vet, every test with the race detector, then the kill -9
# crash test, which skips itself under -race (see internal/ledger).
test:
	$(GO) vet ./...
	$(GO) test -race -timeout 25m ./...
	$(GO) test -count=1 -timeout 15m -run '^TestCrash$$' ./internal/ledger

# Formatting and static analysis, as CI runs them.
check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	staticcheck ./...

# A short run of every fuzz target (FUZZTIME each).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Benchmarks, several runs each, for benchstat.
bench:
	$(GO) test -run '^$$' -bench . -count 6 -timeout 60m ./... | tee bench.txt
