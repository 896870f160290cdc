// A Microcks-like mock of the two shipyard APIs of the Naftiko tutorial, built at start-up from
// their OpenAPI files (shared/naftiko/mock-apis/*.yaml) and nothing else: the reference engine's
// CI loads the same files into Microcks (naftiko/framework@v1.0.0-alpha2
// .github/workflows/validate-tuto-examples.yml, .github/microcks/*.yaml) and points every
// tutorial `baseUri` at it.
//
// What it does, as Microcks does with these files:
// - Each API is mounted under the path of its `servers[0].url`
//   (/rest/<info.title>/<info.version>), so a base URI keeps a path, as on mocks.naftiko.net.
// - An operation is found by method + path template (`/ships/{imo_number}`: one segment).
// - The answer is one of the operation's response `examples`, chosen by its
//   `x-microcks-operation` dispatcher, with the media type its `content` key names:
//     URI_PARTS (rules `imo_number`): the example named `/imo_number=<value>`;
//     URI_PARAMS (rules `status`): the example named `?status=<value>`;
//     FALLBACK {dispatcher, dispatcherRules, fallback}: the inner dispatcher, else `fallback`;
//     SCRIPT `return 'name'`: that example (only the literal-return form is understood);
//     no dispatcher: the single example of the first 2xx response.
//   When no example matches (an unknown IMO number), the operation's documented 404 example is
//   answered with 404, or a plain 404 when it documents none.
// - Microcks response templating: `{{ request.body/a/b }}` in an example string is replaced by
//   that member of the JSON request body (the create-voyage 201 echoes the submitted ports and
//   dates that way; its arrays are static, as the tutorial's step-6 comment says).
// - No authentication is enforced (Microcks does not either): the tests assert what capstan sent.
// - Unknown routes answer 404.
//
// Every request is RECORDED (`requests`): {api, method, path (below the API's mount), fullPath,
// search, query (name → value, or array when repeated), headers (lower-case names), body (text),
// json (parsed body, or undefined), status, example}.
//
// Usage: const mock = await startShipyardMock([file, ...]); mock.baseUri('<info.title>');
// mock.requests; mock.reset(); await mock.close(). Standalone: node mock-shipyard.mjs FILE...
// prints the base URIs and logs each request.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

function compilePath(template) {
  const names = [];
  const source = template
    .split('/')
    .map((segment) => {
      const m = segment.match(/^\{([^}]+)\}$/);
      if (m) {
        names.push(m[1]);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { regex: new RegExp(`^${source}$`), names };
}

// Every example of every response of an operation: [{status, mediaType, name, value}].
function examplesOf(operation) {
  const out = [];
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    for (const [mediaType, content] of Object.entries(response.content ?? {})) {
      for (const [name, example] of Object.entries(content.examples ?? {})) {
        out.push({ status: Number(status), mediaType, name, value: example.value });
      }
    }
  }
  return out;
}

function loadApi(file) {
  const doc = parse(readFileSync(file, 'utf8'));
  const mount = new URL(doc.servers[0].url).pathname.replace(/\/$/, '');
  const operations = [];
  for (const [template, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const operation = item[method];
      if (!operation) continue;
      operations.push({
        method: method.toUpperCase(),
        template,
        ...compilePath(template),
        id: operation.operationId,
        dispatcher: operation['x-microcks-operation'],
        examples: examplesOf(operation),
      });
    }
  }
  return { title: doc.info.title, version: doc.info.version, mount, operations };
}

// The dispatch criteria of Microcks' URI_PARTS / URI_PARAMS for the given rules.
function criteria(dispatcher, rules, pathParams, query) {
  const names = String(rules ?? '')
    .split(/\s*&&\s*|\s*,\s*/)
    .filter(Boolean);
  if (dispatcher === 'URI_PARTS') {
    return names.map((n) => `/${n}=${pathParams[n] ?? ''}`).join('');
  }
  if (dispatcher === 'URI_PARAMS') {
    const present = names.filter((n) => query.has(n));
    return present.length ? `?${present.map((n) => `${n}=${query.get(n)}`).join('&')}` : '';
  }
  return '';
}

function chooseExample(operation, pathParams, query) {
  const byName = (name) => operation.examples.find((e) => e.name === name);
  const spec = operation.dispatcher;
  if (!spec) {
    return operation.examples.find((e) => e.status >= 200 && e.status < 300);
  }
  let { dispatcher, dispatcherRules: rules } = spec;
  let fallback;
  if (dispatcher === 'FALLBACK') {
    const inner = JSON.parse(rules);
    ({ dispatcher, dispatcherRules: rules, fallback } = inner);
  }
  let chosen;
  if (dispatcher === 'URI_PARTS' || dispatcher === 'URI_PARAMS') {
    chosen = byName(criteria(dispatcher, rules, pathParams, query));
  } else if (dispatcher === 'SCRIPT') {
    const m = String(rules).match(/^\s*return\s+['"]([^'"]+)['"]\s*;?\s*$/);
    if (m) chosen = byName(m[1]);
  }
  return chosen ?? (fallback ? byName(fallback) : undefined);
}

// Microcks-style `{{ request.body/a/b }}` templating inside example strings.
function render(value, requestJson) {
  if (typeof value === 'string') {
    return value.replace(/\{\{\s*request\.body\/([^}\s]+)\s*\}\}/g, (_, path) => {
      let node = requestJson;
      for (const key of path.split('/')) node = node == null ? undefined : node[key];
      if (node === undefined || node === null) return '';
      return typeof node === 'string' ? node : JSON.stringify(node);
    });
  }
  if (Array.isArray(value)) return value.map((v) => render(v, requestJson));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, requestJson)]));
  }
  return value;
}

