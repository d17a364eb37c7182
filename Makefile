# The two commands of the README. Each installs what is missing (Debian: libpcre2-dev) first.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
ETIQUETTE := .build/debug/etiquette

.PHONY: run test deps build check-rules fmt lint

# System libraries: PCRE2 for patterns, libedit for the REPL; pkg-config lets SwiftPM find them.
deps:
	@if ! pkg-config --exists libpcre2-8 libedit 2>/dev/null || [ ! -f /usr/include/pcre2.h ] \
	    || [ ! -f /usr/include/editline/readline.h ]; then \
	  echo "Installing libpcre2-dev, libedit-dev and pkg-config..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    libpcre2-dev libedit-dev pkg-config; \
	fi

build: deps
	$(SWIFT) build

# The main job: check the example rules in rules/, verify they are formatted, run their tests.
run: build
	$(ETIQUETTE) check rules/
	$(ETIQUETTE) fmt --check rules/
	$(ETIQUETTE) test rules/

test: deps
	$(SWIFT) test

fmt: build
	$(ETIQUETTE) fmt rules/ grammar/examples/

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift
