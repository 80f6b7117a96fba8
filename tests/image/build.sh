#!/usr/bin/env bash
# `just image`: builds the quilt-mcp image with podman or docker, pulling nothing.
#
# 1. the statically linked release binary (glibc static-pie; the getrandom syscall directly, so
#    it needs no /dev), 2. the build context in target/image/context (see Containerfile),
# 3. the image, tagged <name>:<version> (the version the binary reports in /health and
# serverInfo), <name>:latest and <name>:<git short hash> (with `-dirty` when the tree has
# uncommitted changes; no hash tag outside a git checkout), 4. its size.
# QUILT_MCP_IMAGE_NAME (default quilt-mcp) names the image; see engine.sh for the engine.
# Writes target/image/built.env (IMAGE, VERSION, REVISION, SIZE) for image-test.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/image/engine.sh

name="${QUILT_MCP_IMAGE_NAME:-quilt-mcp}"
target=x86_64-unknown-linux-gnu
bin="target/$target/image/quilt-mcp"
busybox="${QUILT_MCP_BUSYBOX:-/bin/busybox}"
ca_bundle="${QUILT_MCP_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

# ldd exits non-zero for a static file, so its answer is read rather than its status.
static() {
    local answer
    answer="$(ldd "$1" 2>&1 || true)"
    grep -Eq 'statically linked|not a dynamic executable' <<<"$answer"
}

# Only a static busybox runs on an empty base; Debian's `busybox` package is dynamic.
if [ ! -x "$busybox" ] || ! static "$busybox"; then
    apt_install busybox-static
fi
static "$busybox" || { echo "$busybox is not statically linked" >&2; exit 1; }
[ -f "$ca_bundle" ] || apt_install ca-certificates

echo "== static release binary ($bin)"
# --target keeps these flags off build scripts and proc macros, and the artefacts apart from
# target/release, so normal builds stay warm. --no-default-features leaves the embedded catalog
# (model, dataset, demo, mock-catalog, record) out of the production binary. The `image`
# profile (Cargo.toml) adds thin LTO and one codegen unit to the release profile.
RUSTFLAGS='-C target-feature=+crt-static --cfg getrandom_backend="linux_getrandom"' \
    cargo build --profile image --locked --no-default-features --target "$target" --bin quilt-mcp
static "$bin" || { echo "$bin is not statically linked" >&2; exit 1; }
version="$("$bin" version | awk '{print $2}')"

revision=""
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    revision="$(git rev-parse --short HEAD)"
    if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
        revision="$revision-dirty"
    fi
fi

context=target/image/context
rm -rf "$context"
mkdir -p "$context"
cp "$bin" "$context/quilt-mcp"
cp "$busybox" "$context/sh"
printf '#!/bin/sh\n# quilt-mcp'"'"'s minimal curl, for shell health checks: quilt-mcp help\nexec /quilt-mcp curl "$@"\n' >"$context/curl"
cp "$ca_bundle" "$context/ca-certificates.crt"
printf 'quilt-mcp:x:10001:10001:quilt-mcp:/nonexistent:/usr/sbin/nologin\n' >"$context/passwd"
printf 'quilt-mcp:x:10001:\n' >"$context/group"
chmod 0755 "$context/quilt-mcp" "$context/sh" "$context/curl"
chmod 0644 "$context/ca-certificates.crt" "$context/passwd" "$context/group"

tags=(-t "$name:$version" -t "$name:latest")
[ -n "$revision" ] && tags+=(-t "$name:$revision")
build_flags=()
# Podman writes OCI images by default, and OCI has no HEALTHCHECK: ask for docker's format.
# No intermediate images: with vfs storage each would be a full copy, and the build takes
# seconds without a cache.
[ "$ENGINE_NAME" = podman ] && build_flags+=(--format docker --layers=false)
echo "== $ENGINE_NAME build ${tags[*]}"
"${ENGINE[@]}" build "${build_flags[@]}" "${tags[@]}" \
    --label "org.opencontainers.image.title=quilt-mcp" \
    --label "org.opencontainers.image.version=$version" \
    --label "org.opencontainers.image.revision=${revision:-unknown}" \
    -f Containerfile "$context"

size="$("${ENGINE[@]}" image inspect --format '{{.Size}}' "$name:$version")"
printf 'IMAGE=%s\nVERSION=%s\nREVISION=%s\nSIZE=%s\n' "$name:$version" "$version" "$revision" "$size" >target/image/built.env
echo "== built $name:$version ($name:latest${revision:+, $name:$revision}): $size bytes ($((size / 1000000)) MB); binary $(stat -c %s "$bin") bytes"
