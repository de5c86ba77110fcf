// Registry models (endpoint_type mlflow-model) served through a real gateway: the version comes
// from a fake MLflow registry, requests reach a fake model server of that version, and promotions
// in the registry (an alias moved, a stage transition) switch traffic with no restart.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../src/access/secrets.js';
import { eventually } from './helpers/cli.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { startFakeModelServers, startFakeRegistry, type FakeRegistry } from './fakes/mlflow-registry.js';

const TOKEN = 'registry-token-1234';
const ANALYST = 'ghk_analyst-key-000000000000000000000000001';
const OTHER = 'ghk_other-key-00000000000000000000000000002';
let models: Awaited<ReturnType<typeof startFakeModelServers>>;
let gw: TestGateway | undefined;
let registry: FakeRegistry | undefined;

beforeAll(async () => {
  models = await startFakeModelServers();
});
afterAll(() => models.close());
afterEach(async () => {
  await gw?.close();
  await registry?.close();
  gw = undefined;
  registry = undefined;
  models.reset();
});

const score = (name: string, body: unknown = { dataframe_split: { columns: ['tenure'], data: [[3], [40]] } }, via = 'endpoints') =>
  fetch(`${gw!.url}/${via}/${name}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function scored(name: string): Promise<{ version: string | null; predictions: unknown }> {
  const res = await score(name);
  expect(res.status).toBe(200);
  return { version: res.headers.get('x-gatehouse-model-version'), predictions: ((await res.json()) as { predictions: unknown }).predictions };
}

function config(tracking: string, endpoints: string, extra = '') {
  return `
mlflow:
  tracking_uri: ${tracking}
  poll_interval: 40ms
  serving_url: ${models.url}/models/{name}/{version}
${extra}
${endpoints}`;
}

const CHAMPION = `
endpoints:
  - name: churn
    endpoint_type: mlflow-model
    model: { name: churn, alias: champion }
`;

async function championGateway(): Promise<FakeRegistry> {
  registry = await startFakeRegistry({ token: TOKEN });
  registry.addVersion('churn', '1');
  registry.addVersion('churn', '2');
  registry.setAlias('churn', 'champion', '1');
  gw = await startGateway(config(registry.url, CHAMPION), { env: { MLFLOW_TRACKING_TOKEN: TOKEN } });
  await eventually(async () => ((await score('churn')).status === 200 ? true : undefined), 'the first resolution');
  return registry;
}

describe('mlflow-model endpoints', () => {
  it('serve the version an alias points to, and follow the alias when it moves, with no restart', async () => {
    const reg = await championGateway();
    expect(await scored('churn')).toEqual({ version: '1', predictions: ['churn v1', 'churn v1'] });
    // The scoring payload reaches the model server as it was sent, with the registry token kept away from it.
    expect(models.last().body).toEqual({ dataframe_split: { columns: ['tenure'], data: [[3], [40]] } });
    expect(models.last().headers.authorization).toBeUndefined();
    expect(reg.calls()[0].headers.authorization).toBe(`Bearer ${TOKEN}`);

    reg.setAlias('churn', 'champion', '2');
    await eventually(async () => ((await scored('churn')).version === '2' ? true : undefined), 'traffic on version 2');
    expect(models.last().path).toBe('/models/churn/2/invocations');

    // The switch is logged, and the served version is in the access log and the metrics.
    expect(gw!.logs.find((l) => l.msg === 'MLflow model version changed; traffic switched')).toMatchObject({ endpoint: 'churn', version: '2', previous_version: '1' });
    expect(gw!.logs.filter((l) => l.msg === 'request' && l.endpoint === 'churn').at(-1)).toMatchObject({ model: 'models:/churn/2', provider: 'mlflow-model', status: 200 });
    const metrics = await (await fetch(`${gw!.url}/metrics`)).text();
    expect(metrics).toContain('gatehouse_mlflow_model_version_info{endpoint="churn",model="churn",version="2"} 1');
    // MLflow's endpoint listing shows it, with the version served now.
    const listed = (await (await fetch(`${gw!.url}/api/2.0/endpoints/`)).json()) as { endpoints: unknown[] };
    expect(listed.endpoints).toEqual([
      { name: 'churn', endpoint_type: 'mlflow-model', model: { name: 'churn', alias: 'champion', provider: 'mlflow-model', version: '2' }, endpoint_url: '/gateway/churn/invocations', limit: null },
    ]);
    expect(await (await fetch(`${gw!.url}/api/2.0/gateway/routes/churn`)).json()).toMatchObject({ route_type: 'mlflow-model', model: { version: '2' } });
    expect(metrics).toMatch(/gatehouse_requests_total\{endpoint="churn",route="",provider="mlflow-model",model="models:\/churn\/2",status="200"/);
    expect(metrics).toMatch(/gatehouse_mlflow_model_version_changes_total\{endpoint="churn"\} 1/);
  });

  it('serve the newest version in a stage, written in the article form (routes: with route_type), also at its public path', async () => {
    registry = await startFakeRegistry();
    registry.addVersion('fraud', '4', { stage: 'Production' });
    registry.addVersion('fraud', '5', { stage: 'Staging' });
    const yaml = config(
      registry.url,
      `
routes:
  - name: fraud
    route_type: mlflow-model
    endpoint: /api/v1/fraud
    model: { name: fraud, stage: production }
`,
    );
    gw = await startGateway(yaml);
    await eventually(async () => ((await score('fraud')).status === 200 ? true : undefined), 'the first resolution');
    expect((await scored('fraud')).version).toBe('4');

    registry.transition('fraud', '5', 'Production');
    await eventually(async () => ((await scored('fraud')).version === '5' ? true : undefined), 'traffic on version 5');

    const viaPath = await fetch(`${gw.url}/api/v1/fraud`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [[1, 2]] }) });
    expect(viaPath.status).toBe(200);
    expect(viaPath.headers.get('x-gatehouse-model-version')).toBe('5');
    expect(await viaPath.json()).toEqual({ predictions: ['fraud v5'] });
    // /gateway/{name}/invocations is the same endpoint.
    expect((await score('fraud', { instances: [1] }, 'gateway')).status).toBe(200);
  });

  it('keep serving the last known version while the registry is down, and say so in the logs', async () => {
    const reg = await championGateway();
    reg.down = true;
    await eventually(() => gw!.logs.find((l) => l.msg === 'MLflow registry poll failed; the last known version keeps serving'), 'the outage in the logs');
    expect(await scored('churn')).toEqual({ version: '1', predictions: ['churn v1', 'churn v1'] });
    const metrics = await (await fetch(`${gw!.url}/metrics`)).text();
    expect(metrics).toContain('gatehouse_mlflow_registry_up{endpoint="churn"} 0');

    reg.down = false;
    reg.setAlias('churn', 'champion', '2');
    await eventually(async () => ((await scored('churn')).version === '2' ? true : undefined), 'traffic on version 2 after the outage');
    expect(gw!.logs.some((l) => l.msg === 'MLflow registry reachable again')).toBe(true);
  });

  it('follow the newest version with version: latest, but never one whose registration is not READY', async () => {
    registry = await startFakeRegistry();
    registry.addVersion('churn', '1');
    const latest = `
endpoints:
  - name: churn
    endpoint_type: mlflow-model
    model: { name: churn, version: latest }
`;
    gw = await startGateway(config(registry.url, latest));
    await eventually(async () => ((await score('churn')).status === 200 ? true : undefined), 'the first resolution');
    registry.addVersion('churn', '2', { stage: 'Staging', status: 'PENDING_REGISTRATION' });
    await eventually(() => gw!.logs.find((l) => l.msg === 'MLflow registry poll failed; the last known version keeps serving'), 'the pending version refused');
    expect(String(gw.logs.find((l) => l.msg === 'MLflow registry poll failed; the last known version keeps serving')!.error)).toBe(
      "version 2 of model 'churn' is PENDING_REGISTRATION, not READY",
    );
    expect((await scored('churn')).version).toBe('1');
    registry.addVersion('churn', '3', { stage: 'Production' });
    await eventually(async () => ((await scored('churn')).version === '3' ? true : undefined), 'traffic on version 3');
  });

  it('answer 503 with the reason while the model was never resolved', async () => {
    registry = await startFakeRegistry({ token: TOKEN });
    registry.addVersion('churn', '1');
    gw = await startGateway(config(registry.url, CHAMPION), { env: { MLFLOW_TRACKING_TOKEN: 'wrong-token-5678' } });
    await eventually(() => gw!.logs.find((l) => l.msg === 'MLflow registry poll failed; the model has no version to serve yet'), 'the failed poll');
    const res = await score('churn');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = (await res.json()) as { error: { code: string; message: string }; detail: string };
    expect(body.error.code).toBe('model_not_resolved');
    expect(body.error.message).toMatch(/Endpoint 'churn' has no model version to serve: the MLflow registry has not resolved churn@champion: .*401/);
    expect(body.detail).toBe(body.error.message);
    // The token is never quoted back.
    expect(JSON.stringify(gw.logs)).not.toContain('wrong-token-5678');
  });

  it("read GitLab's registry under its base path, with the serving URL from a model-version tag", async () => {
    const base = '/api/v4/projects/42/ml/mlflow';
    registry = await startFakeRegistry({ base, token: TOKEN });
    registry.omitTags = true;
    registry.addVersion('churn', '1.0.0', { stage: 'production', tags: { serving_url: `${models.url}/models/churn/1.0.0` } });
    const yaml = `
mlflow:
  tracking_uri: ${registry.url}${base}
  token: $GITLAB_TOKEN
  poll_interval: 40ms
endpoints:
  - name: churn
    endpoint_type: mlflow-model
    serving_url_tag: serving_url
    model: { name: churn, stage: production }
`;
    gw = await startGateway(yaml, { env: { GITLAB_TOKEN: TOKEN } });
    await eventually(async () => ((await score('churn')).status === 200 ? true : undefined), 'the first resolution');
    expect(await scored('churn')).toEqual({ version: '1.0.0', predictions: ['churn v1.0.0', 'churn v1.0.0'] });
    const paths = registry.calls().map((c) => `${c.method} ${c.path}`);
    expect(paths).toContain(`POST ${base}/api/2.0/mlflow/registered-models/get-latest-versions`);
    // GitLab's latest-versions answer has no tags: the version itself is read for them.
    expect(paths).toContain(`GET ${base}/api/2.0/mlflow/model-versions/get`);
  });

  it("pass the model server's errors on: JSON bodies as they are, other bodies in the gateway's shape", async () => {
    await championGateway();
    const invalid = await score('churn', { rows: [1] });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('x-gatehouse-model-version')).toBe('1');
    expect(await invalid.json()).toEqual({ error_code: 'BAD_REQUEST', message: expect.stringContaining('exactly one of the input fields') });

    models.next({ status: 500, text: 'Traceback: model crashed' });
    const crashed = await score('churn');
    expect(crashed.status).toBe(500);
    const body = (await crashed.json()) as { error: { message: string; type: string; upstream_status: number }; detail: string };
    expect(body.error).toMatchObject({ type: 'upstream_error', upstream_status: 500 });
    expect(body.error.message).toBe("The model server of 'churn' (version 1) returned 500: Traceback: model crashed");
    expect(body.detail).toBe(body.error.message);

    models.next({ status: 401, json: { error_code: 'UNAUTHENTICATED', message: 'no' } });
    expect((await score('churn')).status).toBe(502);

    const notObject = await score('churn', [1, 2]);
    expect(notObject.status).toBe(400);

    // Named on the OpenAI surface, it says where it is served.
    const chat = await fetch(`${gw!.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'churn', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(chat.status).toBe(400);
    expect(((await chat.json()) as { error: { message: string } }).error.message).toMatch(/serves an MLflow registry model.*POST \/endpoints\/churn\/invocations/);
  });

  it('keep serving across a reload, and stop polling when the gateway closes', async () => {
    const reg = await championGateway();
    // A changed interval builds a new watcher; it serves the known version until its first poll answers.
    reg.down = true;
    gw!.writeConfig(config(reg.url, CHAMPION).replace('poll_interval: 40ms', 'poll_interval: 60ms'));
    expect(gw!.gateway.reloader.reload('test').ok).toBe(true);
    expect((await scored('churn')).version).toBe('1');

    await gw!.close();
    gw = undefined;
    const seen = reg.requests.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(reg.requests.length).toBe(seen);
  });

  it('apply keys and their permissions, as to any endpoint', async () => {
    registry = await startFakeRegistry();
    registry.addVersion('churn', '1');
    registry.setAlias('churn', 'champion', '1');
    const keys = `
keys:
  - { name: analyst, hash: "sha256:${hashSecret(ANALYST)}", allow: { endpoints: [churn] } }
  - { name: other, hash: "sha256:${hashSecret(OTHER)}", allow: { endpoints: [chat] } }
`;
    gw = await startGateway(config(registry.url, CHAMPION, keys));
    const call = (key?: string) =>
      fetch(`${gw!.url}/endpoints/churn/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ inputs: [1] }),
      });
    expect((await call()).status).toBe(401);
    expect((await call(OTHER)).status).toBe(403);
    await eventually(async () => ((await call(ANALYST)).status === 200 ? true : undefined), 'the analyst served');
  });
});
