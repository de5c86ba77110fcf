// GitLab CI id_tokens (and any OIDC issuer): a local issuer serves discovery and JWKS; tokens with
// GitLab's claims map to teams and permissions by rules, and every bad token gets a clear 401.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { expectError } from '../helpers/http.js';
import { accessConfig, chat } from './helpers.js';

const AUDIENCE = 'https://gatehouse.test';
let issuerServer: Server;
let issuer: string;
let signingKey: CryptoKey;
let otherKey: CryptoKey;
let gw: TestGateway;
const hits: string[] = [];

/** GitLab's id_token claims for a pipeline job (booleans as strings, as GitLab sends them). */
const gitlabClaims = (overrides: Record<string, string> = {}) => ({
  namespace_path: 'platform',
  project_path: 'platform/infra',
  ref: 'main',
  ref_type: 'branch',
  ref_protected: 'true',
  environment: 'production',
  pipeline_source: 'push',
  ...overrides,
});

async function token(claims: Record<string, unknown>, opts: { key?: CryptoKey; audience?: string; issuer?: string; expiresIn?: string | number } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(opts.issuer ?? issuer)
    .setAudience(opts.audience ?? AUDIENCE)
    .setSubject(`project_path:${String(claims.project_path)}:ref_type:branch:ref:${String(claims.ref)}`)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '5m')
    .sign(opts.key ?? signingKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  issuerServer = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/oauth/discovery/keys` }));
    if (req.url === '/oauth/discovery/keys') return res.end(JSON.stringify({ keys: [jwk] }));
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
  gw = await startGateway(
    accessConfig(`  oidc:
    - issuer: ${issuer}
      audience: ${AUDIENCE}
      rules:
        - match: { namespace_path: platform, ref_protected: true }
          team: platform
        - match: { namespace_path: platform }
          team: platform
          allow: { endpoints: [cheap], routes: [] }
        - match: { project_path: "web/*", pipeline_source: [push, merge_request_event] }
          team: "{namespace_path}"
          allow: { endpoints: [chat] }
teams:
  - name: platform
  - name: web
    limits: [ { rpm: 100 } ]
`),
  );
});

afterAll(async () => {
  await gw?.close();
  issuerServer?.close();
});

describe('GitLab CI id_tokens', () => {
  it('discovers the issuer\'s keys and admits a protected-ref job to production endpoints', async () => {
    const res = await chat(gw.url, await token(gitlabClaims()), 'chat');
    expect(res.status).toBe(200);
    expect(hits).toContain('/.well-known/openid-configuration');
    expect(hits).toContain('/oauth/discovery/keys');
    await new Promise((r) => setTimeout(r, 20));
    const line = gw.logs.find((l) => l.msg === 'request' && l.status === 200 && l.team === 'platform');
    expect(line?.subject).toBe('project_path:platform/infra:ref_type:branch:ref:main');
  });

  it('keeps unprotected refs off production: only the endpoints their rule allows', async () => {
    const jwt = await token(gitlabClaims({ ref: 'feature', ref_protected: 'false' }));
    const denied = await expectError(await chat(gw.url, jwt, 'chat'), 403);
    expect(denied.message).toMatch(/may not use endpoint 'chat'/);
    expect((await chat(gw.url, jwt, 'cheap')).status).toBe(200);
    expect((await chat(gw.url, jwt, 'assistant')).status).toBe(403);
  });

  it('maps a team from a claim, with that team\'s limits', async () => {
    const jwt = await token(gitlabClaims({ namespace_path: 'web', project_path: 'web/shop', pipeline_source: 'merge_request_event' }));
    const res = await chat(gw.url, jwt, 'chat');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('100');
    expect((await chat(gw.url, jwt, 'cheap')).status).toBe(403);
  });

  it('refuses a token that no rule admits, or that maps to a team that does not exist', async () => {
    const stranger = await token(gitlabClaims({ namespace_path: 'other', project_path: 'other/x' }));
    expect((await expectError(await chat(gw.url, stranger), 403)).message).toMatch(/^No rule of issuer http:\/\/127\.0\.0\.1:\d+ admits this token/);
    const ghost = await token(gitlabClaims({ namespace_path: 'ghost', project_path: 'web/ghost' }));
    expect((await expectError(await chat(gw.url, ghost), 403)).message).toMatch(/maps to team 'ghost', which does not exist/);
  });

  it('refuses expired, forged, wrong-audience and wrong-issuer tokens with clear 401s', async () => {
    const cases: [string, Promise<string>, string, RegExp][] = [
      ['expired', token(gitlabClaims(), { expiresIn: Math.floor(Date.now() / 1000) - 120 }), 'token_expired', /^The token has expired$/],
      ['forged', token(gitlabClaims(), { key: otherKey }), 'invalid_signature', /signature does not verify with the keys of http/],
      ['wrong audience', token(gitlabClaims(), { audience: 'https://elsewhere' }), 'invalid_audience', /audience is not accepted here \(expected https:\/\/gatehouse\.test\)/],
      ['wrong issuer', token(gitlabClaims(), { issuer: 'https://gitlab.evil.example' }), 'invalid_issuer', /issuer 'https:\/\/gitlab\.evil\.example' are not accepted/],
    ];
    for (const [what, jwt, code, message] of cases) {
      const error = await expectError(await chat(gw.url, await jwt), 401);
      expect(error.code, what).toBe(code);
      expect(error.message, what).toMatch(message);
    }
    const garbage = await expectError(await chat(gw.url, 'eyJhbGciOi.not.valid'), 401);
    expect(garbage.code).toBe('invalid_token');
  });
});
