// GitLab CI jobs roll out configs with their id_token: a token that a gitops.deployers entry admits
// may apply, and the version records the project, pipeline, job and user; others get a 403.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessConfig, admin } from '../access/helpers.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const AUDIENCE = 'https://gatehouse.test';
let issuerServer: Server;
let issuer: string;
let signingKey: CryptoKey;
let gw: TestGateway;

const jobClaims = (overrides: Record<string, string> = {}) => ({
  project_path: 'platform/gateway-configs',
  namespace_path: 'platform',
  pipeline_id: '77',
  job_id: '88',
  ref: 'main',
  ref_protected: 'true',
  user_login: 'alice',
  ...overrides,
});

const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience(AUDIENCE).setSubject(`project_path:${String(claims.project_path)}:ref_type:branch:ref:main`).setIssuedAt().setExpirationTime('5m').sign(signingKey);

const config = () =>
  accessConfig(`  oidc:
    - { issuer: ${issuer}, audience: ${AUDIENCE}, rules: [ { match: { namespace_path: platform }, team: platform } ] }
teams:
  - name: platform
gitops:
  deployers:
    - match: { project_path: platform/gateway-configs, ref_protected: true }
`);

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  issuerServer = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    if (req.url === '/jwks') return res.end(JSON.stringify({ keys: [jwk] }));
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
  gw = await startGateway(config());
});

afterAll(async () => {
  await gw?.close();
  issuerServer?.close();
});

const put = async (bearer: string, text: string) => {
  const res = await fetch(`${gw.url}/admin/config?message=from%20ci`, { method: 'PUT', headers: { authorization: `Bearer ${bearer}` }, body: text });
  return { status: res.status, body: await res.json() };
};

describe('rollout by a GitLab CI id_token', () => {
  it('applies with an admitted job token and records the job', async () => {
    const res = await put(await token(jobClaims()), `${config()}\n# pipeline 77\n`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.applied_by).toBe('gitlab-ci:platform/gateway-configs pipeline 77 job 88 (alice)');
    expect(res.body.identity).toMatchObject({ kind: 'token', issuer, project_path: 'platform/gateway-configs', pipeline_id: '77', job_id: '88', user_login: 'alice', ref: 'main' });
    const history = await admin(gw, 'GET', '/admin/config/versions');
    expect(history.body.data[0]).toMatchObject({ applied_by: 'gitlab-ci:platform/gateway-configs pipeline 77 job 88 (alice)', message: 'from ci' });
  });

  it('refuses tokens no deployer admits (unprotected ref, other project) with a 403', async () => {
    for (const claims of [jobClaims({ ref_protected: 'false' }), jobClaims({ project_path: 'platform/other' })]) {
      const res = await put(await token(claims), config());
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('permission_denied');
    }
  });

  it('refuses a token it cannot verify with a 401', async () => {
    const forged = (await token(jobClaims())).split('.').slice(0, 2).join('.') + '.AAAA';
    const res = await put(forged, config());
    expect(res.status).toBe(401);
  });
});
