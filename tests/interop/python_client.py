"""Drive a running quilt-mcp with the official MCP Python SDK (PyPI `mcp`, pinned in
requirements.txt) over Streamable HTTP, the way a Python agent would.

Usage: python_client.py URL TOKEN CATALOG_URL [QUILT_MCP_BINARY]

In each of the SDK's modes (`legacy`: the initialize handshake; `2026-07-28`: stateless,
versioned per request; `auto`: probes server/discover and stays modern against us), it discovers
the tools from tools/list and calls every tool whose annotations say readOnlyHint=true, with
arguments generated from the tool's inputSchema, then reads every resource. Given the binary, it
also runs `quilt-mcp stdio` against the same catalog through the SDK's stdio client (each mode),
and drives one stdio session by hand for what the SDK cannot send (a malformed line) and the
exit on EOF. It prints one line per check (prefixed by the mode) and ends with
`N passed, N failed`. It exits 1 if any check failed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import warnings
from typing import Any

import httpx2
from mcp import Client, types
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError

# Values for argument names that the demo catalog (its dataset) knows. The catalog URL is added at
# run time: catalog_configure must be asked about the demo's own catalog.
KNOWN_ARGUMENTS: dict[str, Any] = {
    "registry": "s3://example-data",
    "bucket": "example-data",
    "package_name": "team/rnaseq-2024",
    "package1_name": "team/rnaseq-2024",
    "package2_name": "team/rnaseq-2024",
    "path": "README.md",
    "query": "counts csv",
    "partial_query": "rna",
    "s3_uri": "s3://example-data/README.md",
    "name": "alice",
}

# Arguments for tools whose parameters mean something else than the same name elsewhere (an
# Athena `query` is SQL, a search `query` is words), over the dataset's Athena and Tabulator
# tables. They replace the generated arguments of that tool.
TOOL_ARGUMENTS: dict[str, dict[str, Any]] = {
    "athena_query_execute": {
        "query": "SELECT species, COUNT(*) AS n FROM example_public.iris GROUP BY species ORDER BY species",
        "output_format": "json",
    },
    "athena_query_validate": {"query": "SELECT * FROM example_public.iris LIMIT 5"},
    "athena_tables_list": {"database": "example_public"},
    "athena_table_schema": {"database": "example_public", "table": "iris"},
    "tabulator_bucket_query": {
        "bucket_name": "example-data",
        "query": "SELECT study, COUNT(*) AS n FROM rnaseq_samples GROUP BY study",
    },
    "tabulator_query_execute": {
        "query": 'SELECT COUNT(*) AS n FROM "example-public"."penguins"',
        "output_format": "csv",
    },
    # The package tools take a package by name or by quilt+s3 URI, so neither is required in
    # their schemas: the generator, which fills required arguments only, would send nothing.
    "package_history": {"registry": "s3://example-data", "package_name": "team/rnaseq-2024"},
    "package_browse": {"registry": "s3://example-data", "package_name": "team/rnaseq-2024"},
    "package_file_text": {"uri": "quilt+s3://example-data#package=team/rnaseq-2024&path=README.md"},
    # A picture: the answer carries an MCP image block beside the structured content.
    "package_file_fetch": {
        "uri": "quilt+s3://example-data#package=team/imaging-atlas&path=thumbnails/brain.png"
    },
    # `query` may come in a cursor instead, so it is not required: one ordered page.
    "search_catalog": {"query": "rnaseq", "scope": "package", "order": "newest", "limit": 3},
    "package_diff": {
        "registry": "s3://example-data",
        "package1_name": "team/rnaseq-2024",
        "package2_name": "team/rnaseq-2024",
    },
    # The visualization tools: a chart of inline CSV, and a package's summaries read from it.
    "create_data_visualization": {
        "data": "sample,reads\nS1,120\nS2,340\nS3,95\n",
        "plot_type": "bar",
        "x_column": "sample",
        "y_column": "reads",
    },
    "generate_quilt_summarize_json": {"registry": "s3://example-data", "package_name": "team/rnaseq-2024"},
    "create_quilt_summary_files": {"registry": "s3://example-data", "package_name": "team/rnaseq-2024"},
    "generate_package_visualizations": {"registry": "s3://example-data", "package_name": "team/rnaseq-2024"},
}

# Tools whose arguments come from another tool's answer: athena_query_results continues the
# execution id athena_query_execute answered (that tool is listed, and so called, before it).
DERIVED: dict[str, Any] = {}

# Read-only tools not called with generated arguments, with the reason. Each entry must say
# why a call with generated arguments legitimately fails.
SKIP_TOOLS: dict[str, str] = {}

# The versions an `initialize` may negotiate with this SDK (legacy era).
LEGACY_VERSIONS = {"2025-11-25", "2025-06-18", "2025-03-26"}
# The stateless revision the modern modes speak.
MODERN_VERSION = "2026-07-28"
# The SDK's modes, each a whole session, and the version each must end up speaking.
MODES: dict[str, set[str]] = {"legacy": LEGACY_VERSIONS, MODERN_VERSION: {MODERN_VERSION}, "auto": {MODERN_VERSION}}

# Seconds allowed for one connection and the calls made on it.
TIMEOUT = 60


class Checks:
    """Counts the checks and prints one line for each."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        # The mode of the session under way, printed before each check's name.
        self.prefix = ""

    def ok(self, name: str, detail: str = "") -> None:
        self.passed += 1
        print(f"ok   {self.prefix}{name}" + (f": {detail}" if detail else ""), flush=True)

    def fail(self, name: str, detail: str) -> None:
        self.failed += 1
        print(f"FAIL {self.prefix}{name}: {detail}", flush=True)

    def expect(self, name: str, condition: bool, detail: str) -> None:
        if condition:
            self.ok(name)
        else:
            self.fail(name, detail)


