#!/usr/bin/env bash
# Run the official MCP conformance suite's 2026-07-28 requirements
# (@modelcontextprotocol/conformance 0.2.0-alpha.12, `--requirements 2026-07-28`) against a
# running quilt-mcp, with conformance-2026-expected-failures.yaml as the baseline. Prints the
# suite's per-scenario lines, then `scored: N passed, N failed` (the scenarios 2026-07-28
# requires) and `N passed, N failed` over every check run; exits with the suite's verdict: 0
# when only the listed checks fail, 1 on an unexpected failure or a stale entry.
#
# Usage: conformance_2026.sh URL TOKEN      (URL must be on loopback, e.g. http://127.0.0.1:PORT/mcp)
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
SUITE_DIR="$INTEROP_CACHE/conformance-$CONFORMANCE_2026_VERSION"
npm_install "$SUITE_DIR" "@modelcontextprotocol/conformance@$CONFORMANCE_2026_VERSION"
CLI="$SUITE_DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js"
[[ -f "$CLI" ]] || { interop_log "suite CLI missing at $CLI"; exit 2; }
interop_log "conformance $CONFORMANCE_2026_VERSION --requirements 2026-07-28 on node $("$NODE" --version)"

OUT="$(mktemp -d "${TMPDIR:-/tmp}/quilt-mcp-conformance-2026.XXXXXX")"
rc=0
# The suite sends no Authorization header: inject-bearer.mjs adds the token to its requests.
(cd "$OUT" && INTEROP_BEARER="$TOKEN" INTEROP_SUITE_CLI="$CLI" \
  NODE_OPTIONS="${NODE_OPTIONS:-} --import $HERE/inject-bearer.mjs" \
  timeout 900 "$NODE" "$CLI" server --url "$URL" --requirements 2026-07-28 \
  --expected-failures "$HERE/conformance-2026-expected-failures.yaml" -o "$OUT/results" \
  >"$OUT/output.txt" 2>&1) || rc=$?
# The per-scenario lines, the suite's totals and its baseline verdict.
grep -E '^(✓|✗)|^Total:|^  (✓|✗|~)|xpected|tale|aseline' "$OUT/output.txt" || tail -n 20 "$OUT/output.txt"

# Counts from the checks themselves: those of the server scenarios 2026-07-28 requires (as
# `list --requirements` names them), and all. A WARNING (a SHOULD) counts as neither.
"$NODE" "$CLI" list --requirements 2026-07-28 >"$OUT/required.txt" 2>&1 || true
"$NODE" -e '
  const fs = require("fs"), path = require("path");
  const [out, list] = process.argv.slice(1);
  const server = fs.readFileSync(list, "utf8").split(/^Client scenarios/m)[0];
  const scored = new Set([...server.matchAll(/^  - (\S+)$/gm)].map((m) => m[1]));
  const count = { scored: [0, 0], all: [0, 0] };
  for (const dir of fs.readdirSync(out)) {
    const file = path.join(out, dir, "checks.json");
    if (!fs.existsSync(file)) continue;
    const scenario = dir.replace(/^server-/, "").replace(/-\d{4}-\d\d-\d\dT.*$/, "");
    for (const check of JSON.parse(fs.readFileSync(file, "utf8"))) {
      const i = check.status === "SUCCESS" ? 0 : check.status === "FAILURE" ? 1 : -1;
      if (i < 0) continue;
      count.all[i]++;
      if (scored.has(scenario)) count.scored[i]++;
    }
  }
  console.log(`scored for 2026-07-28 (${scored.size} server scenarios): ${count.scored[0]} passed, ${count.scored[1]} failed`);
  console.log(`${count.all[0]} passed, ${count.all[1]} failed`);' "$OUT/results" "$OUT/required.txt" || true

if [[ $rc -eq 0 ]]; then
  rm -rf "$OUT"
else
  echo "the suite found unexpected failures or stale expected failures (exit $rc); results kept in $OUT"
fi
exit "$rc"
