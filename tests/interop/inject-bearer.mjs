// Preloaded (node --import) into the MCP conformance suite, which sends no Authorization
// header of its own. Adds `Authorization: Bearer $INTEROP_BEARER` to every request it makes:
// through global fetch (the SDK client in most scenarios), through undici's request()
// (dns-rebinding-protection) and through node:http's request() (0.2.0's raw header-validation
// requests). The suite imports undici and http as shared module objects, so patching them
// before the suite loads is what its imports see.
import { createRequire } from 'node:module';

const token = process.env.INTEROP_BEARER;

const origFetch = globalThis.fetch;
globalThis.fetch = (input, init = {}) => {
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  if (token && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
  return origFetch(input, { ...init, headers });
};

// Resolve undici from the suite's own install, the copy its import will load.
const undici = createRequire(process.env.INTEROP_SUITE_CLI)('undici');
const origRequest = undici.request;
undici.request = (url, opts = {}) => {
  const headers = { ...(opts.headers ?? {}) };
  const has = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
  if (token && !has) headers.authorization = `Bearer ${token}`;
  return origRequest(url, { ...opts, headers });
};

// node:http request(options[, callback]) with an options object, as the suite calls it.
const http = createRequire(import.meta.url)('node:http');
const origHttpRequest = http.request;
http.request = (options, ...rest) => {
  if (token && options && typeof options === 'object' && !(options instanceof URL)) {
    const headers = { ...(options.headers ?? {}) };
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) {
      headers.authorization = `Bearer ${token}`;
    }
    return origHttpRequest({ ...options, headers }, ...rest);
  }
  return origHttpRequest(options, ...rest);
};
