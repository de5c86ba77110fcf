// Config rollout over HTTP on one gateway: PUT /admin/config applies atomically, refuses a bad
// config with located problems and keeps the running one, records who applied what, and the CLI's
// apply, history and rollback drive it.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, accessConfig, admin, chat } from '../access/helpers.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/config.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const BASE = accessConfig();
/** The same config with the chat endpoint answering a fixed text, so a response tells which config served it. */
const withReply = (text: string) => BASE.replace('model: { provider: mock, name: mock-chat }', `model: { provider: mock, name: mock-chat, config: { response: "${text}" } }`);

async function answer(url: string): Promise<string> {
  const res = await chat(url, undefined, 'chat');
  return ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content;
}

function put(url: string, text: string, query = '', headers: Record<string, string> = {}) {
  return fetch(`${url}/admin/config${query}`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/yaml', ...headers }, body: text });
}

describe('PUT /admin/config', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(BASE);
  });
  afterAll(() => gw.close());

  it('records the file as version 1 at start', async () => {
    const { body } = await admin(gw, 'GET', '/admin/config');
    expect(body).toMatchObject({ version: 1, source: 'file', overrides_file: false });
    expect(body.applied_by).toMatch(/^file:.*gatehouse\.yaml@/);
  });

  it('applies a YAML config at once and records who applied it', async () => {
    const res = await put(gw.url, withReply('from version two'), '?message=first%20apply&file=prod.yaml', { 'x-gatehouse-actor': 'alice' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ version: 2, source: 'api', applied_by: 'admin:alice', message: 'first apply', unchanged: false });
    expect(body.text).toBeUndefined();
    expect(await answer(gw.url)).toBe('from version two');
    const current = await admin(gw, 'GET', '/admin/config');
    expect(current.body).toMatchObject({ version: 2, overrides_file: true });
  });

  it('accepts JSON, refuses a bad config with line numbers and keeps the running one', async () => {
    const bad = withReply('never served').replace('traffic_percentage: 100', 'traffic_percentage: 90');
    const res = await put(gw.url, bad, '?file=prod.yaml');
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.code).toBe('invalid_config');
    const line = bad.split('\n').findIndex((l) => l.includes('traffic_percentage: 90')) + 1;
    expect(body.issues[0]).toMatchObject({ file: 'prod.yaml', line });
    expect(body.error.message).toMatch(new RegExp(`prod\\.yaml:${line}:\\d+: routes\\[0\\]`));
    expect(await answer(gw.url)).toBe('from version two');

    const syntax = await put(gw.url, 'endpoints:\n  - name: [unclosed\n');
    expect(syntax.status).toBe(400);
    expect((await syntax.json()).issues[0].line).toBeGreaterThan(0);

    const json = JSON.stringify({ endpoints: [{ name: 'chat', endpoint_type: 'llm/v1/chat', model: { provider: 'mock', name: 'm', config: { response: 'from json' } } }], auth: { admin_key: ADMIN_KEY } });
    const ok = await put(gw.url, json, '', { 'content-type': 'application/json' });
    expect(ok.status).toBe(200);
    expect(await answer(gw.url)).toBe('from json');
  });

  it('refuses a config that would move storage or lock out the admin API', async () => {
    const moved = await put(gw.url, `${BASE}storage:\n  database: sqlite://./elsewhere.db\n`);
    expect(moved.status).toBe(400);
    expect((await moved.json()).issues[0]).toMatchObject({ path: 'storage' });
    const locked = await put(gw.url, BASE.replace(`  admin_key: ${ADMIN_KEY}`, '  mode: open'));
    expect(locked.status).toBe(400);
    expect((await locked.json()).error.message).toMatch(/admin API off/);
  });

  it('checks without applying on dry_run, and needs the admin key', async () => {
    const before = (await admin(gw, 'GET', '/admin/config')).body.version;
    const dry = await put(gw.url, withReply('dry'), '?dry_run=true');
    expect(await dry.json()).toEqual({ valid: true, dry_run: true, unchanged: false });
    expect((await admin(gw, 'GET', '/admin/config')).body.version).toBe(before);
    const anonymous = await fetch(`${gw.url}/admin/config`, { method: 'PUT', body: BASE });
    expect(anonymous.status).toBe(401);
  });

  it('rolls back to an earlier version as a new version', async () => {
    const res = await admin(gw, 'POST', '/admin/config/rollback', { version: 2, message: 'back to two' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ source: 'rollback', message: 'back to two' });
    expect(await answer(gw.url)).toBe('from version two');
    const missing = await admin(gw, 'POST', '/admin/config/rollback', { version: 999 });
    expect(missing.status).toBe(404);
    const history = await admin(gw, 'GET', '/admin/config/versions');
    expect(history.body.data.map((v: { source: string }) => v.source)).toEqual(['rollback', 'api', 'api', 'file']);
    expect(history.body.current).toBe(history.body.data[0].version);
    const audit = await admin(gw, 'GET', '/admin/audit?target=config@2');
    expect(audit.body.data[0]).toMatchObject({ action: 'config.apply', actor: 'admin:alice' });
  });

  it('keeps the applied config over an unchanged file on reload; a changed file wins and is recorded', async () => {
    expect(gw.gateway.reloader.reload('SIGHUP').ok).toBe(true);
    expect(await answer(gw.url)).toBe('from version two');
    gw.writeConfig(withReply('from the file'));
    expect(gw.gateway.reloader.reload('file change').ok).toBe(true);
    expect(await answer(gw.url)).toBe('from the file');
    await expect.poll(async () => (await admin(gw, 'GET', '/admin/config')).body.source).toBe('file');
  });
});

