// Drive a running quilt-mcp with the official TypeScript SDK v2 client
// (@modelcontextprotocol/client, pinned in lib.sh) over Streamable HTTP, in two of its
// version-negotiation modes: pinned to 2026-07-28 (stateless, versioned per request) and
// auto (probes server/discover, falls back to initialize on a legacy server; stays modern
// against us). Each mode: the negotiated era and version, the server's identity and
// capabilities, tools/list, every read-only tool that needs no argument (the SDK checks
// structuredContent against the tool's outputSchema), an unknown tool, and every listed
// resource read. Prints one line per check and ends with `N passed, N failed`; exits 1 if any
// check failed.
//
// Usage: INTEROP_TS_SDK=DIR node ts_client.mjs URL TOKEN   (DIR: where run.sh installed the SDK)
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// The package tools take a package by name or by quilt+s3 URI, so neither is required in
// their schemas; calling them with no arguments would only prove the refusal.
const PACKAGE = { registry: 's3://example-data', package_name: 'team/rnaseq-2024' };
const ARGUMENTS = {
  package_history: PACKAGE,
  package_browse: PACKAGE,
  package_file_text: { ...PACKAGE, path: 'README.md' },
  package_file_fetch: { uri: 'quilt+s3://example-data#package=team/imaging-atlas&path=thumbnails/brain.png' },
  // `query` may come in a cursor instead, so it is not required: one ordered page.
  search_catalog: { query: 'rnaseq', scope: 'package', order: 'newest', limit: 3 },
  package_diff: { registry: PACKAGE.registry, package1_name: PACKAGE.package_name, package2_name: PACKAGE.package_name },
};

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: ts_client.mjs URL TOKEN');
  process.exit(2);
}
// The SDK is installed into the interop cache, not next to this file.
const sdkDir = process.env.INTEROP_TS_SDK;
const require = createRequire(pathToFileURL(`${sdkDir}/package.json`));
const { Client, StreamableHTTPClientTransport } = await import(
  pathToFileURL(require.resolve('@modelcontextprotocol/client'))
);

const MODERN = '2026-07-28';
let passed = 0;
let failed = 0;
let prefix = '';
const ok = (name, detail = '') => {
  passed++;
  console.log(`ok   ${prefix}${name}${detail ? `: ${detail}` : ''}`);
};
const fail = (name, detail) => {
  failed++;
  console.log(`FAIL ${prefix}${name}: ${detail}`);
};
const expect = (name, condition, detail) => (condition ? ok(name) : fail(name, detail));
const describe = (error) => `${error?.name ?? 'Error'}: ${error?.message ?? String(error)}`;

async function session(mode) {
  const client = new Client({ name: 'quilt-mcp-interop', version: '1.0.0' }, { versionNegotiation: { mode } });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  try {
    const tools = (await client.listTools()).tools;
    const version = client.getNegotiatedProtocolVersion();
    expect(`the session speaks ${MODERN}`, version === MODERN, `negotiated ${version}, era ${client.getProtocolEra()}`);
    const server = client.getServerVersion();
    expect('the server names itself', Boolean(server?.name), JSON.stringify(server));
    const caps = client.getServerCapabilities();
    expect('the server declares tools and resources', Boolean(caps?.tools && caps?.resources), JSON.stringify(caps));
    expect('tools/list returns tools', tools.length > 0, 'no tools');
    const readOnly = tools.filter((t) => t.annotations?.readOnlyHint === true && (t.inputSchema.required ?? []).length === 0);
    for (const tool of readOnly) {
      const args = ARGUMENTS[tool.name] ?? {};
      const label = `tools/call ${tool.name} ${JSON.stringify(args)}`;
      try {
        const result = await client.callTool({ name: tool.name, arguments: args });
        if (result.isError) {
          fail(label, `isError: ${result.content?.[0]?.text}`);
        } else if (typeof result.structuredContent !== 'object' || result.structuredContent === null) {
          fail(label, 'no structuredContent object');
        } else {
          ok(label, `${JSON.stringify(result.structuredContent).length} bytes of structured content`);
        }
      } catch (error) {
        fail(label, describe(error));
      }
    }
    try {
      await client.callTool({ name: 'no_such_tool', arguments: {} });
      fail('tools/call of an unknown tool is a JSON-RPC error', 'the call succeeded');
    } catch (error) {
      expect('tools/call of an unknown tool is a JSON-RPC error -32602', error?.code === -32602, describe(error));
    }
    const resources = (await client.listResources()).resources;
    expect('resources/list returns resources', resources.length > 0, 'no resources');
    for (const resource of resources) {
      const label = `resources/read ${resource.uri}`;
      try {
        const contents = (await client.readResource({ uri: resource.uri })).contents;
        expect(label, contents?.[0]?.uri === resource.uri, JSON.stringify(contents).slice(0, 200));
      } catch (error) {
        fail(label, describe(error));
      }
    }
  } finally {
    await client.close();
  }
}

for (const [label, mode] of [[MODERN, { pin: MODERN }], ['auto', 'auto']]) {
  prefix = `[${label}] `;
  try {
    await session(mode);
  } catch (error) {
    fail('session ran to the end', describe(error));
  }
}
prefix = '';
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
