// The config forms of registry models: `endpoint_type: mlflow-model` under `endpoints:`, and the
// article form `route_type: mlflow-model` under `routes:`, with `model: {name, version | stage | alias}`.
// Both are gathered into `model_endpoints`; problems are reported where they are written.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffSources } from '../src/cli/diff.js';
import { expectIssue, issueAt, load, tempDir } from './helpers/config.js';

const MLFLOW = `
mlflow:
  tracking_uri: https://gitlab.example.com/api/v4/projects/42/ml/mlflow
  serving_url: http://{name}-v{version}.models.svc:8080
`;

/** A provider endpoint, to sit beside the registry models. */
const CHAT = `
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat }`;

describe('mlflow-model config', () => {
  it('reads the endpoints form and the article form into model_endpoints', () => {
    const yaml = `${MLFLOW}
endpoints:${CHAT}
  - name: churn
    endpoint_type: mlflow-model
    model: { name: churn-classifier, alias: champion }
    limit: { renewal_period: minute, calls: 10 }
routes:
  - name: fraud
    route_type: mlflow-model
    endpoint: /api/v1/fraud
    model:
      name: fraud
      stage: Production
  - name: pinned
    route_type: mlflow-model
    model: { name: churn-classifier, version: 3 }
`;
    const result = load(yaml);
    expect(result.issues).toEqual([]);
    const config = result.config!;
    expect(config.endpoints.map((e) => e.name)).toEqual(['chat']);
    expect(config.routes).toEqual([]);
    expect(config.model_endpoints.map((e) => [e.name, e.model, e.path])).toEqual([
      ['churn', { name: 'churn-classifier', alias: 'champion' }, undefined],
      ['fraud', { name: 'fraud', stage: 'Production' }, '/api/v1/fraud'],
      ['pinned', { name: 'churn-classifier', version: '3' }, undefined],
    ]);
    expect(config.model_endpoints[0].limit).toEqual({ renewal_period: 'minute', calls: 10, key: 'client_ip' });
    expect(config.mlflow).toMatchObject({ poll_interval: 30_000, timeout: 10_000 });
  });

  it('takes the registry and its credentials from the MLflow client variables when the file leaves them out', () => {
    const yaml = `
endpoints:
  - name: churn
    endpoint_type: mlflow-model
    serving_url: http://models/{name}/{version}
    model: { name: churn, version: latest }
`;
    const env = { MLFLOW_TRACKING_URI: 'http://mlflow:5000', MLFLOW_TRACKING_TOKEN: 'tok-0123456789' };
    expect(load(yaml, env).config!.mlflow).toMatchObject({ tracking_uri: 'http://mlflow:5000', token: 'tok-0123456789' });

    const missing = load(yaml);
    expect(issueAt(missing, 'endpoints[0].endpoint_type').message).toMatch(/serves a registry model: set mlflow.tracking_uri \(or the MLFLOW_TRACKING_URI variable\)/);
    // A CI check without the production environment does not need it.
    expect(load(yaml, {}, { requireEnv: false }).issues).toEqual([]);
  });

  it('reports a model that names no version, or two ways, at the line it is written', () => {
    const yaml = `${MLFLOW}
routes:
  - name: fraud
    route_type: mlflow-model
    model:
      name: fraud
      stage: Production
      alias: champion
endpoints:
  - name: churn
    endpoint_type: mlflow-model
    model: { name: churn }
`;
    const result = load(yaml);
    expectIssue(result, yaml, 'routes[0].model', { needle: 'name: fraud', nth: 2 }, /give one of version, stage or alias, not stage and alias/);
    expectIssue(result, yaml, 'endpoints[0].model', { needle: '{ name: churn }' }, /give one of version, stage or alias$/);
  });

  it('refuses unknown keys, a model server it cannot find, a shared name and a route sending to it', () => {
    const yaml = `
mlflow:
  tracking_uri: http://mlflow:5000
endpoints:${CHAT}
  - name: churn
    endpoint_type: mlflow-model
    model: { name: churn, alias: champion, provider: mlflow }
  - name: chat
    endpoint_type: mlflow-model
    serving_url: http://models/{name}/{version}
    model: { name: other, version: 1 }
routes:
  - name: split
    task_type: llm/v1/chat
    destinations: [ { name: chat, traffic_percentage: 50 }, { name: churn, traffic_percentage: 50 } ]
`;
    const messages = load(yaml).issues.map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^endpoints\[1\]\.model\.provider: unknown key "provider"/),
        expect.stringMatching(/^endpoints\[1\]\.endpoint_type: endpoint "churn" has no way to find its model server: set serving_url .* or serving_url_tag/),
        expect.stringMatching(/^endpoints\[2\]\.name: duplicate name "chat"/),
        'routes[0].destinations[1].name: destination "churn" serves mlflow-model, but route "split" has task_type llm/v1/chat',
      ]),
    );
  });

  it('resolves references in the mlflow section, and an unset one is an error there', () => {
    const yaml = `
mlflow:
  tracking_uri: \${REGISTRY_URL}
  token: $REGISTRY_TOKEN
  serving_url: http://models/{name}/{version}
endpoints:
  - name: churn
    endpoint_type: mlflow-model
    model: { name: churn, stage: Production }
`;
    const ok = load(yaml, { REGISTRY_URL: 'https://mlflow.example.com/', REGISTRY_TOKEN: 'secret-registry-token' });
    expect(ok.config!.mlflow).toMatchObject({ tracking_uri: 'https://mlflow.example.com/', token: 'secret-registry-token' });
    const result = load(yaml, { REGISTRY_URL: 'https://mlflow.example.com/' });
    expect(issueAt(result, 'mlflow.token').message).toBe('environment variable REGISTRY_TOKEN is not set (or is empty)');
    // A section that is not a mapping is reported as such, not filled in from the environment.
    const notMapping = load(yaml.replace(/mlflow:\n(  .*\n)+/, 'mlflow: yes\n'), { MLFLOW_TRACKING_URI: 'http://mlflow:5000' });
    expect(issueAt(notMapping, 'mlflow').message).toMatch(/must be/);
  });

  it('shows a promotion policy change in a merge request diff as an endpoint change', () => {
    const before = `${MLFLOW}
endpoints:
  - name: churn
    endpoint_type: mlflow-model
    model: { name: churn, alias: champion }
`;
    const dir = tempDir({ 'a.yaml': before, 'b.yaml': before.replace('alias: champion', 'stage: Production') });
    const { output } = diffSources(join(dir, 'a.yaml'), join(dir, 'b.yaml'), 'text');
    expect(output).toBe('~ endpoint churn\n    model.alias: removed (was champion)\n    model.stage: set to Production');
  });

  it('the example file is valid', () => {
    const text = readFileSync(new URL('../examples/mlflow-models.yaml', import.meta.url), 'utf8');
    const result = load(text, { MLFLOW_TRACKING_URI: 'http://mlflow:5000' });
    expect(result.issues).toEqual([]);
    expect(result.config!.model_endpoints.map((e) => e.name)).toEqual(['churn', 'fraud']);
  });
});
