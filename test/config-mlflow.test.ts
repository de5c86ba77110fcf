// MLflow AI Gateway config files load unmodified: the current `endpoints:`/`routes:` form, the
// older `routes:` + `route_type` form, and the form in MLflow articles (`endpoint:` paths,
// `<provider>_config`). Problems inside rewritten entries are reported where they are written.
import { describe, expect, it } from 'vitest';
import { expectIssue, issueAt, load } from './helpers/config.js';

const env = { OPENAI_API_KEY: 'sk-test-openai' };

describe('MLflow files load verbatim', () => {
  it('the current form: endpoints with limits, and a traffic-split route', () => {
    // As in MLflow's documentation (mlflow/gateway/config.py, 3.x).
    const yaml = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model:
      provider: openai
      name: gpt-4o-mini
      config:
        openai_api_key: $OPENAI_API_KEY
    limit:
      renewal_period: minute
      calls: 10
  - name: chat2
    endpoint_type: llm/v1/chat
    model:
      provider: openai
      name: gpt-4o
      config:
        openai_api_key: $OPENAI_API_KEY
routes:
  - name: my-route
    task_type: llm/v1/chat
    destinations:
      - name: chat
        traffic_percentage: 80
      - name: chat2
        traffic_percentage: 20
    routing_strategy: TRAFFIC_SPLIT
`;
    const result = load(yaml, env);
    expect(result.issues).toEqual([]);
    const [chat] = result.config!.endpoints;
    expect(chat).toMatchObject({ name: 'chat', endpoint_type: 'llm/v1/chat', limit: { renewal_period: 'minute', calls: 10, key: 'client_ip' } });
    expect(chat.model).toMatchObject({ provider: 'openai', name: 'gpt-4o-mini', config: { openai_api_key: 'sk-test-openai' } });
    expect(result.config!.routes).toEqual([
      {
        name: 'my-route',
        task_type: 'llm/v1/chat',
        routing_strategy: 'TRAFFIC_SPLIT',
        destinations: [
          { name: 'chat', traffic_percentage: 80 },
          { name: 'chat2', traffic_percentage: 20 },
        ],
      },
    ]);
  });

  it('a limit as MLflow lists it (plural period, key: null)', () => {
    const yaml = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: openai, name: gpt-4o-mini, config: { openai_api_key: $OPENAI_API_KEY } }
    limit: { calls: 1, key: null, renewal_period: minutes }
`;
    expect(load(yaml, env).config!.endpoints[0].limit).toEqual({ calls: 1, key: 'client_ip', renewal_period: 'minute' });
  });

  it('the older form: routes with route_type and a model become endpoints', () => {
    // MLflow 2.5-2.8 ("AI Gateway").
    const yaml = `
routes:
  - name: completions
    route_type: llm/v1/completions
    model:
      provider: openai
      name: gpt-4o-mini
      config:
        openai_api_key: $OPENAI_API_KEY
  - name: embeddings
    route_type: llm/v1/embeddings
    model:
      provider: openai
      name: text-embedding-3-small
      config:
        openai_api_key: $OPENAI_API_KEY
`;
    const result = load(yaml, env);
    expect(result.issues).toEqual([]);
    expect(result.config!.endpoints.map((e) => [e.name, e.endpoint_type])).toEqual([
      ['completions', 'llm/v1/completions'],
      ['embeddings', 'llm/v1/embeddings'],
    ]);
    expect(result.config!.routes).toEqual([]);
  });

  it('the articles form: a public path per route and <provider>_config', () => {
    const yaml = `
routes:
  - name: summarize
    route_type: llm/v1/completions
    endpoint: /api/v1/summarize
    model:
      provider: openai
      name: gpt-4o-mini
      openai_config:
        openai_api_key: $OPENAI_API_KEY
`;
    const result = load(yaml, env);
    expect(result.issues).toEqual([]);
    expect(result.config!.endpoints[0]).toMatchObject({
      name: 'summarize',
      endpoint_type: 'llm/v1/completions',
      path: '/api/v1/summarize',
      model: { provider: 'openai', config: { openai_api_key: 'sk-test-openai' } },
    });
  });

  it('MLflow 2.9-3.4 spellings: route_type inside endpoints', () => {
    const yaml = `
endpoints:
  - name: chat
    route_type: llm/v1/chat
    model: { provider: openai, name: gpt-4o-mini, config: { openai_api_key: $OPENAI_API_KEY } }
`;
    expect(load(yaml, env).config!.endpoints[0].endpoint_type).toBe('llm/v1/chat');
  });

  it('provider names in any case, as MLflow matches them', () => {
    const yaml = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: OpenAI, name: gpt-4o-mini, config: { openai_api_key: $OPENAI_API_KEY } }
`;
    expect(load(yaml, env).config!.endpoints[0].model.provider).toBe('openai');
  });

  it('all forms in one file: endpoints, legacy routes and traffic routes', () => {
    const yaml = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: m }
routes:
  - name: split
    task_type: llm/v1/chat
    destinations: [{ name: chat, traffic_percentage: 50 }, { name: legacy, traffic_percentage: 50 }]
  - name: legacy
    route_type: llm/v1/chat
    model: { provider: mock, name: m2 }
`;
    const result = load(yaml);
    expect(result.issues).toEqual([]);
    expect(result.config!.endpoints.map((e) => e.name)).toEqual(['chat', 'legacy']);
    expect(result.config!.routes.map((r) => r.name)).toEqual(['split']);
  });
});

