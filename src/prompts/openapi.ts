// GET /openapi.json: an OpenAPI 3.1 document of the prompts published as REST APIs, their request
// bodies drawn from the prompts' variable types. Built once per loaded config.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayState, Runtime } from '../core/runtime.js';
import { beginRequest, sendJson } from '../surfaces/http.js';
import { variablesJsonSchema } from './variables.js';

const documents = new WeakMap<Runtime, object>();

export function registerOpenApi(app: FastifyInstance, state: GatewayState, log: Logger): void {
  app.get('/openapi.json', async (request, reply) => {
    const ctx = beginRequest(request, reply, log);
    const runtime = state.current;
    let document = documents.get(runtime);
    if (!document) documents.set(runtime, (document = openApiDocument(runtime)));
    sendJson(reply, ctx, document);
  });
}

const error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

export function openApiDocument(runtime: Runtime): object {
  const paths: Record<string, unknown> = {};
  for (const api of runtime.prompts.apis.values()) {
    const target = runtime.targets.get(api.target);
    // A version split's versions take the same variables (checked at load), so any of them describes the body.
    const prompt = target && runtime.prompts.servedVersions(api.prompt, target)[0];
    if (!prompt) continue;
    const version = api.version === undefined ? `version ${prompt.version} unless a pin or split says otherwise` : `version ${api.version}`;
    paths[api.path] = {
      post: {
        operationId: operationId(api.path),
        summary: api.description ?? prompt.description ?? `Runs prompt ${api.prompt}`,
        description: `Runs prompt ${api.prompt} (${version}) on ${api.target}. The body holds the prompt's variables.`,
        tags: ['prompts'],
        parameters: [
          {
            name: 'stream',
            in: 'query',
            required: false,
            description: 'true: answer with Server-Sent Events, each `data:` a {delta} object, the last one {done: true, finish_reason, usage, prompt, model, …}.',
            schema: { type: 'boolean', default: false },
          },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: variablesJsonSchema(prompt.variables) } } },
        responses: {
          '200': {
            description: 'The model\'s answer; the x-gatehouse-prompt header names the prompt version used.',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/PromptResult' } },
              'text/event-stream': { schema: { type: 'string' } },
            },
          },
          '400': error('A missing, unknown or mistyped variable.'),
          '401': error('A key is required and none (or an invalid one) was given.'),
          '429': error('A rate limit, quota or budget was reached.'),
          '502': error('The upstream failed.'),
          '504': error('The upstream did not answer in time.'),
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse prompt APIs',
      version: runtime.loadedAt.toISOString(),
      description: 'Prompts published as REST APIs by this gateway\'s configuration (prompts.apis). The version is the time the configuration was loaded.',
    },
    paths,
    security: [{ gatehouseKey: [] }, {}],
    components: {
      securitySchemes: { gatehouseKey: { type: 'http', scheme: 'bearer', description: 'A Gatehouse key, when the gateway requires one.' } },
      schemas: {
        PromptResult: {
          type: 'object',
          required: ['output', 'prompt', 'model', 'request_id'],
          properties: {
            output: { type: 'string', description: "The model's answer." },
            finish_reason: { type: ['string', 'null'] },
            usage: {
              type: ['object', 'null'],
              properties: { prompt_tokens: { type: 'integer' }, completion_tokens: { type: 'integer' }, total_tokens: { type: 'integer' } },
            },
            prompt: { type: 'string', description: 'The prompt version used, as id@version.' },
            model: { type: 'string', description: 'The upstream model that answered.' },
            endpoint: { type: 'string', description: 'The Gatehouse endpoint that served the request.' },
            route: { type: 'string', description: 'The route, when the API runs on one.' },
            request_id: { type: 'string' },
          },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['message', 'type'],
              properties: { message: { type: 'string' }, type: { type: 'string' }, code: { type: ['string', 'null'] }, param: { type: ['string', 'null'] } },
            },
          },
        },
      },
    },
  };
}

/** /api/v1/summarize -> post_api_v1_summarize: unique, since paths are. */
const operationId = (path: string) => `post${path.replace(/[^A-Za-z0-9]+/g, '_')}`.replace(/_+$/, '');