def describe(exc: BaseException) -> str:
    """One line for an exception, unwrapping the task groups the SDK raises through."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    if isinstance(exc, MCPError):
        return f"MCPError {exc.error.code}: {exc.error.message}"
    return f"{type(exc).__name__}: {exc}"


def value_for(name: str, schema: dict[str, Any]) -> Any:
    """A plausible value for one argument: a known value, else the first enum value, else
    a placeholder of the schema's type."""
    if name in KNOWN_ARGUMENTS:
        return KNOWN_ARGUMENTS[name]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    types = schema.get("type", "string")
    types = [types] if isinstance(types, str) else [t for t in types if t != "null"]
    placeholders = {"string": "example", "integer": 1, "number": 1, "boolean": False, "array": [], "object": {}}
    return placeholders.get(types[0] if types else "string", "example")


def generated_arguments(schema: dict[str, Any], with_known_optionals: bool) -> dict[str, Any]:
    """Arguments for every required property, plus the optional ones we know values for."""
    properties: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    args = {name: value_for(name, properties.get(name) or {}) for name in sorted(required)}
    if with_known_optionals:
        for name in properties:
            if name not in required and name in KNOWN_ARGUMENTS:
                args[name] = KNOWN_ARGUMENTS[name]
    return args


def check_result(checks: Checks, name: str, result: Any) -> bool:
    """A successful call: not isError, and structuredContent is an object whose JSON equals
    the JSON of the text content (the spec's SHOULD for tools that return structured data)."""
    texts = [c.text for c in result.content if getattr(c, "type", None) == "text"]
    if result.is_error:
        checks.fail(name, f"isError is true: {texts[:1]}")
        return False
    if not isinstance(result.structured_content, dict):
        checks.fail(name, f"structuredContent is not an object: {type(result.structured_content).__name__}")
        return False
    if len(texts) != 1:
        checks.fail(name, f"expected one text content block, got {len(texts)}")
        return False
    try:
        parsed = json.loads(texts[0])
    except json.JSONDecodeError as exc:
        checks.fail(name, f"text content is not JSON: {exc}")
        return False
    if parsed != result.structured_content:
        checks.fail(name, "text content JSON differs from structuredContent")
        return False
    # Image blocks the SDK parsed must hold the picture their mimeType names.
    magic = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff", "image/gif": b"GIF8"}
    for block in result.content:
        if getattr(block, "type", None) != "image":
            continue
        mime = getattr(block, "mime_type", None) or getattr(block, "mimeType", None)
        data = base64.b64decode(block.data)
        want = magic.get(mime)
        if want is None or not data.startswith(want):
            checks.fail(name, f"an image block's bytes are not {mime}")
            return False
        checks.ok(f"{name}: image block", f"{len(data)} bytes of {mime}")
    checks.ok(name, f"{len(texts[0])} bytes of JSON")
    return True


