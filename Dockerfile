# syntax=docker/dockerfile:1
# gatehouse container image: the server binary plus the hydration bundle (target/site).
#
#   docker build -t gatehouse .
#   docker run --rm -p 3000:3000 --env-file prod.env gatehouse
#
# NOT BUILT HERE: the development machines reach only crates.io, PyPI, npm and Debian, not a
# container registry, so this file has never been run through `docker build`; it follows the
# build that scripts/setup.sh and the Makefile do (pinned cargo-leptos, wasm-bindgen-cli equal to
# the crate pinned in Cargo.toml, npm binaryen's wasm-opt first on PATH).
# Expected size: no release binary has been built on this machine to measure, so: binary
# ~20-30 MB, site (wasm + js + css) a few MB, distroless/cc ~25 MB => image ~50 MB.
# A cold build takes a while: ~15 min for the two cargo installs (a cached layer afterwards) plus
# the release build of the app (~10 min on 2 cores).

# --- wasm-opt: npm `binaryen` (the project's package.json pins 132.0.0; keep them equal). Debian's
# binaryen 108 produces a bundle that fails to hydrate, so it must not be used.
FROM node:20-bookworm-slim AS wasm-opt
WORKDIR /opt/binaryen
RUN npm install --no-save --no-package-lock --no-audit --no-fund binaryen@132.0.0 \
 && node_modules/.bin/wasm-opt --version

# --- builder -----------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
# cargo-leptos runs whatever wasm-bindgen / wasm-opt is first on PATH (it would otherwise try to
# download them): wasm-bindgen-cli must equal the `wasm-bindgen = "=0.2.117"` pin in Cargo.toml.
# 0.3.10, not 0.3.11: 0.3.11's lockfile needs rustc 1.96.
ARG CARGO_LEPTOS_VERSION=0.3.10
ARG WASM_BINDGEN_VERSION=0.2.117
RUN rustup target add wasm32-unknown-unknown
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo install --locked "cargo-leptos@${CARGO_LEPTOS_VERSION}" \
 && cargo install --locked wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}"
# node (Debian bookworm only has 18) and binaryen's wasm-opt, which is a node script.
COPY --from=wasm-opt /usr/local/bin/node /usr/local/bin/node
COPY --from=wasm-opt /opt/binaryen/node_modules /opt/binaryen/node_modules
ENV PATH=/opt/binaryen/node_modules/.bin:$PATH

WORKDIR /src
COPY . .
# Release: server in target/release/gatehouse; wasm (profile wasm-release), js, css and public/
# in target/site.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo leptos build --release \
 && test -x target/release/gatehouse \
 && test -d target/site/pkg \
 && ls -la target/release/gatehouse && du -sh target/site

# --- runtime -----------------------------------------------------------------------------------
# distroless/cc: glibc, libgcc, CA certificates and nothing else (no shell, no package manager).
FROM gcr.io/distroless/cc-debian12:nonroot
# The server reads its Leptos options (output name, site root "target/site", env PROD) from
# ./Leptos.toml in its working directory, so the site keeps that relative path under /app.
# The listening address is the app's own BIND_ADDR (src/config.rs), not LEPTOS_SITE_ADDR.
WORKDIR /app
COPY --from=builder /src/Leptos.toml /app/Leptos.toml
COPY --from=builder /src/target/site /app/target/site
COPY --from=builder /src/target/release/gatehouse /app/gatehouse
ENV BIND_ADDR=0.0.0.0:3000 \
    LOG_FORMAT=json \
    RUST_LOG=info
# Everything else (COGNITO_*, APP_SECRET, PUBLIC_URL, *_TABLE, ...) comes from the task
# definition: see deploy/README.md and .env.example. AWS credentials come from the task role.
EXPOSE 3000
USER nonroot:nonroot
# No HEALTHCHECK: distroless has no shell or curl to run one. The load balancer's target group
# checks GET /healthz (process up) or GET /readyz (DynamoDB and the Cognito JWKS answer) instead.
ENTRYPOINT ["/app/gatehouse"]
