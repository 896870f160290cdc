// Baseline for bench/mcp.sh: a minimal stateless MCP server written with the official TypeScript
// SDK (@modelcontextprotocol/sdk 1.32.2), the way its stateless example does it (Express app from
// createMcpExpressApp, a new McpServer + StreamableHTTPServerTransport per POST, no session id),
// with JSON answers (enableJsonResponse, as capstan answers plain calls) and one shared validator.
// One tool, list-jwts, proxies to GET {UPSTREAM}/iam/v1alpha1/jwts over keep-alive connections
// with X-Auth-Token and answers as capstan does: the upstream JSON as text content plus the
// object as structuredContent; an upstream error is an isError result.
//
// Environment: UPSTREAM (base URL, required), SCALEWAY_API_KEY (token), PORT (0 = ephemeral).
// Prints "listening on http://127.0.0.1:PORT" once it accepts requests. Endpoint: POST /mcp.
import http from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import * as z from 'zod/v4';

const upstream = new URL(process.env.UPSTREAM ?? '');
const token = process.env.SCALEWAY_API_KEY ?? '';
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

// GET path?query on the upstream → { status, statusText, body }.
function upstreamGet(path) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: upstream.hostname,
        port: upstream.port,
        path,
        agent,
        headers: { 'X-Auth-Token': token, Accept: 'application/json' }
      },
      res => {
        const chunks = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode, statusText: res.statusMessage, body: Buffer.concat(chunks).toString('utf8') })
        );
        res.on('error', reject);
      }
    );
    req.on('error', reject);
  });
}

const inputSchema = {
  order_by: z.string().optional().describe('Criteria for sorting results.'),
  audience_id: z.string().optional().describe('ID of the user to search.'),
  page_size: z.number().int().optional().describe('Number of results per page. Value must be between 1 and 100.'),
  page: z.number().int().optional().describe('Page number. Value must be greater to 1.'),
  expired: z.boolean().optional().describe('Filter out expired JWTs or not.')
};

async function listJwts(args) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(args)) {
    if (v !== undefined) query.append(k, String(v));
  }
  const qs = query.toString();
  let res;
  try {
    res = await upstreamGet(`/iam/v1alpha1/jwts${qs ? `?${qs}` : ''}`);
  } catch (e) {
    return { isError: true, content: [{ type: 'text', text: `The upstream API could not be reached (${e.message})` }] };
  }
  if (res.status < 200 || res.status > 299) {
    const text = `The upstream API answered HTTP ${res.status} ${res.statusText} (GET iam-jwts.listjwts): ${res.body}`;
    return { isError: true, content: [{ type: 'text', text }] };
  }
  const result = { content: [{ type: 'text', text: res.body }] };
  try {
    const parsed = JSON.parse(res.body);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) result.structuredContent = parsed;
  } catch {
    // not JSON: the text alone, as capstan does
  }
  return result;
}

// One validator for every per-request server: McpServer would otherwise build a new Ajv instance
// (compiling its meta-schemas) on each POST.
const jsonSchemaValidator = new AjvJsonSchemaValidator();

function makeServer() {
  const server = new McpServer({ name: 'iam-jwts-mcp', version: '1.0.0' }, { jsonSchemaValidator });
  server.registerTool(
    'list-jwts',
    {
      description: 'List JWTs',
      inputSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true }
    },
    listJwts
  );
  return server;
}

const app = createMcpExpressApp();
app.post('/mcp', async (req, res) => {
  const server = makeServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    transport.close();
    server.close();
  });
  try {
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  } catch (e) {
    if (!res.headersSent) {
      res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: String(e) }, id: null });
    }
  }
});
const notAllowed = (req, res) =>
  res.status(405).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
app.get('/mcp', notAllowed);
app.delete('/mcp', notAllowed);

const listener = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${listener.address().port}`);
});
listener.keepAliveTimeout = 60000;
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