describe('problems inside rewritten MLflow entries are reported where they are written', () => {
  const yaml = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: m }
routes:
  - name: split
    task_type: llm/v1/chat
    destinations: [{ name: chat, traffic_percentage: 100 }]
  - name: summarize
    route_type: llm/v1/completion
    endpoint: /api/v1/summarize
    model:
      provider: openai
      name: gpt-4o-mini
      openai_config:
        openai_api_key: $MISSING_KEY
        openai_api_bse: http://localhost:8000/v1
  - name: chat
    route_type: llm/v1/chat
    endpoint: api/v1/chat
    model: { provider: mock, name: m }
`;
  const result = load(yaml, {});

  it('a misspelled route_type: at its value, under its own key name', () => {
    expectIssue(result, yaml, 'routes[1].route_type', { needle: 'llm/v1/completion' }, /"llm\/v1\/completion" is not allowed.*did you mean "llm\/v1\/completions"/);
  });

  it('an unset variable under openai_config: at the value, with the path as written', () => {
    expectIssue(result, yaml, 'routes[1].model.openai_config.openai_api_key', { needle: '$MISSING_KEY' }, /MISSING_KEY is not set/);
  });

  it('an unknown key under openai_config', () => {
    expectIssue(result, yaml, 'routes[1].model.openai_config.openai_api_bse', { needle: 'openai_api_bse' }, /did you mean "openai_api_base"/);
  });

  it('a bad public path under its MLflow name `endpoint`', () => {
    expectIssue(result, yaml, 'routes[2].endpoint', { needle: 'api/v1/chat' }, /public path starts with "\/"/);
  });

  it('a legacy route whose name an endpoint already has', () => {
    expectIssue(result, yaml, 'routes[2].name', { needle: 'name: chat\n    route_type' }, /duplicate name "chat".*first used at line 3/);
  });

  it('nothing else', () => {
    expect(result.issues).toHaveLength(5);
  });

  it('an entry that is not a mapping, after a legacy route, keeps its own index', () => {
    const mixed = `
routes:
  - name: legacy
    route_type: llm/v1/chat
    model: { provider: mock, name: m }
  - just a string
`;
    expectIssue(load(mixed), mixed, 'routes[1]', { needle: 'just a string' }, /must be a mapping \(got the text "just a string"\)/);
  });
});

describe('MLflow forms Gatehouse refuses, with a reason', () => {
  it('settings given both as config and as <provider>_config, once', () => {
    const yaml = `
routes:
  - name: chat
    route_type: llm/v1/chat
    model:
      provider: openai
      name: gpt-4o-mini
      config: { openai_api_key: sk-a }
      openai_config: { openai_api_key: sk-b }
`;
    const result = load(yaml);
    expectIssue(result, yaml, 'routes[0].model.openai_config', { needle: 'openai_config' }, /given twice; keep one of config, openai_config/);
    expect(result.issues).toHaveLength(1);
  });

  it('registry models (route_type: mlflow-model) are read as mlflow-model endpoints', () => {
    const yaml = `
mlflow: { tracking_uri: http://mlflow:5000, serving_url: "http://models/{name}/{version}" }
routes:
  - name: registered
    route_type: mlflow-model
    model: { name: my-model, version: 3 }
`;
    const result = load(yaml);
    expect(result.issues).toEqual([]);
    expect(result.config!.model_endpoints[0]).toMatchObject({ name: 'registered', endpoint_type: 'mlflow-model', model: { name: 'my-model', version: '3' } });
  });
});
