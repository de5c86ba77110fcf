// Prompts published as REST APIs: a plain JSON body of variables in, {output, usage, prompt, model,
// request_id, …} out (or Server-Sent Events with ?stream=true), OpenAI-shaped errors, and the
// OpenAPI 3.1 document at GET /openapi.json that describes every such API; both follow reloads.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { accessLog, allSseData, expectError, postJson } from '../helpers/http.js';
import { mockConfig, promptsDir } from './helpers.js';

const dir = promptsDir();
const APIS = `  apis:
    - { path: /api/v1/summarize, prompt: summarize, target: assistant, description: Summarize a text. }
    - { path: /api/v1/classify, prompt: classify, version: 1, target: chat }
`;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway(mockConfig(dir, APIS));
});
afterAll(() => gw?.close());

const post = (path: string, body: unknown) => postJson(`${gw.url}${path}`, body);

describe('a published prompt API', () => {
  it('takes the variables as the body and answers with the output and what produced it', async () => {
    const res = await post('/api/v1/summarize', { text: 'Cats sleep.', sentences: 2 });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-prompt')).toBe('summarize@1');
    const body = await res.json();
    expect(body).toEqual({
      output: 'This is a mock response to: v1: Cats sleep.',
      finish_reason: 'stop',
      usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) },
      prompt: 'summarize@1',
      model: 'mock-chat',
      endpoint: 'chat',
      route: 'assistant',
      request_id: res.headers.get('x-gatehouse-request-id'),
    });
    expect(await accessLog(gw, body.request_id)).toMatchObject({ path: '/api/v1/summarize', prompt: 'summarize@1', status: 200 });
  });

  it('streams with ?stream=true: {delta} events, then one {done} event with the usage', async () => {
    const res = await post('/api/v1/classify?stream=true', { ticket: 'Refund me', labels: ['billing'] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await allSseData(res)).map((data) => JSON.parse(data));
    const last = events.pop();
    expect(events.map((e) => e.delta).join('')).toBe('This is a mock response to: Refund me');
    expect(last).toMatchObject({ done: true, finish_reason: 'stop', prompt: 'classify@1', model: 'mock-chat', usage: { total_tokens: expect.any(Number) } });
  });

  it('refuses missing, unknown and mistyped variables, other methods and non-object bodies', async () => {
    expect(await expectError(await post('/api/v1/summarize', {}), 400)).toMatchObject({ code: 'missing_prompt_variable', param: 'text' });
    expect(await expectError(await post('/api/v1/summarize', { text: 'x', txt: 'y' }), 400)).toMatchObject({ code: 'unknown_prompt_variable', param: 'txt' });
    expect(await expectError(await post('/api/v1/classify', { ticket: 'x', labels: 'billing' }), 400)).toMatchObject({ code: 'invalid_prompt_variable', param: 'labels' });
    expect(await expectError(await post('/api/v1/summarize', '["x"]'), 400)).toMatchObject({ code: 'invalid_body' });
    const get = await fetch(`${gw.url}/api/v1/summarize`);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await expectError(get, 405)).toMatchObject({ code: 'method_not_allowed' });
  });
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document of every prompt API, with request schemas from the variable types', async () => {
    const res = await fetch(`${gw.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc).toMatchObject({ openapi: '3.1.0', info: { title: expect.any(String), version: expect.any(String) } });
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/v1/classify', '/api/v1/summarize']);

    const operations = Object.values(doc.paths).map((item) => (item as { post: Record<string, any> }).post);
    expect(new Set(operations.map((op) => op.operationId)).size).toBe(2);
    const summarize = doc.paths['/api/v1/summarize'].post;
    expect(summarize.summary).toBe('Summarize a text.');
    expect(summarize.requestBody.content['application/json'].schema).toEqual({
      type: 'object',
      properties: { text: { type: 'string', description: 'The text to summarize.' }, sentences: { type: 'integer', default: 3 } },
      required: ['text'],
      additionalProperties: false,
    });
    expect(doc.paths['/api/v1/classify'].post.requestBody.content['application/json'].schema).toMatchObject({
      properties: { labels: { type: 'array', items: { type: 'string' } }, urgent: { type: 'boolean' } },
      required: ['ticket', 'labels'],
    });

    // Every reference resolves, and every schema compiles as JSON Schema 2020-12 (OpenAPI 3.1's dialect).
    const text = JSON.stringify(doc);
    for (const [, ref] of text.matchAll(/"\$ref":"([^"]+)"/g)) {
      const target = ref.replace('#/', '').split('/').reduce((node: any, key) => node?.[key], doc);
      expect(target, ref).toBeTypeOf('object');
    }
    const ajv = new Ajv2020({ strict: false });
    for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema as object, `#/components/schemas/${name}`);
    const validBody = ajv.compile(summarize.requestBody.content['application/json'].schema);
    expect(validBody({ text: 'x', sentences: 2 })).toBe(true);
    expect(validBody({ sentences: 2 })).toBe(false);
    expect(validBody({ text: 'x', extra: 1 })).toBe(false);
    const result = await (await post('/api/v1/summarize', { text: 'x' })).json();
    expect(ajv.compile(doc.components.schemas.PromptResult)(result)).toBe(true);
    for (const op of operations) {
      for (const [status, response] of Object.entries(op.responses as Record<string, { description: string }>)) {
        expect(status).toMatch(/^[1-5]\d\d$/);
        expect(response.description).toBeTruthy();
      }
    }
  });

  it('follows a reload: a new API answers and is described, a removed one is gone', async () => {
    gw.writeConfig(mockConfig(dir, `  apis:\n    - { path: /api/v2/summarize, prompt: summarize, version: 2, target: chat }\n`));
    expect(gw.gateway.reloader.reload('test')).toEqual({ ok: true, issues: [] });
    const doc = await (await fetch(`${gw.url}/openapi.json`)).json();
    expect(Object.keys(doc.paths)).toEqual(['/api/v2/summarize']);
    const res = await post('/api/v2/summarize', { text: 'x' });
    expect(res.headers.get('x-gatehouse-prompt')).toBe('summarize@2');
    expect((await post('/api/v1/summarize', { text: 'x' })).status).toBe(404);
  });
});
