# quilt-mcp tasks. Install just with `pip install rust-just` (a second) or `cargo install just`.

# List the tasks.
default:
    @just --list

# The tests (what CI runs after fmt and clippy).
test:
    cargo test

# Formatting and lints, as CI checks them.
lint:
    cargo fmt --check
    cargo clippy --all-targets -- -D warnings

# Everything CI runs.
ci:
    bash .ci/run

# The server against the built-in recorded catalog, on 127.0.0.1:8000.
demo:
    cargo run --release -- demo

# Property tests of the JSON-RPC and token decoders with many cases (cargo-fuzz needs nightly).
fuzz cases="100000":
    PROPTEST_CASES={{cases}} cargo test --release --test properties

# Real MCP clients (Python SDK, conformance suites 0.1.16 and 2026-07-28, TypeScript SDK v2,
# Inspector CLI) against the demo server.
interop:
    cargo build
    bash tests/interop/run.sh target/debug/quilt-mcp

# Load numbers for the release binary as one markdown table (about 1.5 minutes after the build).
# Settings: BENCH_* variables, listed in tests/bench/load.rs.
bench:
    cargo bench --bench load
    @echo "The table is printed above and saved in ${CARGO_TARGET_DIR:-target}/bench-load.md"

# Time and peak heap of the visualization tools' work on 10,000 rows (ECharts options of each
# plot type, PNG structure charts), release-built, as one markdown table. BENCH_VIZ_ROWS and
# BENCH_VIZ_RUNS change the size and the number of runs.
bench-viz:
    cargo bench --bench viz

# The container image: a static release binary on an empty base, built with podman or docker
# (nothing is pulled), tagged <version>, latest and the git short hash; prints its size.
image:
    bash tests/image/build.sh

# Builds the image and runs it as the deployment reference's task definition does: health
# checks (exec and shell form), SSM secret, tools/list, log lines, non-root, SIGTERM, size.
image-test:
    bash tests/image/image-test.sh