async def check_tools(checks: Checks, client: Client, catalog_url: str) -> None:
    """tools/list, then every read-only tool, then one call with a bad argument."""
    listed = await client.list_tools()
    tools = listed.tools
    checks.expect("tools/list returns tools", bool(tools), "no tools listed")
    for tool in tools:
        described = bool(tool.description) and tool.input_schema.get("type") == "object"
        checks.expect(f"tools/list {tool.name} has a description and an object inputSchema", described, str(tool))
    names = {tool.name for tool in tools}
    checks.expect("catalog_configure is listed", "catalog_configure" in names, f"listed: {sorted(names)}")
    read_only = [t for t in tools if t.annotations is not None and t.annotations.read_only_hint is True]
    print(f"     read-only tools: {', '.join(t.name for t in read_only)}", flush=True)
    succeeded: set[str] = set()
    for tool in read_only:
        if tool.name in SKIP_TOOLS:
            print(f"skip tools/call {tool.name}: {SKIP_TOOLS[tool.name]}", flush=True)
            continue
        variants = [generated_arguments(tool.input_schema, False)]
        fuller = generated_arguments(tool.input_schema, True)
        if fuller != variants[0]:
            variants.append(fuller)
        if tool.name in TOOL_ARGUMENTS:
            variants = [TOOL_ARGUMENTS[tool.name]]
        if tool.name == "athena_query_results":
            if "execution_id" not in DERIVED:
                checks.fail(f"tools/call {tool.name}", "athena_query_execute gave no execution_id to continue")
                continue
            variants = [{"execution_id": DERIVED["execution_id"], "max_results": 2}]
        for args in variants:
            label = f"tools/call {tool.name} {json.dumps(args, sort_keys=True)}"
            try:
                result = await client.call_tool(tool.name, args)
                if check_result(checks, label, result):
                    succeeded.add(tool.name)
                    if tool.name == "athena_query_execute":
                        DERIVED["execution_id"] = result.structured_content.get("execution_id")
            except Exception as exc:  # noqa: BLE001 - any failure is a failed check
                checks.fail(label, describe(exc))
    checks.expect(
        f"catalog_configure succeeded with the demo's catalog {catalog_url}",
        "catalog_configure" in succeeded,
        "it was not called as a read-only tool, or its call failed",
    )

    bad = await client.call_tool("catalog_url", {"registry": 5})
    text = " ".join(c.text for c in bad.content if getattr(c, "type", None) == "text")
    checks.expect(
        "tools/call catalog_url {registry: 5} is an isError result naming the field",
        bad.is_error is True and "registry" in text,
        f"isError={bad.is_error}, text={text!r}",
    )
    try:
        await client.call_tool("no_such_tool", {})
        checks.fail("tools/call of an unknown tool is a JSON-RPC error", "the call succeeded")
    except MCPError as exc:
        checks.expect(
            "tools/call of an unknown tool is a JSON-RPC error -32602",
            exc.error.code == -32602,
            f"got code {exc.error.code}: {exc.error.message}",
        )


