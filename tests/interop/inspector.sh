#!/usr/bin/env bash
# Drive a running quilt-mcp with the MCP Inspector CLI (@modelcontextprotocol/inspector).
# Prints a line per check and ends with `N passed, N failed`; exits 1 if any check failed.
#
# Usage: inspector.sh URL TOKEN
# Environment: INTEROP_CACHE (see lib.sh).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=tests/interop/lib.sh
source "$HERE/lib.sh"

if [[ $# -ne 2 ]]; then
  echo "usage: $0 URL TOKEN" >&2
  exit 2
fi
URL=$1
TOKEN=$2

NODE="$(ensure_node)"
DIR="$INTEROP_CACHE/inspector-$INSPECTOR_VERSION"
npm_install "$DIR" "@modelcontextprotocol/inspector@$INSPECTOR_VERSION"
CLI="$DIR/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
[[ -f "$CLI" ]] || { interop_log "Inspector CLI missing at $CLI"; exit 2; }
interop_log "inspector $INSPECTOR_VERSION on node $("$NODE" --version)"

# The Inspector keeps a catalog and OAuth state under ~/.mcp-inspector: give it a throwaway HOME.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/quilt-mcp-inspector.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# inspect TOKEN OUT ARGS...: one Inspector CLI call; stdout to OUT, stderr to OUT.err; its exit
# code is returned. --stored-auth-only: never start an interactive OAuth flow.
inspect() {
  local token=$1 out=$2
  shift 2
  HOME="$WORK" timeout 60 "$NODE" "$CLI" --cli "$URL" --transport http \
    --header "Authorization: Bearer $token" --stored-auth-only "$@" >"$out" 2>"$out.err"
}

passed=0
failed=0
# check NAME OK DETAIL: count and print one check; OK is 0 for success.
check() {
  if [[ $2 -eq 0 ]]; then
    passed=$((passed + 1))
    echo "ok   $1"
  else
    failed=$((failed + 1))
    echo "FAIL $1: $3"
  fi
}

# json_test FILE EXPR: true when the Python expression EXPR holds for the JSON in FILE (as `d`).
json_test() {
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null
}

rc=0
inspect "$TOKEN" "$WORK/list.json" --method tools/list || rc=$?
ok=1
[[ $rc -eq 0 ]] && json_test "$WORK/list.json" '"bucket_list" in [t["name"] for t in d["tools"]]' && ok=0
check "tools/list exits 0 and lists bucket_list" $ok "exit $rc: $(head -c 300 "$WORK/list.json.err")"
# The CLI prints a one-line schema-portability count; show it, as information.
grep -h "portability" "$WORK/list.json.err" | sed 's/^/     /' || true

rc=0
inspect "$TOKEN" "$WORK/call.json" --method tools/call --tool-name bucket_list || rc=$?
ok=1
[[ $rc -eq 0 ]] && json_test "$WORK/call.json" \
  'd["isError"] is False and "example-data" in [b["name"] for b in d["structuredContent"]["buckets"]]' && ok=0
check "tools/call bucket_list exits 0 and returns the buckets" $ok \
  "exit $rc: $(head -c 300 "$WORK/call.json") $(head -c 300 "$WORK/call.json.err")"

rc=0
inspect "$TOKEN" "$WORK/read.json" --method resources/read --uri auth://status || rc=$?
ok=1
[[ $rc -eq 0 ]] && json_test "$WORK/read.json" 'd["contents"][0]["uri"] == "auth://status"' && ok=0
check "resources/read auth://status exits 0" $ok "exit $rc: $(head -c 300 "$WORK/read.json.err")"

# Exit code 3 is the CLI's "authorization required": the server's 401 reached it as such.
rc=0
inspect "${TOKEN}x" "$WORK/refused.json" --method tools/list || rc=$?
ok=1
[[ $rc -eq 3 ]] && ok=0
check "a wrong token ends in auth_required (exit 3)" $ok "exit $rc: $(head -c 300 "$WORK/refused.json.err")"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