function queryObject(params) {
  const out = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}

export async function startShipyardMock(files, { log = () => {} } = {}) {
  const apis = files.map(loadApi);
  const requests = [];

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://mock');
      const body = Buffer.concat(chunks).toString('utf8');
      let json;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const record = {
        api: null,
        method: req.method,
        path: url.pathname,
        fullPath: url.pathname,
        search: url.search,
        query: queryObject(url.searchParams),
        headers: { ...req.headers },
        body,
        json,
        status: 404,
        example: null,
      };
      requests.push(record);

      const send = (status, mediaType, text) => {
        record.status = status;
        res.writeHead(status, {
          'Content-Type': mediaType,
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(text);
        log(record);
      };

      const api = apis.find(
        (a) => url.pathname === a.mount || url.pathname.startsWith(`${a.mount}/`),
      );
      if (!api) return send(404, 'application/json', JSON.stringify({ error: 'no mock API here' }));
      record.api = api.title;
      record.path = url.pathname.slice(api.mount.length) || '/';
      for (const operation of api.operations) {
        if (operation.method !== req.method) continue;
        const m = record.path.match(operation.regex);
        if (!m) continue;
        const pathParams = {};
        operation.names.forEach((name, i) => {
          pathParams[name] = decodeURIComponent(m[i + 1]);
        });
        const example = chooseExample(operation, pathParams, url.searchParams);
        if (!example) {
          const notFound = operation.examples.find((e) => e.status === 404);
          if (notFound) {
            record.example = notFound.name;
            const text =
              typeof notFound.value === 'string' ? notFound.value : JSON.stringify(notFound.value);
            return send(404, notFound.mediaType, text);
          }
          return send(404, 'application/json', JSON.stringify({ error: 'no matching example' }));
        }
        record.example = example.name;
        const value = render(example.value, json);
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        return send(example.status, example.mediaType, text);
      }
      return send(404, 'application/json', JSON.stringify({ error: 'no mock route' }));
    });
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;

  return {
    origin,
    requests,
    // The base URI of an API by its info.title (e.g. naftiko-shipyard-maritime-registry-api).
    baseUri(title) {
      const api = apis.find((a) => a.title === title);
      if (!api) throw new Error(`no mock API titled ${title}`);
      return `${origin}${api.mount}`;
    },
    reset() {
      requests.length = 0;
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2);
  const mock = await startShipyardMock(files, {
    log: (r) =>
      console.log(`${r.method} ${r.fullPath}${r.search} -> ${r.status} ${r.example ?? ''}`),
  });
  for (const file of files) {
    const title = parse(readFileSync(file, 'utf8')).info.title;
    console.log(`${title}: ${mock.baseUri(title)}`);
  }
}