async def check_resources(checks: Checks, client: Client) -> None:
    """resources/list, then read every listed resource."""
    resources = (await client.list_resources()).resources
    checks.expect("resources/list returns resources", bool(resources), "no resources listed")
    for resource in resources:
        uri = str(resource.uri)
        name = f"resources/read {uri}"
        try:
            contents = (await client.read_resource(uri)).contents
        except Exception as exc:  # noqa: BLE001 - any failure is a failed check
            checks.fail(name, describe(exc))
            continue
        if not contents or str(contents[0].uri) != uri:
            checks.fail(name, f"unexpected contents: {contents!r}")
            continue
        text = getattr(contents[0], "text", None)
        if contents[0].mime_type == "application/json":
            try:
                json.loads(text or "")
            except json.JSONDecodeError as exc:
                checks.fail(name, f"mimeType is application/json but the text is not JSON: {exc}")
                continue
        checks.ok(name, f"{contents[0].mime_type}, {len(text or '')} chars")


async def session_checks(checks: Checks, url: str, token: str, catalog_url: str, mode: str) -> None:
    """One session in `mode`: its version and server identity, ping (legacy only: 2026-07-28
    removed it), tools and resources."""
    KNOWN_ARGUMENTS["catalog_url"] = catalog_url
    DERIVED.clear()
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        if mode == MODERN_VERSION:
            # A pinned session sends no handshake (the SDK adopts a local stand-in), so ask the
            # server itself, and adopt its answer: identity and capabilities come from it.
            raw = await client.session.send_discover(MODERN_VERSION)
            found = types.DiscoverResult.model_validate(raw)
            checks.expect(
                "server/discover lists 2026-07-28, with caching hints",
                MODERN_VERSION in found.supported_versions and found.cache_scope in ("public", "private") and found.ttl_ms is not None,
                f"{raw!r}",
            )
            client.session.adopt(found)
        version = client.protocol_version
        info = client.server_info
        checks.expect(
            f"the session speaks {' or '.join(sorted(MODES[mode]))}",
            version in MODES[mode],
            f"protocolVersion {version!r}",
        )
        checks.expect("the server names itself", info is not None and bool(info.name), f"serverInfo {info!r}")
        caps = client.server_capabilities
        checks.expect("the server declares tools and resources", caps.tools is not None and caps.resources is not None, str(caps))
        if version in LEGACY_VERSIONS:
            with warnings.catch_warnings():
                # The SDK warns that ping is gone in 2026-07-28; this session is legacy-era.
                warnings.simplefilter("ignore")
                await client.send_ping()
            checks.ok("ping")
        await check_tools(checks, client, catalog_url)
        await check_resources(checks, client)


async def refused_check(checks: Checks, url: str, token: str | None, name: str) -> None:
    """A missing or wrong token must fail the connection with HTTP 401 and a Bearer challenge."""
    seen: list[httpx2.Response] = []

    async def record(response: httpx2.Response) -> None:
        seen.append(response)

    headers = {"Authorization": f"Bearer {token}"} if token is not None else None
    http = create_mcp_http_client(headers=headers)
    http.event_hooks = {"request": [], "response": [record]}
    try:
        async with http, Client(streamable_http_client(url, http_client=http), mode="legacy") as client:
            await client.list_tools()
        checks.fail(name, "the connection succeeded")
        return
    except Exception as exc:  # noqa: BLE001 - the SDK surfaces the 401 as an error
        error = describe(exc)
    statuses = [r.status_code for r in seen]
    challenge = seen[0].headers.get("www-authenticate", "") if seen else ""
    checks.expect(
        name,
        statuses[:1] == [401] and challenge.startswith("Bearer "),
        f"statuses {statuses}, WWW-Authenticate {challenge!r}, error {error}",
    )
    if statuses[:1] == [401]:
        print(f"     SDK error: {error}", flush=True)


def stdio_env(catalog_url: str, token: str) -> dict[str, str]:
    """What a local user sets for `quilt-mcp stdio` against the demo's catalog (which answers
    S3 and Athena too)."""
    return {
        "QUILT_CATALOG_URL": catalog_url,
        "QUILT_MCP_TOKEN": token,
        "AWS_ENDPOINT_URL_S3": catalog_url,
        "AWS_ENDPOINT_URL_ATHENA": catalog_url,
        # Its logs go to stderr, which the SDK passes through: keep the report readable.
        "MCP_LOG_LEVEL": "warn",
    }


