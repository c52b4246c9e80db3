# syntax=docker/dockerfile:1
# gatehouse container image: the server binary plus the hydration bundle (target/site).
#
#   docker build -t gatehouse .
#   docker run --rm -p 3000:3000 --env-file prod.env gatehouse
#
# Stages: wasm-opt (npm binaryen) -> tools (Rust toolchain + pinned cargo tools) -> planner
# (cargo-chef recipe) -> cook (the dependencies, compiled once per Cargo.lock/manifest change) ->
# builder (`cargo leptos build --release`) -> runtime (distroless, non-root).
# A change to the app's source reruns only `builder`; a change to Cargo.toml/Cargo.lock reruns
# `cook` too; a change to the pinned tool versions below reruns everything from `tools`.
#
# NOT BUILT HERE: the development machines have no Docker daemon and reach no container
# registry, so this file has only been linted (scripts/lint_docker.sh, hadolint). It follows the
# build that scripts/setup.sh and the Makefile do (pinned cargo-leptos, wasm-bindgen-cli equal to
# the crate pinned in Cargo.toml, npm binaryen's wasm-opt first on PATH).
# Expected size: binary ~20-30 MB, site (wasm + js + css) a few MB, distroless/cc ~25 MB =>
# image ~50 MB (not measured). A cold build: ~15-25 min for the cargo installs, then the
# dependencies and the app in release mode (~20 min on 2 cores with the fat LTO of Cargo.toml's
# release profile: 19.5 min measured on the development machine); afterwards a source-only
# change costs the app's own crates only.

# --- wasm-opt: npm `binaryen`, equal to the pin in package.json (132.0.0; keep them equal). ------
# Debian's binaryen 108 produces a bundle that fails to hydrate, so it must not be used. Node
# 20.20.2 is the development machines' (and the CircleCI test job's) version.
FROM node:20.20.2-bookworm-slim AS wasm-opt
WORKDIR /opt/binaryen
RUN npm install --no-save --no-package-lock --no-audit --no-fund binaryen@132.0.0 \
 && node_modules/.bin/wasm-opt --version

# --- tools: toolchain, target and cargo tools (a cached layer each, least often changed first) ---
FROM rust:1.95.0-bookworm AS tools
RUN rustup target add wasm32-unknown-unknown
# cargo-leptos 0.3.10, not 0.3.11: 0.3.11's lockfile needs rustc 1.96 (scripts/setup.sh's pin).
# The build tools get a cheaper release profile than their own (as in scripts/setup.sh).
ARG CARGO_LEPTOS_VERSION=0.3.10
RUN --mount=type=cache,id=gatehouse-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install --locked "cargo-leptos@${CARGO_LEPTOS_VERSION}"
ARG CARGO_CHEF_VERSION=0.2.0
RUN --mount=type=cache,id=gatehouse-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    cargo install --locked "cargo-chef@${CARGO_CHEF_VERSION}"
# cargo-leptos runs the first wasm-bindgen on PATH (it would otherwise try to download one): it
# must equal the `wasm-bindgen = "=0.2.117"` pin in Cargo.toml (scripts/setup.sh's pin).
ARG WASM_BINDGEN_VERSION=0.2.117
RUN --mount=type=cache,id=gatehouse-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install --locked wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}"
# node (Debian bookworm only has 18) and binaryen's wasm-opt, which is a node script.
COPY --from=wasm-opt /usr/local/bin/node /usr/local/bin/node
COPY --from=wasm-opt /opt/binaryen/node_modules /opt/binaryen/node_modules
ENV PATH=/opt/binaryen/node_modules/.bin:$PATH
RUN cargo leptos --version && command -v cargo-chef && wasm-bindgen --version && wasm-opt --version
WORKDIR /src

# --- planner: the recipe (manifests + Cargo.lock, local crates' versions masked) ---------------
FROM tools AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

# --- cook: the dependencies of both builds that `cargo leptos build --release` runs -------------
# Each cook repeats cargo-leptos's own cargo invocation (cargo-leptos 0.3.10, release):
#   server: cargo build --package=gatehouse --bin=gatehouse --no-default-features --features=ssr --release
#   wasm:   cargo build --package=gatehouse --lib --target-dir=/src/target/front
#             --target=wasm32-unknown-unknown --no-default-features --features=hydrate --profile=wasm-release
# with the one variable of its environment that a dependency compiles in (leptos reads
# LEPTOS_OUTPUT_NAME with option_env!): were it different, cargo would rebuild leptos and all
# that depends on it. No cache mounts here: the compiled dependencies and the downloaded crates
# must be in the layer, so that a registry cache (--cache-to ... mode=max in CI) carries them.
FROM tools AS cook
COPY --from=planner /src/recipe.json recipe.json
ENV LEPTOS_OUTPUT_NAME=gatehouse
RUN cargo chef cook --recipe-path recipe.json --release \
      --package gatehouse --no-default-features --features ssr \
 && cargo chef cook --recipe-path recipe.json --profile wasm-release \
      --target wasm32-unknown-unknown --target-dir /src/target/front \
      --package gatehouse --no-default-features --features hydrate

# --- builder: the app itself --------------------------------------------------------------------
# Release: server in target/release/gatehouse and the bundle's hashes beside it (hash.txt);
# wasm (profile wasm-release), js, css with hashed names, each with .br and .gz copies, and
# public/ in target/site. .dockerignore keeps the host's target/ out, so the cooked one stays.
FROM cook AS builder
COPY . .
RUN cargo leptos build --release --precompress \
 && test -x target/release/gatehouse \
 && test -f target/release/hash.txt \
 && ls target/site/pkg/gatehouse.*.wasm.br \
 && ls -la target/release/gatehouse \
 && du -sh target/site

# --- runtime ------------------------------------------------------------------------------------
# distroless/cc: glibc, libgcc, CA certificates and nothing else (no shell, no package manager).
# Debian 12, like the builder, so the binary's glibc matches.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
WORKDIR /app
# The server reads its Leptos options (output name, site root, pkg dir, env PROD) from
# ./Leptos.toml in its working directory and refuses to start without it (src/main.rs);
# LEPTOS_* variables override the file (leptos_config), so the site root is set below.
COPY --from=builder /src/Leptos.toml /app/Leptos.toml
COPY --from=builder /src/target/site /app/site
COPY --from=builder /src/target/release/gatehouse /app/gatehouse
# The pages name the hashed bundle through this file, read beside the binary (start-up fails
# without it: src/server/assets.rs).
COPY --from=builder /src/target/release/hash.txt /app/hash.txt
# The listening address is the app's own BIND_ADDR (src/config/server.rs); LEPTOS_SITE_ADDR is
# not used to bind. Everything else (COGNITO_*, APP_SECRET, PUBLIC_URL, *_TABLE, ...) comes from
# the task definition: see deploy/README.md and .env.example. AWS credentials come from the
# task role.
ENV LEPTOS_SITE_ROOT=/app/site \
    BIND_ADDR=0.0.0.0:3000 \
    LOG_FORMAT=json \
    RUST_LOG=info
EXPOSE 3000
# distroless's `nonroot` user, by number (65532:65532), so that a runtime that checks for a
# non-root user (Kubernetes runAsNonRoot) can tell without reading /etc/passwd.
USER 65532:65532
# Exec form: there is no shell. `gatehouse healthcheck` GETs /healthz on the local port and exits
# 0 or 1. Docker runs it; ECS and Kubernetes ignore an image's HEALTHCHECK and need their own
# (same command in the task definition's healthCheck, or the target group's GET /healthz).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/app/gatehouse", "healthcheck"]
ENTRYPOINT ["/app/gatehouse"]
