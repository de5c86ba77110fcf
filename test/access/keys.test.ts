// Virtual keys and teams through the admin API, on real SQLite: keys become required once one
// exists, secrets are shown once and never stored or logged, RBAC, expiry, revocation, rotation
// with a grace period, declarative keys by hash, and the audit log.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/access/secrets.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { expectError } from '../helpers/http.js';
import { accessConfig, admin, ADMIN_KEY, chat } from './helpers.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('keys and teams', () => {
  it('is open until a key exists, then requires one', async () => {
    gw = await startGateway(accessConfig());
    expect((await chat(gw.url, 'anything')).status).toBe(200);
    const created = await admin(gw, 'POST', '/admin/keys', { name: 'first' });
    expect(created.status).toBe(201);
    const missing = await expectError(await chat(gw.url, undefined), 401);
    expect(missing).toMatchObject({ code: 'missing_api_key', type: 'authentication_error' });
    const wrong = await expectError(await chat(gw.url, 'ghk_not-a-real-key'), 401);
    expect(wrong.code).toBe('invalid_api_key');
    expect(wrong.message).not.toContain('ghk_not-a-real-key');
    expect((await chat(gw.url, created.body.secret)).status).toBe(200);
    // Anthropic's and Azure's header names work too.
    const viaHeader = await fetch(`${gw.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': created.body.secret },
      body: JSON.stringify({ model: 'embeddings', input: 'x' }),
    });
    expect(viaHeader.status).toBe(200);
  });

  it('shows a secret once, stores only its hash, and never logs it', async () => {
    gw = await startGateway(accessConfig());
    const { body: key } = await admin(gw, 'POST', '/admin/keys', { name: 'ci', tags: ['ci', 'deploy'], metadata: { cost_center: 'r&d' } });
    expect(key.secret).toMatch(/^ghk_[\w-]{43}$/);
    expect(key.prefix).toBe(key.secret.slice(0, 12));
    const read = await admin(gw, 'GET', `/admin/keys/${key.id}`);
    expect(read.body).toMatchObject({ id: key.id, name: 'ci', tags: ['ci', 'deploy'], policy: { metadata: { cost_center: 'r&d' } } });
    expect(JSON.stringify(read.body)).not.toContain(key.secret.slice(12));
    expect(JSON.stringify(read.body)).not.toContain(hashSecret(key.secret));
    const stored = await gw.gateway.access.store.db.selectFrom('api_keys').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(key.secret);
    expect(stored[0].hash).toBe(hashSecret(key.secret));
    const res = await chat(gw.url, key.secret);
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const line = gw.logs.find((l) => l.msg === 'request' && l.path === '/v1/chat/completions');
    expect(line).toMatchObject({ key: key.id, metadata: { cost_center: 'r&d' } });
    expect(JSON.stringify(gw.logs)).not.toContain(key.secret);
  });

  it('refuses the admin API without the admin key, and turns it off without one configured', async () => {
    gw = await startGateway(accessConfig());
    const res = await fetch(`${gw.url}/admin/keys`, { headers: { authorization: 'Bearer wrong' } });
    expect((await expectError(res, 401)).code).toBe('invalid_api_key');
    await gw.close();
    gw = await startGateway(accessConfig().replace(`admin_key: ${ADMIN_KEY}`, 'mode: auto'));
    expect((await expectError(await fetch(`${gw.url}/admin/keys`), 404)).code).toBe('admin_disabled');
  });

  it('limits keys and teams to their endpoints, routes and models', async () => {
    gw = await startGateway(accessConfig());
    await admin(gw, 'POST', '/admin/teams', { name: 'alpha', allow: { models: ['mock-chat', 'mock-embed'] } });
    const { body: key } = await admin(gw, 'POST', '/admin/keys', { name: 'a1', team: 'alpha', allow: { endpoints: ['chat', 'cheap'] } });
    expect((await chat(gw.url, key.secret, 'chat')).status).toBe(200);
    const byTeam = await expectError(await chat(gw.url, key.secret, 'cheap'), 403);
    expect(byTeam).toMatchObject({ code: 'permission_denied', message: "The team 'alpha' may not use model 'mock-cheap' (through 'cheap')" });
    // The route reaches only mock-chat, and routes are not restricted for this key.
    expect((await chat(gw.url, key.secret, 'assistant')).status).toBe(200);
    const embed = await fetch(`${gw.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key.secret}` },
      body: JSON.stringify({ model: 'embeddings', input: 'x' }),
    });
    expect((await expectError(embed, 403)).message).toBe("The key 'a1' may not use endpoint 'embeddings'");
  });

  it('tenants list only their own keys', async () => {
    gw = await startGateway(accessConfig());
    await admin(gw, 'POST', '/admin/keys', { name: 'a-key', team: 'alpha' });
    await admin(gw, 'POST', '/admin/keys', { name: 'b-key', team: 'beta' });
    const alpha = await admin(gw, 'GET', '/admin/keys?team=alpha');
    expect(alpha.body.data.map((k: { name: string }) => k.name)).toEqual(['a-key']);
  });

  it('refuses expired and revoked keys at once, and rotates with a grace period', async () => {
    gw = await startGateway(accessConfig());
    const expired = await admin(gw, 'POST', '/admin/keys', { name: 'old', expires_at: '2020-01-01T00:00:00Z' });
    expect(await expectError(await chat(gw.url, expired.body.secret), 401)).toMatchObject({ code: 'expired_api_key', message: "The API key 'old' has expired" });

    const { body: key } = await admin(gw, 'POST', '/admin/keys', { name: 'rotating', expires_in: '30d' });
    expect(Date.parse(key.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const rotated = await admin(gw, 'POST', `/admin/keys/${key.id}/rotate`, { grace: '1h' });
    expect(rotated.body.secret).not.toBe(key.secret);
    expect((await chat(gw.url, key.secret)).status).toBe(200);
    expect((await chat(gw.url, rotated.body.secret)).status).toBe(200);
    const again = await admin(gw, 'POST', `/admin/keys/${key.id}/rotate`, {});
    expect((await chat(gw.url, rotated.body.secret)).status).toBe(401);
    expect((await chat(gw.url, again.body.secret)).status).toBe(200);

    expect((await admin(gw, 'DELETE', `/admin/keys/${key.id}`)).body).toEqual({ revoked: true });
    expect((await expectError(await chat(gw.url, again.body.secret), 401)).code).toBe('invalid_api_key');
    expect((await admin(gw, 'GET', `/admin/keys/${key.id}`)).body.revoked_at).toEqual(expect.any(String));
  });

  it('records every admin change in the audit log: who, what, when, from where', async () => {
    gw = await startGateway(accessConfig());
    const res = await fetch(`${gw.url}/admin/teams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', 'x-gatehouse-actor': 'alice' },
      body: JSON.stringify({ name: 'gamma' }),
    });
    expect(res.status).toBe(201);
    const { body: key } = await admin(gw, 'POST', '/admin/keys', { name: 'g1', team: 'gamma' });
    await admin(gw, 'PATCH', `/admin/keys/${key.id}`, { tags: ['x'] });
    await admin(gw, 'DELETE', `/admin/keys/${key.id}`);
    const { body } = await admin(gw, 'GET', '/admin/audit');
    expect(body.data.map((e: { action: string }) => e.action)).toEqual(['key.revoke', 'key.update', 'key.create', 'team.create']);
    expect(body.data[3]).toMatchObject({ actor: 'admin:alice', source: '127.0.0.1', target: 'gamma', at: expect.stringMatching(/^\d{4}-/) });
    expect(JSON.stringify(body)).not.toContain(key.secret);
  });

  it('answers 400, 404 and 409 with clear messages', async () => {
    gw = await startGateway(accessConfig());
    expect((await admin(gw, 'POST', '/admin/teams', { name: 'bad name' })).status).toBe(400);
    const bad = await admin(gw, 'POST', '/admin/keys', { name: 'x', limits: [{ per: 'key' }] });
    expect(bad).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('limits.0') } } });
    expect((await admin(gw, 'GET', '/admin/keys/nope')).status).toBe(404);
    await admin(gw, 'POST', '/admin/teams', { name: 'dup' });
    expect((await admin(gw, 'POST', '/admin/teams', { name: 'dup' })).status).toBe(409);
  });

  it('accepts keys declared in config by hash, and open endpoints without a key', async () => {
    const secret = 'ghk_declared-in-config-for-gitops-0000000000';
    gw = await startGateway(
      accessConfig(`  open_endpoints: [cheap]
teams:
  - name: ops
    allow: { endpoints: [chat] }
keys:
  - name: gitops
    team: ops
    hash: sha256:${hashSecret(secret)}
`),
    );
    expect((await chat(gw.url, secret, 'chat')).status).toBe(200);
    expect((await chat(gw.url, secret, 'cheap')).status).toBe(403);
    expect((await chat(gw.url, undefined, 'chat')).status).toBe(401);
    expect((await chat(gw.url, undefined, 'cheap')).status).toBe(200);
    const teams = await admin(gw, 'GET', '/admin/teams');
    expect(teams.body.data).toEqual([{ name: 'ops', policy: { allow: { endpoints: ['chat'] } }, source: 'config' }]);
  });

  it('takes teams and keys from a reloaded config', async () => {
    const secret = 'ghk_added-by-a-config-reload-00000000000000';
    gw = await startGateway(accessConfig());
    expect((await chat(gw.url, undefined)).status).toBe(200);
    gw.writeConfig(accessConfig(`keys:\n  - { name: reloaded, hash: "sha256:${hashSecret(secret)}", allow: { endpoints: [cheap] } }\n`));
    expect(gw.gateway.reloader.reload('test').ok).toBe(true);
    expect((await chat(gw.url, undefined)).status).toBe(401);
    expect((await chat(gw.url, secret, 'chat')).status).toBe(403);
    expect((await chat(gw.url, secret, 'cheap')).status).toBe(200);
  });

  it('keeps keys in the SQLite file across restarts', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-db-')), 'gatehouse.db');
    const env = { ...process.env, GATEHOUSE_DATABASE_URL: `sqlite://${file}` };
    gw = await startGateway(accessConfig(), { env });
    const { body: key } = await admin(gw, 'POST', '/admin/keys', { name: 'durable' });
    await gw.close();
    gw = await startGateway(accessConfig(), { env });
    expect((await chat(gw.url, key.secret)).status).toBe(200);
    expect((await chat(gw.url, undefined)).status).toBe(401);
  });
});
