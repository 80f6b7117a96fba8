#!/usr/bin/env bash
# Interoperability tests: real MCP clients against `quilt-mcp demo` (the server wired to the
# embedded catalog). Builds nothing: pass the binary.
#
# Usage: tests/interop/run.sh [QUILT_MCP_BINARY]     (default target/debug/quilt-mcp)
#
# Clients, each ending in its own `N passed, N failed` line:
#   python-sdk   tests/interop/python_client.py with the official `mcp` package (requirements.txt),
#                in its legacy, 2026-07-28 and auto modes, over HTTP and, spawning the
#                binary, over stdio
#   conformance  the official suite @modelcontextprotocol/conformance 0.1.16, its generic
#                scenarios (conformance.sh)
#   conformance-2026  the suite's 0.2.0-alpha.12 with --requirements 2026-07-28 and the
#                expected failures in conformance-2026-expected-failures.yaml (conformance_2026.sh)
#   typescript-sdk  tests/interop/ts_client.mjs with the TypeScript SDK v2 client
#                (@modelcontextprotocol/client), pinned to 2026-07-28 and in auto mode
#   inspector    the MCP Inspector CLI (inspector.sh)
# Then one PASS/FAIL line per client and `N passed, N failed` over the clients; exit 1 if any
# failed. Needs python3 (3.11) with pip, npm, and network to PyPI and npm on the first run.
# Installs go to INTEROP_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/quilt-mcp-interop)
# and are reused. INTEROP_CLIENTS picks clients (default "python-sdk conformance conformance-2026
# typescript-sdk inspector").
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=tests/interop/lib.sh
source "$HERE/lib.sh"

BIN="${1:-target/debug/quilt-mcp}"
[[ -x "$BIN" ]] || { interop_log "no executable at $BIN (run cargo build first)"; exit 2; }
CLIENTS="${INTEROP_CLIENTS:-python-sdk conformance conformance-2026 typescript-sdk inspector}"
mkdir -p "$INTEROP_CACHE"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/quilt-mcp-interop.XXXXXX")"
DEMO_PID=""
cleanup() {
  if [[ -n "$DEMO_PID" ]] && kill -0 "$DEMO_PID" 2>/dev/null; then
    kill -TERM "$DEMO_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$DEMO_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DEMO_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the server --------------------------------------------------------------------------
# Port 0: the demo binds a free port itself and prints the URL, so there is no race.
"$BIN" demo --port "${INTEROP_PORT:-0}" >"$WORK/demo.out" 2>"$WORK/demo.err" &
DEMO_PID=$!
URL="" TOKEN="" CATALOG=""
for _ in $(seq 100); do
  line="$(grep -m1 '^quilt-mcp demo: the MCP server on ' "$WORK/demo.out" || true)"
  TOKEN="$(sed -n 's/^ *QUILT_MCP_TOKEN=\([^ ]*\)$/\1/p' "$WORK/demo.out" | head -n1)"
  if [[ -n "$line" && -n "$TOKEN" ]]; then
    URL="$(sed -E 's/^.* the MCP server on ([^ ,]+),.*$/\1/' <<<"$line")"
    CATALOG="$(sed -E 's/^.* the embedded catalog at ([^ ]+)$/\1/' <<<"$line")"
    break
  fi
  kill -0 "$DEMO_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ ! "$URL" =~ ^http://127\.0\.0\.1:[0-9]+/mcp$ || ! "$CATALOG" =~ ^http:// || -z "$TOKEN" ]]; then
  interop_log "the demo did not print its URL, catalog and token; its output:"
  cat "$WORK/demo.out" "$WORK/demo.err" >&2
  exit 1
fi
interop_log "demo server $URL (catalog $CATALOG), pid $DEMO_PID"

# --- the Python SDK's venv, keyed by the requirements' hash --------------------------------
python_env() {
  local key dir
  key="$(sha256sum "$HERE/requirements.txt" | cut -c1-12)"
  dir="$INTEROP_CACHE/venv-$key"
  if [[ ! -f "$dir/.installed" ]]; then
    interop_log "creating $dir with $(python3 --version)"
    rm -rf "$dir"
    python3 -m venv "$dir" >&2 || return 1
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" >&2 || return 1
    touch "$dir/.installed"
  fi
  echo "$dir/bin/python"
}

run_client() {
  case "$1" in
    python-sdk)
      local py
      py="$(python_env)" || return 1
      "$py" "$HERE/python_client.py" "$URL" "$TOKEN" "$CATALOG" "$(realpath "$BIN")"
      ;;
    conformance) bash "$HERE/conformance.sh" "$URL" "$TOKEN" ;;
    conformance-2026) bash "$HERE/conformance_2026.sh" "$URL" "$TOKEN" ;;
    typescript-sdk)
      local node sdk="$INTEROP_CACHE/ts-client-$TS_SDK_VERSION"
      node="$(ensure_node)" || return 1
      npm_install "$sdk" "@modelcontextprotocol/client@$TS_SDK_VERSION" || return 1
      INTEROP_TS_SDK="$sdk" timeout 300 "$node" "$HERE/ts_client.mjs" "$URL" "$TOKEN"
      ;;
    inspector) bash "$HERE/inspector.sh" "$URL" "$TOKEN" ;;
    *) interop_log "unknown client $1"; return 2 ;;
  esac
}

# --- the clients ---------------------------------------------------------------------------
declare -a SUMMARY=()
passed=0
failed=0
for client in $CLIENTS; do
  echo "== $client"
  start=$SECONDS
  rc=0
  run_client "$client" || rc=$?
  took=$((SECONDS - start))
  if [[ $rc -eq 0 ]]; then
    passed=$((passed + 1))
    SUMMARY+=("PASS $client (${took}s)")
  else
    failed=$((failed + 1))
    SUMMARY+=("FAIL $client (exit $rc, ${took}s)")
  fi
  if ! kill -0 "$DEMO_PID" 2>/dev/null; then
    failed=$((failed + 1))
    SUMMARY+=("FAIL the demo server exited during $client")
    tail -n 20 "$WORK/demo.out" "$WORK/demo.err" >&2
    break
  fi
done

echo "== interop summary"
printf '%s\n' "${SUMMARY[@]}"
# What the server saw, as information: requests by method and status, and any errors it
# logged (the demo logs JSON lines to stdout, after the instructions).
python3 - "$WORK/demo.out" <<'PY' || true
import collections, json, sys
seen, errors = collections.Counter(), []
for line in open(sys.argv[1], encoding="utf-8"):
    if not line.startswith('{"timestamp"'):
        continue  # the instructions printed before the log
    event = json.loads(line)
    if event.get("message") == "request":
        seen[f'{event.get("http_method")} {event.get("route")} {event.get("status")}'] += 1
    if event.get("level") == "ERROR":
        errors.append(event.get("message"))
print("server saw: " + ", ".join(f"{k} x{v}" for k, v in sorted(seen.items())))
for message in errors[:5]:
    print(f"server logged an error: {message}")
PY
echo "interop: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
