// Hot reload: a changed file is picked up (watched, or on SIGHUP), a valid config swaps in between
// requests, an invalid one is refused with located reasons while the old one keeps serving,
// in-flight requests finish on the config they started with, and rate-limit windows survive.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startServer } from './helpers/cli.js';
import { positionOf, tempDir } from './helpers/config.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const endpoint = (name: string, extra = '', config = '{}') => `
  - name: ${name}
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-${name}, config: ${config} }${extra}`;
const configOf = (...endpoints: string[]) => `endpoints:${endpoints.join('')}\n`;

const ONE = configOf(endpoint('chat'));
const TWO = configOf(endpoint('chat'), endpoint('added'));

function chat(url: string, model: string, stream = false): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Hello' }] }),
  });
}

async function modelIds(url: string): Promise<string[]> {
  const body = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
  return body.data.map((m) => m.id);
}

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('a watched config file', () => {
  it('picks up a rewritten file: the new endpoint answers', async () => {
    gw = await startGateway(ONE, { watch: true });
    expect((await chat(gw.url, 'added')).status).toBe(404);
    gw.writeConfig(TWO);
    const url = gw.url;
    await eventually(async () => ((await modelIds(url)).includes('added') ? true : undefined), 'the reload');
    const res = await chat(gw.url, 'added');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-endpoint')).toBe('added');
    expect(gw.logs).toContainEqual(expect.objectContaining({ msg: 'config reloaded', trigger: 'file change', endpoints: 2 }));
  });

  it('refuses an invalid file, logs why with file:line:column, and keeps serving the old config', async () => {
    gw = await startGateway(ONE, { watch: true });
    const invalid = configOf(endpoint('chat'), endpoint('added', '\n    limit: { renewal_period: minute, calls: many }'));
    gw.writeConfig(invalid);
    const logs = gw.logs;
    const refusal = await eventually(() => logs.find((l) => String(l.msg).startsWith('config reload refused')), 'the refusal');
    const { line, column } = positionOf(invalid, 'many');
    expect(refusal).toMatchObject({
      level: 50,
      trigger: 'file change',
      issues: [`${gw.configFile}:${line}:${column}: endpoints[1].limit.calls: must be a number (got the text "many")`],
    });
    expect(refusal.msg).toContain(`${gw.configFile}:${line}:${column}:`);
    expect((await chat(gw.url, 'chat')).status).toBe(200);
    expect(await modelIds(gw.url)).toEqual(['chat']);
  });
});

describe('swapping configs', () => {
  it('lets a request that started before the reload finish on the old config', async () => {
    // Streamed, so the response has begun (the endpoint was chosen) before the reload: the order is certain.
    gw = await startGateway(configOf(endpoint('chat'), endpoint('slow', '', '{ response: "one two three four", token_delay: 100ms }')));
    const res = await chat(gw.url, 'slow', true);
    expect(res.status).toBe(200);
    gw.writeConfig(ONE);
    expect(gw.gateway.reloader.reload('test')).toEqual({ ok: true, issues: [] });
    expect((await chat(gw.url, 'slow')).status).toBe(404);

    const text = await res.text();
    const content = text
      .split('\n\n')
      .filter((event) => event.startsWith('data: {'))
      .map((event) => JSON.parse(event.slice(6)).choices[0].delta.content ?? '')
      .join('');
    expect(content).toBe('one two three four');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('lets a request held by its upstream finish on the endpoint a reload removed', async () => {
    const upstream = await heldUpstream();
    try {
      const held = `\n  - name: held\n    endpoint_type: llm/v1/chat\n    model: { provider: openai, name: held-model, config: { openai_api_base: "${upstream.base}" } }`;
      gw = await startGateway(configOf(endpoint('chat'), held));
      const pending = chat(gw.url, 'held');
      await upstream.received; // the gateway chose the endpoint and called its upstream
      gw.writeConfig(ONE);
      expect(gw.gateway.reloader.reload('test').ok).toBe(true);
      expect((await chat(gw.url, 'held')).status).toBe(404);
      upstream.release();
      const res = await pending;
      expect(res.status).toBe(200);
      expect((await res.json()).choices[0].message.content).toBe('held answer');
    } finally {
      upstream.release();
      await upstream.close();
    }
  });

  it('keeps rate-limit windows across a reload that keeps the limit, and starts fresh when it changes', async () => {
    const limited = (calls: number, ...more: string[]) => configOf(endpoint('chat', `\n    limit: { renewal_period: hour, calls: ${calls} }`), ...more);
    gw = await startGateway(limited(2));
    expect((await chat(gw.url, 'chat')).status).toBe(200);
    expect((await chat(gw.url, 'chat')).status).toBe(200);

    gw.writeConfig(limited(2, endpoint('other')));
    expect(gw.gateway.reloader.reload('test').ok).toBe(true);
    const refused = await chat(gw.url, 'chat');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);

    gw.writeConfig(limited(3, endpoint('other')));
    expect(gw.gateway.reloader.reload('test').ok).toBe(true);
    expect((await chat(gw.url, 'chat')).status).toBe(200);
  });

  it('applies a new log level, and says which server settings wait for a restart', async () => {
    gw = await startGateway(ONE);
    gw.writeConfig(`server: { log_level: warn, port: 4999 }\n${ONE}`);
    expect(gw.gateway.reloader.reload('test').ok).toBe(true);
    expect(gw.logs).toContainEqual(expect.objectContaining({ msg: 'these settings changed and take effect on restart', settings: ['server.port'] }));
    const before = gw.logs.length;
    expect((await chat(gw.url, 'chat')).status).toBe(200);
    // At warn, the info-level access log line is no longer written.
    expect(gw.logs.slice(before).filter((l) => l.msg === 'request')).toEqual([]);
  });

  it('a refused reload leaves the runtime object itself in place', async () => {
    gw = await startGateway(ONE);
    const running = gw.gateway.state.current;
    gw.writeConfig('endpoints: [');
    const outcome = gw.gateway.reloader.reload('test');
    expect(outcome.ok).toBe(false);
    expect(outcome.issues[0]).toMatch(new RegExp(`^${gw.configFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: \\(yaml\\): `));
    expect(gw.gateway.state.current).toBe(running);
  });
});

/** An OpenAI-compatible upstream that holds its answer until released, so a test knows a request is in flight. */
async function heldUpstream() {
  let arrived!: () => void;
  let release!: () => void;
  const received = new Promise<void>((resolve) => (arrived = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = createServer(async (req, res) => {
    for await (const _ of req); // the whole request body
    arrived();
    await released;
    const answer = { role: 'assistant', content: 'held answer' };
    const body = { id: 'chatcmpl-held', object: 'chat.completion', created: 1, model: 'held-model', choices: [{ index: 0, message: answer, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}/v1`, received, release, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('the real process', () => {
  it('reloads on SIGHUP (with --no-watch) and exits 0 on SIGTERM', async () => {
    const dir = tempDir({ 'gatehouse.yaml': ONE });
    const file = join(dir, 'gatehouse.yaml');
    const server = await startServer(['serve', '--config', file, '--no-watch', '--port', '0', '--host', '127.0.0.1']);
    expect(server.output().stderr).toContain('(reloaded on SIGHUP)');
    writeFileSync(file, TWO);
    server.signal('SIGHUP');
    await eventually(async () => ((await modelIds(server.url)).includes('added') ? true : undefined), 'the SIGHUP reload');
    expect((await chat(server.url, 'added')).status).toBe(200);
    server.signal('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});
