// The floor: the least a Node.js gateway can do, as a reference column in the report. It forwards
// the request bytes to the mock with undici and pipes the response bytes back, chunk by chunk,
// with no parsing, no routing and no checks. What Gatehouse adds above this column is Gatehouse's
// own work; what this column adds above "direct" is the price of any extra Node process hop on
// this machine (two more socket reads/writes and, after idle time, one more process wake-up).
//
// Usage: tsx bench/bare-proxy.ts --port 0 --upstream http://127.0.0.1:9101
// Prints one JSON line {"ready":true,"port":N} on stdout once it listens.

import http from 'node:http';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { serveAsBenchChild } from './child-server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    upstream: { type: 'string' },
  },
});
if (!values.upstream) throw new Error('--upstream is required');
const upstream = values.upstream.replace(/\/$/, '');

// Same pool shape a real gateway would use: keep-alive connections, reused across requests.
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 512 });

const FORWARDED_REQUEST_HEADERS = ['content-type', 'authorization', 'accept'];
const MAX_BODY_BYTES = 1 << 20;

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
    return;
  }
  const parts: Buffer[] = [];
  let size = 0;
  req.on('data', (part: Buffer) => {
    size += part.length;
    if (size <= MAX_BODY_BYTES) parts.push(part);
  });
  req.on('end', () => {
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    request(`${upstream}${req.url ?? '/'}`, {
      method: req.method === 'GET' ? 'GET' : 'POST',
      headers,
      body: req.method === 'GET' ? undefined : Buffer.concat(parts),
      dispatcher: agent,
      signal: controller.signal,
    })
      .then(async (up) => {
        const contentType = up.headers['content-type'];
        const contentLength = up.headers['content-length'];
        const out: Record<string, string> = {};
        if (typeof contentType === 'string') out['content-type'] = contentType;
        if (typeof contentLength === 'string') out['content-length'] = contentLength;
        res.writeHead(up.statusCode, out);
        for await (const chunk of up.body) {
          if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', resolve));
        }
        res.end();
      })
      .catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: err instanceof Error ? err.message : String(err), type: 'upstream_error' } }));
        } else {
          res.destroy();
        }
      });
  });
});
server.keepAliveTimeout = 120_000;

serveAsBenchChild(server, Number(values.port), values.host);
