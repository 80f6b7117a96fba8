#!/usr/bin/env bash
# Run the official MCP conformance suite (@modelcontextprotocol/conformance) against a running
# quilt-mcp: its generic server scenarios, those that need no fixture tools. Prints a line per
# scenario and ends with `N passed, N failed`; exits 1 if any check failed.
#
# Usage: conformance.sh URL TOKEN      (URL must be on loopback, e.g. http://127.0.0.1:PORT/mcp)
# Environment: INTEROP_CACHE (see lib.sh); CONFORMANCE_SCENARIOS replaces the scenario list.
#
# The suite sends no Authorization header, so inject-bearer.mjs adds the token to every
# request it makes. dns-rebinding-protection runs twice: with the token (a foreign Host and
# Origin must get a 4xx even with a valid token; the loopback Host must get a 2xx) and without
# it, where only the foreign-Host check counts: the Host guard must answer before auth.
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
SCENARIOS="${CONFORMANCE_SCENARIOS:-server-initialize ping tools-list resources-list server-sse-multiple-streams dns-rebinding-protection}"
PER_SCENARIO_TIMEOUT=60

NODE="$(ensure_node)"
SUITE_DIR="$INTEROP_CACHE/conformance-$CONFORMANCE_VERSION"
npm_install "$SUITE_DIR" "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION"
CLI="$SUITE_DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js"
[[ -f "$CLI" ]] || { interop_log "suite CLI missing at $CLI"; exit 2; }
interop_log "conformance $CONFORMANCE_VERSION on node $("$NODE" --version)"

OUT="$(mktemp -d "${TMPDIR:-/tmp}/quilt-mcp-conformance.XXXXXX")"

# run_scenario NAME DIR [TOKEN]: run one scenario, results under DIR; print checks.json's path
# (empty when the run crashed or timed out before writing it).
run_scenario() {
  local name=$1 dir=$2 token=${3:-} opts="${NODE_OPTIONS:-}"
  mkdir -p "$dir"
  [[ -n "$token" ]] && opts="$opts --import $HERE/inject-bearer.mjs"
  (cd "$dir" && INTEROP_BEARER="$token" INTEROP_SUITE_CLI="$CLI" NODE_OPTIONS="$opts" \
    timeout "$PER_SCENARIO_TIMEOUT" "$NODE" "$CLI" server --url "$URL" --scenario "$name" -o "$dir" \
    >"$dir/output.txt" 2>&1) || true
  find "$dir" -name checks.json | head -n1
}

# count CHECKS_JSON [CHECK_ID]: print "passed failed warnings" (of one check when CHECK_ID is
# set). With CHECK_ID, a check answered with 401 counts as failed: without a token a 401 is
# what any server says, so only a refusal from the Host guard (403) shows it is there.
count() {
  "$NODE" -e '
    const fs = require("fs");
    const id = process.argv[2];
    let c = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    if (id) c = c.filter((x) => x.id === id);
    const ok = (x) => x.status === "SUCCESS" && !(id && x.details?.statusCode === 401);
    const failed = c.filter((x) => x.status === "FAILURE" || (x.status === "SUCCESS" && !ok(x))).length;
    console.log(c.filter(ok).length, failed + (id && c.length === 0 ? 1 : 0),
      c.filter((x) => x.status === "WARNING").length);' "$@"
}

total_pass=0
total_fail=0
total_warn=0
# report LABEL CHECKS_JSON DIR [CHECK_ID]: add one scenario's counts to the totals and print them.
report() {
  local label=$1 checks=$2 dir=$3 p f w
  if [[ -n "$checks" ]]; then
    read -r p f w < <(count "$checks" "${4:-}")
  else
    p=0 f=1 w=0
  fi
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  total_warn=$((total_warn + w))
  local mark="ok  "
  [[ $f -gt 0 ]] && mark="FAIL"
  echo "$mark $label: $p passed, $f failed, $w warnings"
  if [[ -n "$checks" ]]; then
    # Show failures and warnings with the suite's own message (JavaScript template strings).
    # shellcheck disable=SC2016
    "$NODE" -e '
      const id = process.argv[2];
      for (const x of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))) {
        if (id && x.id !== id) continue;
        const status = x.details?.statusCode === undefined ? "" : ` (HTTP ${x.details.statusCode})`;
        const why = x.errorMessage ?? x.details?.message;
        if (x.status !== "SUCCESS" || id) console.log(`       ${x.status} ${x.id}${status}${why ? `: ${why}` : ""}`);
      }' "$checks" "${4:-}"
  else
    tail -n 5 "$dir/output.txt" | sed 's/^/       /'
  fi
}

for s in $SCENARIOS; do
  checks="$(run_scenario "$s" "$OUT/$s" "$TOKEN")"
  report "$s" "$checks" "$OUT/$s"
done

if [[ " $SCENARIOS " == *" dns-rebinding-protection "* ]]; then
  # Without a token the loopback request gets 401, so only the foreign-Host check counts here.
  checks="$(run_scenario dns-rebinding-protection "$OUT/dns-no-token")"
  report "dns-rebinding-protection without a token (foreign Host/Origin refused before auth)" \
    "$checks" "$OUT/dns-no-token" localhost-host-rebinding-rejected
fi

if [[ $total_fail -eq 0 ]]; then
  rm -rf "$OUT"
else
  echo "results kept in $OUT"
fi
echo "$total_pass passed, $total_fail failed"
[[ $total_fail -eq 0 ]]
