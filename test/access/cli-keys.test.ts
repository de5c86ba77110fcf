// `gatehouse keys` and `gatehouse db migrate` on a real SQLite file, and a gateway serving the keys
// the command made (the command and the gateway share the file, as on one machine).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/access/secrets.js';
import { eventually, runCli } from '../helpers/cli.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { accessConfig, admin, chat } from './helpers.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('gatehouse keys and db on SQLite', () => {
  it('migrates, creates, lists, rotates and revokes keys that a running gateway honours', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    const database = `sqlite://${join(dir, 'gatehouse.db')}`;
    const config = join(dir, 'gatehouse.yaml');
    writeFileSync(config, accessConfig(`storage: { database: "${database}" }\n`));

    const migrated = await runCli(['db', 'migrate', '--config', config]);
    expect(migrated.stdout).toMatch(/SQLite file .*gatehouse\.db: schema up to date \(applied 0001_identity, 0002_request_log\)/);

    const created = await runCli(['keys', 'create', '--config', config, '--name', 'cli-key', '--team', 'ops', '--expires', '30d', '--tag', 'ci', '--metadata', 'owner=me']);
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^ghk_/);
    expect(created.stderr).toMatch(/shown only this once/);

    gw = await startGateway(accessConfig(), { env: { ...process.env, GATEHOUSE_DATABASE_URL: database } });
    expect((await chat(gw.url, secret)).status).toBe(200);
    expect((await chat(gw.url, undefined)).status).toBe(401);

    const listed = await runCli(['keys', 'list', '--config', config, '--team', 'ops', '--json']);
    const [key] = JSON.parse(listed.stdout);
    expect(key).toMatchObject({ name: 'cli-key', team: 'ops', tags: ['ci'], policy: { metadata: { owner: 'me' } } });
    expect(listed.stdout).not.toContain(secret);

    const rotated = await runCli(['keys', 'rotate', '--config', config, key.id]);
    const next = rotated.stdout.trim();
    // The gateway polls the database: the old secret stops, the new one works, within a second.
    await eventually(async () => ((await chat(gw!.url, secret)).status === 401 && (await chat(gw!.url, next)).status === 200) || undefined, 'the rotation', 1_000);
    expect((await runCli(['keys', 'revoke', '--config', config, key.id])).code).toBe(0);
    await eventually(async () => (await chat(gw!.url, next)).status === 401 || undefined, 'the revocation', 1_000);

    const audit = await admin(gw, 'GET', '/admin/audit');
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual(['key.revoke', 'key.rotate', 'key.create']);
    expect(audit.body.data[0].actor).toMatch(/^cli:/);
  });

  it('generates a secret with its hash for declarative keys', async () => {
    const run = await runCli(['keys', 'hash', '--generate']);
    const [, secret, hash] = /secret: (\S+)\nhash: (\S+)/.exec(run.stdout) ?? [];
    expect(hash).toBe(`sha256:${hashSecret(secret)}`);
  });
});

