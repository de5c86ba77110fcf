// timeouts.connect: a host that never completes the TCP handshake fails the attempt within the
// endpoint's connect timeout (not the 10 s default), and a fallback takes over.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { chatBody, postJson } from './helpers/http.js';

let blackhole: ChildProcess;
let port: number;
const fillers: Socket[] = [];
let gw: TestGateway;

/**
 * A listening socket that never accepts, with its accept queue filled: further SYNs are dropped
 * by the kernel, so a connect attempt hangs as it would towards an unreachable host.
 */
async function startBlackhole(): Promise<void> {
  blackhole = spawn('python3', ['-c', 'import socket,time,sys\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1]);sys.stdout.flush()\ntime.sleep(120)']);
  port = await new Promise<number>((resolve) => blackhole.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  for (let i = 0; i < 4; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    fillers.push(socket);
  }
  await new Promise((r) => setTimeout(r, 200));
}

beforeAll(async () => {
  await startBlackhole();
  const unreachable = (name: string, connectTimeout: string) => ({
    name,
    endpoint_type: 'llm/v1/chat',
    model: { provider: 'openai', name: 'm', config: { openai_api_base: `http://127.0.0.1:${port}/v1` } },
    timeouts: { connect: connectTimeout },
  });
  gw = await startGateway(
    JSON.stringify({
      endpoints: [unreachable('blackholed', '300ms'), { name: 'backup', endpoint_type: 'llm/v1/chat', model: { provider: 'mock', name: 'm' } }],
      routes: [{ name: 'safe', task_type: 'llm/v1/chat', routing_strategy: 'FALLBACK', destinations: [{ name: 'blackholed' }, { name: 'backup' }] }],
    }),
  );
});
afterAll(async () => {
  await gw?.close();
  for (const s of fillers) s.destroy();
  blackhole?.kill();
});

describe('timeouts.connect', () => {
  it('fails an attempt whose connection never opens with 504 well before the 10 s default', async () => {
    const started = Date.now();
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('blackholed'));
    expect(res.status).toBe(504);
    expect((await res.json()).error.code).toBe('upstream_timeout');
    expect(Date.now() - started).toBeLessThan(9_000);
  });

  it('lets a fallback route move on to a healthy destination', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('safe'));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-endpoint')).toBe('backup');
    expect(res.headers.get('x-gatehouse-fallbacks')).toBe('1');
  });
});