describe('gatehouse apply, history, rollback', () => {
  let gw: TestGateway;
  let dir: string;
  beforeAll(async () => {
    gw = await startGateway(BASE);
    dir = tempDir();
  });
  afterAll(() => gw.close());
  const env = () => ({ GATEHOUSE_URL: gw.url, GATEHOUSE_ADMIN_KEY: ADMIN_KEY });

  it('applies a file, lists the history and rolls back', async () => {
    const file = join(dir, 'production.yaml');
    writeFileSync(file, withReply('applied by the cli'));
    const applied = await runCli(['apply', file, '-m', 'cli apply', '--actor', 'bob'], env());
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/production\.yaml: applied as version 2 .* by admin:bob/);
    expect(await answer(gw.url)).toBe('applied by the cli');

    const history = await runCli(['history'], env());
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/^\* {4}2 .* api .* admin:bob {2}— cli apply$/m);
    expect(history.stdout).toMatch(/^ {5}1 .* file /m);

    const rolled = await runCli(['rollback', '1', '--actor', 'bob'], env());
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.stdout).toMatch(/rolled back to version 1: now version 3/);
    expect(await answer(gw.url)).toMatch(/^This is a mock response/);
  }, 90_000);

  it('prints located problems and exits 1 for a bad file', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, BASE.replace('endpoint_type: llm/v1/chat', 'endpoint_type: llm/v1/chatt'));
    const run = await runCli(['apply', file], env());
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/bad\.yaml:\d+:\d+: endpoints\[0\]\.endpoint_type/);
    expect(run.stderr).toContain('the running config stays');
  }, 30_000);
});

describe('auth.admin_key written as an environment reference', () => {
  it('is the variable\'s value, never the literal reference', async () => {
    const gw = await startGateway(BASE.replace(`admin_key: ${ADMIN_KEY}`, 'admin_key: $GATEHOUSE_TEST_ADMIN_KEY'), { env: { GATEHOUSE_TEST_ADMIN_KEY: ADMIN_KEY } });
    try {
      expect((await admin(gw, 'GET', '/admin/config')).status).toBe(200);
      const literal = await fetch(`${gw.url}/admin/config`, { headers: { authorization: 'Bearer $GATEHOUSE_TEST_ADMIN_KEY' } });
      expect(literal.status).toBe(401);
    } finally {
      await gw.close();
    }
  });
});
