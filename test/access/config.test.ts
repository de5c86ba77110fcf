// The access sections of the config: defaults, located errors for bad values and cross-references.
import { describe, expect, it } from 'vitest';
import { expectIssue, load } from '../helpers/config.js';
import { accessConfig } from './helpers.js';

const base = accessConfig();

describe('access config', () => {
  it('defaults to embedded storage and automatic auth', () => {
    const { config } = load(base);
    expect(config?.storage).toEqual({ database: 'sqlite://./data/gatehouse.db', redis_prefix: 'gatehouse:' });
    expect(config?.auth).toMatchObject({ mode: 'auto', oidc: [], admin_key: expect.any(String) });
    expect(config?.teams).toEqual([]);
  });

  it('reports a downgrade to an unknown target, with a suggestion, where it is written', () => {
    const yaml = `${base}teams:\n  - name: t\n    budgets: [ { usd: 5, period: daily, on_exceeded: downgrade, downgrade_to: cheep } ]\n`;
    expectIssue(load(yaml), yaml, 'teams[0].budgets[0].downgrade_to', { needle: 'cheep' }, /no endpoint or route is named "cheep" \(did you mean "cheap"\?\)/);
  });

  it('reports duplicate teams and key hashes, and limits without a rate', () => {
    const hash = `sha256:${'a'.repeat(64)}`;
    const yaml = `${base}teams:\n  - name: t\n  - name: t\nkeys:\n  - { name: a, hash: "${hash}" }\n  - { name: b, hash: "${hash}" }\nlimits:\n  - { per: user }\n`;
    const result = load(yaml);
    const messages = result.issues.map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'teams[1].name: duplicate team name: each must be unique',
        'keys[1].hash: duplicate key hash: each must be unique',
        expect.stringMatching(/^limits\[0\]: give at least one of rps, rpm, rph, rpd, tpm or concurrent/),
      ]),
    );
  });

  it('refuses a key given in clear instead of its hash', () => {
    const yaml = `${base}keys:\n  - { name: a, hash: ghk_plaintext }\n`;
    expect(load(yaml).issues.map((i) => i.path)).toEqual(['keys[0].hash']);
  });
});
