#!/usr/bin/env bash
# `just image-test`: builds the image and runs it the way the deployment reference's minimal
# task definition does: its environment unchanged (the JWT secret from SSM, AWS_REGION, the
# FASTMCP_* triple, MCP_SKIP_BANNER), a read-only root file system, and the task role's
# credentials from a container credentials endpoint. Two variables are the test's own:
# AWS_ENDPOINT_URL_SSM and AWS_CONTAINER_CREDENTIALS_FULL_URI point at the recorded catalog,
# started on the host (`quilt-mcp mock-catalog`), which also answers SSM and serves the
# credentials. The container listens on 8000 when that port is free (else on a free port).
#
# Checks: /health and its version; the image's exec-form health check; the reference's shell
# health check `curl -f http://localhost:8000/health || exit 1` (passing, and failing on a bad
# path); tools/list, initialize and a catalog tool call with a token signed by the SSM secret;
# a refused token; the start-up log lines, with no secret or token in them; the non-root user;
# SIGTERM gives a clean exit 0; the image is under 30 MB.
set -euo pipefail
cd "$(dirname "$0")/../.."

max_bytes=30000000
bash tests/image/build.sh
source tests/image/engine.sh
source target/image/built.env
bin=target/x86_64-unknown-linux-gnu/image/quilt-mcp
command -v python3 >/dev/null || apt_install python3
command -v curl >/dev/null || apt_install curl

work=target/image/test
rm -rf "$work"
mkdir -p "$work/recordings"
container="quilt-mcp-image-test-$$"
mock_pid=""
cleanup() {
    "${ENGINE[@]}" rm -f "$container" >/dev/null 2>&1 || true
    if [ -n "$mock_pid" ]; then
        kill -TERM "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    echo "--- container log" >&2
    "${ENGINE[@]}" logs "$container" >&2 2>&1 || true
    exit 1
}
ok() { echo "ok - $*"; }
# Podman without systemd complains that it cannot set up health-check timers; the checks are
# run by hand below, so those lines are dropped and everything else is shown.
without_timer_noise() { grep -v 'unable to get systemd connection' "$1" >&2 || true; }

