# The two commands of the README. Each installs what is missing (Debian: libpcre2-dev) first.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
ETIQUETTE := .build/debug/etiquette

.PHONY: run test test-deps deps build check-rules fmt lint bench

# The port `make run` listens on: `make run PORT=9090`.
PORT ?= 8080

# System libraries: PCRE2 for patterns, libedit for the REPL, SQLite for the server's store;
# pkg-config lets SwiftPM find them.
deps:
	@if ! pkg-config --exists libpcre2-8 libedit sqlite3 2>/dev/null || [ ! -f /usr/include/pcre2.h ] \
	    || [ ! -f /usr/include/editline/readline.h ] || [ ! -f /usr/include/sqlite3.h ]; then \
	  echo "Installing libpcre2-dev, libedit-dev, libsqlite3-dev and pkg-config..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    libpcre2-dev libedit-dev libsqlite3-dev pkg-config; \
	fi
	@# Snowball stemmers for `forms` (issue 19); no pkg-config file, so the header is the test.
	@if [ ! -f /usr/include/libstemmer.h ]; then \
	  echo "Installing libstemmer-dev..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    libstemmer-dev; \
	fi

build: deps
	$(SWIFT) build

# The main job: check the example rules in rules/ and run their tests, then serve them in
# development mode (an SQLite store in etiquette.db, port $(PORT), generated secrets and member
# tokens printed with the next steps; Ctrl-C or SIGTERM stops it cleanly).
run: build
	$(ETIQUETTE) check rules/
	$(ETIQUETTE) test rules/
	$(ETIQUETTE) serve --rules rules/ --dev --port $(PORT)

# The same checks without the server: what CI-style linting of rule files runs.
check-rules: build
	$(ETIQUETTE) check --strict rules/
	$(ETIQUETTE) fmt --check rules/
	$(ETIQUETTE) test rules/

# What the tests use besides the build: tmux drives the REPL in a real terminal; Debian's
# chromium and chromium-driver run the web inbox's browser tests (.ci/browser adds selenium);
# ffmpeg is what the server uses for voice notes' AAC renditions.
test-deps:
	@command -v tmux >/dev/null || ($(SUDO) apt-get update -qq && \
	  $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux)
	@([ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]) || ($(SUDO) apt-get update -qq && \
	  $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)
	@python3 -c "import ensurepip" 2>/dev/null || ($(SUDO) apt-get update -qq && \
	  $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv)
	@# ffmpeg makes the AAC renditions of voice notes (the web inbox, for Safari on iPhone).
	@command -v ffmpeg >/dev/null || ($(SUDO) apt-get update -qq && \
	  $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg)

# swift-format (shipped with the toolchain) keeps the code uniform; the project's own code builds
# without a warning (ETIQUETTE_STRICT_WARNINGS, see Package.swift); then every test.
test: deps test-deps lint
	ETIQUETTE_STRICT_WARNINGS=1 $(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	$(SWIFT) test --skip-build
	$(MAKE) test-browser

# The web inbox in a real Chromium, against `etiquette serve` (.ci/browser; about a minute).
.PHONY: test-browser
test-browser: test-deps
	.ci/browser

# The web inbox measured in Chromium (not a test): first load, the list's render time with N
# conversations, webhook-to-bubble delay (Benchmarks/web/inbox_bench.py; ARGS="10000 200").
.PHONY: bench-web
bench-web: build test-deps
	.ci/browser --co -q >/dev/null
	ETIQUETTE=$(ETIQUETTE) .build/browser/bin/python Benchmarks/web/inbox_bench.py $(ARGS)

# The OpenAPI document against a running server, from outside: schemathesis (PyPI, installed
# into .build/schemathesis) generates requests from it and checks every answer (.ci/schemathesis).
.PHONY: schemathesis
schemathesis: build
	.ci/schemathesis

fmt: build
	$(ETIQUETTE) fmt rules/ grammar/examples/

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift Benchmarks/Sources Benchmarks/Package.swift

# The matcher and engine benchmark against Hyperscan (Debian's libhyperscan-dev, used
# by the Benchmarks package only), the checker's, the language server's and the rule impact's,
# then the webhook intake of the release server under `wrk` beside `wrk` on /healthz (issue 20's
# last target). Prints figures and ratios; it is not a test.
# BENCH_FLAGS: the matcher's build flags from Package.swift (POPCNT on x86-64), which SwiftPM
# ignores in a dependency; without them the benchmark would time a slower matcher than ships.
BENCH_FLAGS := $(shell [ "$$(uname -m)" = "x86_64" ] && echo "-Xswiftc -Xcc -Xswiftc -mpopcnt")
# wfrench: Debian's French word list, from which the benchmark builds its French-rich corpus.
bench: deps
	@dpkg -s libhyperscan-dev >/dev/null 2>&1 || ($(SUDO) apt-get install -y -qq libhyperscan-dev)
	@[ -f /usr/share/dict/french ] || ($(SUDO) apt-get update -qq && \
	  $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wfrench)
	$(SWIFT) run -c release --package-path Benchmarks $(BENCH_FLAGS) etiquette-bench $(ARGS)
	$(SWIFT) run -c release --package-path Benchmarks $(BENCH_FLAGS) etiquette-check-bench
	$(SWIFT) run -c release --package-path Benchmarks $(BENCH_FLAGS) etiquette-lsp-bench
	$(SWIFT) run -c release --package-path Benchmarks $(BENCH_FLAGS) etiquette-impact-bench
	@command -v wrk >/dev/null 2>&1 || ($(SUDO) apt-get install -y -qq wrk)
	$(SWIFT) build -c release --product etiquette
	python3 Benchmarks/webhook-load.py --binary .build/release/etiquette --rules rules -n 40000 -c 16 --seconds 10

# The VS Code extension (editors/vscode) as editors/etiquette.vsix, zipped by Python: no npm.
.PHONY: vsix
vsix:
	python3 editors/package-vsix.py editors/etiquette.vsix