async def stdio_sdk_checks(checks: Checks, binary: str, token: str, catalog_url: str, mode: str) -> None:
    """A session through the SDK's stdio client: list, call, read."""
    server = StdioServerParameters(command=binary, args=["stdio"], env=stdio_env(catalog_url, token))
    async with Client(server, mode=mode) as client:
        tools = (await client.list_tools()).tools
        names = {tool.name for tool in tools}
        checks.expect(f"stdio ({mode}) tools/list", "bucket_list" in names, f"listed: {sorted(names)}")
        buckets = await client.call_tool("bucket_list", {})
        if check_result(checks, f"stdio ({mode}) tools/call bucket_list", buckets):
            bucket = buckets.structured_content["buckets"][0]["name"]
            listed = await client.call_tool("bucket_objects_list", {"bucket": bucket})
            check_result(checks, f"stdio ({mode}) tools/call bucket_objects_list {bucket}", listed)
        contents = (await client.read_resource("auth://status")).contents
        status = json.loads(getattr(contents[0], "text", "") or "{}")
        checks.expect(
            f"stdio ({mode}) resources/read auth://status",
            status.get("status") == "authenticated",
            f"{status}",
        )


async def stdio_raw_checks(checks: Checks, binary: str, token: str, catalog_url: str) -> None:
    """What the SDK never sends: a malformed line (a JSON-RPC error, and the session goes on),
    then EOF (exit 0), with nothing but JSON-RPC on stdout."""
    import os

    env = {"PATH": os.environ.get("PATH", "")} | stdio_env(catalog_url, token)
    process = await asyncio.create_subprocess_exec(
        binary, "stdio", env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"{not json\n")
    process.stdin.write(b'{"jsonrpc":"2.0","id":7,"method":"ping"}\n')
    await process.stdin.drain()
    process.stdin.close()
    out, _ = await asyncio.wait_for(process.communicate(), TIMEOUT)
    answers = [json.loads(line) for line in out.decode().splitlines()]
    by_id = {json.dumps(a.get("id")): a for a in answers}
    malformed = by_id.get("null", {})
    checks.expect(
        "stdio: a malformed line gets a JSON-RPC parse error",
        malformed.get("error", {}).get("code") == -32700,
        f"answers {answers}",
    )
    checks.expect("stdio: the session goes on after it", "result" in by_id.get("7", {}), f"answers {answers}")
    checks.expect("stdio: EOF ends the process with exit 0", process.returncode == 0, f"exit {process.returncode}")
    checks.expect("stdio: stdout holds only JSON-RPC", all(a.get("jsonrpc") == "2.0" for a in answers), f"{answers}")


async def main(url: str, token: str, catalog_url: str, binary: str | None) -> int:
    checks = Checks()
    steps = [(f"[{mode}] ", "session", session_checks(checks, url, token, catalog_url, mode)) for mode in MODES]
    steps += [
        ("", "wrong token", refused_check(checks, url, token + "x", "a wrong token is refused with 401")),
        ("", "no token", refused_check(checks, url, None, "a missing token is refused with 401")),
    ]
    if binary:
        steps += [
            ("", f"stdio {mode}", stdio_sdk_checks(checks, binary, token, catalog_url, mode)) for mode in MODES
        ]
        steps += [("", "stdio by hand", stdio_raw_checks(checks, binary, token, catalog_url))]
    for prefix, label, step in steps:
        checks.prefix = prefix
        try:
            await asyncio.wait_for(step, TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - a crash in a step is one failed check
            checks.fail(f"{label} ran to the end", describe(exc))
    checks.prefix = ""
    print(f"{checks.passed} passed, {checks.failed} failed", flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        print("usage: python_client.py URL TOKEN CATALOG_URL [QUILT_MCP_BINARY]", file=sys.stderr)
        sys.exit(2)
    binary = sys.argv[4] if len(sys.argv) == 5 else None
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], binary)))
