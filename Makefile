# The two commands of the README. Each installs what is missing (Debian: libpcre2-dev) first.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
ETIQUETTE := .build/debug/etiquette

.PHONY: run test deps build check-rules fmt lint

# PCRE2 is the only system library Etiquette needs; pkg-config lets SwiftPM find it.
deps:
	@if ! pkg-config --exists libpcre2-8 2>/dev/null || [ ! -f /usr/include/pcre2.h ]; then \
	  echo "Installing libpcre2-dev and pkg-config..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpcre2-dev pkg-config; \
	fi

build: deps
	$(SWIFT) build

# The main job: check the example rules in rules/ and verify they are formatted.
run: build
	$(ETIQUETTE) check rules/
	$(ETIQUETTE) fmt --check rules/

test: deps
	$(SWIFT) test

fmt: build
	$(ETIQUETTE) fmt rules/ grammar/examples/

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift
