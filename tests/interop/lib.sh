# shellcheck shell=bash
# Helpers sourced by the interop scripts: the pinned versions, a log line, a Node new enough
# for the npm tools, and cached npm installs. Everything goes into $INTEROP_CACHE.

# Pinned versions. Node 22.19 is the Inspector's floor; the conformance suite needs 22
# (it imports fs.globSync). 22.23.3 is the newest 22.x of the npm package `node`.
NODE_VERSION=22.23.3
# shellcheck disable=SC2034
CONFORMANCE_VERSION=0.1.16
# The pre-release that scores the 2026-07-28 requirements (`--requirements 2026-07-28`).
# shellcheck disable=SC2034
CONFORMANCE_2026_VERSION=0.2.0-alpha.12
# shellcheck disable=SC2034
INSPECTOR_VERSION=2.12.0
# The TypeScript SDK v2 client (its `versionNegotiation` modes speak 2026-07-28).
# shellcheck disable=SC2034
TS_SDK_VERSION=2.4.0

INTEROP_CACHE="${INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quilt-mcp-interop}"

interop_log() { echo "[interop] $*" >&2; }

# node_ok NODE: true when NODE runs and is at least 22.19.
node_ok() {
  "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number);
           process.exit(a > 22 || (a === 22 && b >= 19) ? 0 : 1)' 2>/dev/null
}

# npm_install DIR SPEC: install the npm package SPEC under DIR once; a stamp file marks a
# finished install, so an interrupted one is redone.
npm_install() {
  local dir=$1 spec=$2
  [[ -f "$dir/.installed" ]] && return 0
  command -v npm >/dev/null || { interop_log "npm not found"; return 1; }
  interop_log "installing $spec into $dir"
  mkdir -p "$dir"
  [[ -f "$dir/package.json" ]] || echo '{"name":"quilt-mcp-interop","private":true}' >"$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$spec" >&2 || return 1
  touch "$dir/.installed"
}

# ensure_node: print the path of a Node >= 22.19: the machine's, or else the npm package
# node@NODE_VERSION installed into the cache (it ships the binary inside the registry package).
ensure_node() {
  if command -v node >/dev/null && node_ok node; then
    command -v node
    return 0
  fi
  local dir="$INTEROP_CACHE/node-$NODE_VERSION"
  npm_install "$dir" "node@$NODE_VERSION" || return 1
  node_ok "$dir/node_modules/.bin/node" || { interop_log "the installed node does not run"; return 1; }
  echo "$dir/node_modules/.bin/node"
}