# The recorded catalog, SSM and the task role's credentials endpoint, on the host.
cp tests/recordings/*.json "$work/recordings/"
cat >"$work/recordings/zz-task-role.json" <<'JSON'
{ "scenario": "task-role", "description": "The container credentials endpoint, as ECS serves the task role's keys",
  "interactions": [ { "id": "task-role-credentials",
    "request": { "method": "GET", "path": "/v2/credentials/task-role" },
    "response": { "status": 200, "body": { "AccessKeyId": "ASIAIMAGETEST", "SecretAccessKey": "image-test",
      "Token": "image-test-session", "Expiration": "2099-01-01T00:00:00Z",
      "RoleArn": "arn:aws:iam::123456789012:role/quilt-mcp-task-role" } } } ] }
JSON
secret="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
# The image's binary has no embedded catalog (built without the `mock` feature): the host runs
# the replay from a normal build, which CI has already made for the interop stage.
host_bin=target/debug/quilt-mcp
[ -x "$host_bin" ] || cargo build --bin quilt-mcp
refusal="$(timeout 5 "$bin" demo 2>&1 || true)"
case "$refusal" in
    *"no embedded catalog"*) ;;
    *) fail "the image's binary still carries the embedded catalog: $refusal" ;;
esac
"$host_bin" mock-catalog --recordings "$work/recordings" --ssm-parameter "/quilt-mcp/jwt=$secret" \
    >"$work/mock.log" 2>&1 &
mock_pid=$!
mock_url=""
for _ in $(seq 100); do
    mock_url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/mock.log" | head -n1 || true)"
    [ -n "$mock_url" ] && break
    sleep 0.1
done
[ -n "$mock_url" ] || fail "the recorded catalog did not start: $(cat "$work/mock.log")"

port_free() { python3 -c 'import socket,sys; s=socket.socket(); s.bind(("0.0.0.0", int(sys.argv[1])))' "$1" 2>/dev/null; }
port=8000
if ! port_free 8000; then
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    echo "note: port 8000 is taken on this host; the container listens on $port instead"
fi

health_flags=()
# Podman's health-check timers need systemd; checks are run by hand below instead.
[ "$ENGINE_NAME" = podman ] && health_flags+=(--health-interval disable)
[ "$ENGINE_NAME" = docker ] && health_flags+=(--health-interval 1s --health-start-period 0s)
"${ENGINE[@]}" run -d --name "$container" "${RUN_FLAGS[@]}" --read-only "${health_flags[@]}" \
    -e QUILT_MULTIUSER_MODE=true \
    -e QUILT_CATALOG_URL="$mock_url" \
    -e QUILT_REGISTRY_URL="$mock_url" \
    -e MCP_JWT_SECRET_SSM_PARAMETER=/quilt-mcp/jwt \
    -e AWS_REGION=us-east-1 \
    -e FASTMCP_TRANSPORT=http \
    -e FASTMCP_HOST=0.0.0.0 \
    -e FASTMCP_PORT="$port" \
    -e MCP_SKIP_BANNER=true \
    -e AWS_ENDPOINT_URL_SSM="$mock_url" \
    -e AWS_CONTAINER_CREDENTIALS_FULL_URI="$mock_url/v2/credentials/task-role" \
    "$IMAGE" >/dev/null 2>"$work/run.err" || { cat "$work/run.err" >&2; fail "$ENGINE_NAME run failed"; }
without_timer_noise "$work/run.err"

base="http://127.0.0.1:$port"
health=""
for _ in $(seq 150); do
    health="$(curl -fsS "$base/health" 2>/dev/null || true)"
    [ -n "$health" ] && break
    running="$("${ENGINE[@]}" inspect --format '{{.State.Running}}' "$container")"
    [ "$running" = true ] || fail "the container exited before answering /health"
    sleep 0.2
done
[ -n "$health" ] || fail "no /health answer within 30 s"
json() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[int(k)] if isinstance(v,list) else v[k]
print(v if not isinstance(v,bool) else str(v).lower())' "$1"; }
[ "$(json server.version <<<"$health")" = "$VERSION" ] || fail "/health version is not $VERSION: $health"
ok "/health answers, version $VERSION (the image tag)"

if [ "$ENGINE_NAME" = podman ]; then
    "${ENGINE[@]}" healthcheck run "$container" >/dev/null || fail "the image's HEALTHCHECK failed"
else
    for _ in $(seq 30); do
        status="$(docker inspect --format '{{.State.Health.Status}}' "$container")"
        [ "$status" = healthy ] && break
        sleep 1
    done
    [ "$status" = healthy ] || fail "the image's HEALTHCHECK did not pass: $status"
fi
ok "the image's exec-form HEALTHCHECK [\"/quilt-mcp\", \"health\"] passes"

# The reference's CMD-SHELL check, as ECS runs it: /bin/sh -c '<command>' inside the container.
reference="curl -f http://localhost:$port/health || exit 1"
"${ENGINE[@]}" exec "$container" /bin/sh -c "$reference" >/dev/null || fail "'$reference' failed"
ok "CMD-SHELL '$reference' passes"
if "${ENGINE[@]}" exec "$container" /bin/sh -c "curl -f http://localhost:$port/no-such-path || exit 1" 2>/dev/null; then
    fail "the shell health check passed against a missing path"
fi
ok "the same check fails (exit 1) when the URL answers 404"

token="$(SECRET="$secret" python3 - <<'PY'
import base64, hashlib, hmac, json, os, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"id": 1, "uuid": "image-test", "exp": int(time.time()) + 600}).encode())
mac = hmac.new(os.environ["SECRET"].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
print(f"{head}.{body}.{b64(mac)}")
PY
)"
rpc() {
    curl -sS "$base/mcp" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -d "$2"
}
tools="$(rpc "$token" '{"jsonrpc":"2.0","id":1,"method":"tools/list"}')"
count="$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["result"]["tools"]))' <<<"$tools")" \
    || fail "tools/list: $tools"
[ "$count" -gt 0 ] || fail "tools/list is empty"
ok "tools/list with a token signed by the SSM secret: $count tools"
init='{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"image-test","version":"1"}}}'
server_version="$(rpc "$token" "$init" | json result.serverInfo.version)"
[ "$server_version" = "$VERSION" ] || fail "serverInfo.version is $server_version, not $VERSION"
ok "initialize: serverInfo.version $VERSION"
call='{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"bucket_list","arguments":{}}}'
is_error="$(rpc "$token" "$call" | json result.isError)"
[ "$is_error" = false ] || fail "bucket_list failed inside the container"
ok "bucket_list reaches the catalog from the container"
refused="$(curl -s -o /dev/null -w '%{http_code}' "$base/mcp" -H 'Authorization: Bearer not.a.token' \
    -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","id":4,"method":"tools/list"}')"
[ "$refused" = 401 ] || fail "a bad token got $refused, not 401"
ok "a bad token gets 401"

pid="$("${ENGINE[@]}" inspect --format '{{.State.Pid}}' "$container")"
uid="$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")"
[ "$uid" = 10001 ] || fail "the server runs as uid $uid, not 10001"
user="$("${ENGINE[@]}" image inspect --format '{{.Config.User}}' "$IMAGE")"
[ "$user" = 10001:10001 ] || fail "the image's user is '$user'"
ok "runs as uid 10001 (non-root), on a read-only root file system"

logs="$("${ENGINE[@]}" logs "$container" 2>&1)"
for line in "Quilt MCP Server starting in multiuser mode" "Backend type: graphql" \
    "JWT required: True" "JWT secret read from SSM parameter /quilt-mcp/jwt (version 1)" \
    "Listening on http://0.0.0.0:$port"; do
    grep -qF "$line" <<<"$logs" || fail "no start-up line '$line'"
done
if grep -qF -e "$secret" -e "$token" <<<"$logs"; then fail "a secret or token reached the log"; fi
ok "start-up log lines present; no secret or token in the log"
rss_kib="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")"
echo "note: the server's resident memory after these requests: $((rss_kib / 1024)) MiB"

started=$SECONDS
"${ENGINE[@]}" stop -t 25 "$container" >/dev/null 2>"$work/stop.err" ||
    { cat "$work/stop.err" >&2; fail "$ENGINE_NAME stop failed"; }
without_timer_noise "$work/stop.err"
elapsed=$((SECONDS - started))
exit_code="$("${ENGINE[@]}" inspect --format '{{.State.ExitCode}}' "$container")"
[ "$exit_code" = 0 ] || fail "exit code $exit_code after SIGTERM"
[ "$elapsed" -lt 20 ] || fail "took ${elapsed}s to stop (killed after the timeout?)"
grep -qF "received SIGTERM" <<<"$("${ENGINE[@]}" logs "$container" 2>&1)" || fail "no 'received SIGTERM' line"
ok "SIGTERM: clean exit 0 in ${elapsed}s"

[ "$SIZE" -lt "$max_bytes" ] || fail "the image is $SIZE bytes, over $max_bytes"
ok "image size $SIZE bytes (< $max_bytes)"

kill -TERM "$mock_pid"
wait "$mock_pid" || true
mock_pid=""
if grep -q "unrecorded request" "$work/mock.log"; then
    fail "the catalog saw unrecorded requests: $(cat "$work/mock.log")"
fi
echo "image-test: all checks passed ($IMAGE, $ENGINE_NAME)"
