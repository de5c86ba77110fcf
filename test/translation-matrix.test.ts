// The translation matrix: both public surfaces (the official `openai` SDK on /v1/chat/completions,
// the official `@anthropic-ai/sdk` on /v1/messages) x every chat provider, each served by its fake
// upstream, stream and non-stream. A simple chat must come back with the provider's text, usage and
// finish reason through either surface; where the provider has tools, a forced tool call must come
// back as a tool call (OpenAI tool_calls, Anthropic tool_use). The cases come from PROVIDERS below:
// adding a provider is one row.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from './fakes/anthropic-upstream.js';
import { AZURE_REPLY, startFakeAzure } from './fakes/azure-openai-upstream.js';
import { BEDROCK_REPLY, startFakeBedrock } from './fakes/bedrock-upstream.js';
import { COHERE_REPLY, startFakeCohere } from './fakes/cohere-upstream.js';
import { GEMINI_REPLY, startFakeGemini } from './fakes/gemini-upstream.js';
import { MISTRAL_REPLY, startFakeMistral } from './fakes/mistral-upstream.js';
import { startFakeMlflowServing } from './fakes/mlflow-serving-upstream.js';
import { FAKE_REPLY, fakeToolArguments, startFakeOpenAI } from './fakes/openai-upstream.js';
import { startFakeTgi, TGI_REPLY } from './fakes/tgi-upstream.js';
import { startFakeTogether, TOGETHER_REPLY } from './fakes/togetherai-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const KEY = 'matrix-provider-key-0123456789';
const PROMPT = 'Say hello';
const ANTHROPIC_REPLY = 'Hello from the fake Anthropic upstream.';
const MOCK_REPLY = 'Hello from the mock provider.';
const AWS_KEY = { accessKeyId: 'AKIAMATRIX0000000001', secretAccessKey: 'matrix-secret-key-0123456789abcdef' };

const WEATHER_PARAMETERS = { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] };

/** Token counts in OpenAI's sense: `prompt` includes `cached`. */
interface Usage {
  prompt: number;
  completion: number;
  cached: number;
}

interface StartedUpstream {
  /** The endpoint's `model` block, pointing at the fake. */
  model: Record<string, unknown>;
  close(): Promise<void>;
  /** Scripts the fake's next answer as a tool call, for fakes that do not answer tool_choice by themselves. */
  primeToolCall?(): void;
}

interface ProviderRow {
  start(): Promise<StartedUpstream>;
  /** The fake's answer to PROMPT. */
  reply: string;
  /** null: the upstream reports no token counts. */
  usage: Usage | null;
  /** Arguments of the forced tool call the fake answers with; absent when the provider or its fake has no tools. */
  toolArgs?: Record<string, unknown>;
}

const PROVIDERS: Record<string, ProviderRow> = {
  openai: {
    start: async () => {
      const fake = await startFakeOpenAI({ apiKey: KEY, forcedToolCalls: true });
      return { model: { provider: 'openai', name: 'gpt-4o-mini', config: { openai_api_key: KEY, openai_api_base: fake.baseUrl } }, close: fake.close };
    },
    reply: FAKE_REPLY,
    usage: { prompt: 2, completion: 6, cached: 0 },
    // The fake answers the forced tool_choice itself, with arguments built from the tool's parameters.
    toolArgs: fakeToolArguments(WEATHER_PARAMETERS),
  },
  anthropic: {
    start: async () => {
      const fake = await startFakeAnthropic({ apiKey: KEY });
      return {
        model: { provider: 'anthropic', name: 'claude-sonnet-4-5', config: { anthropic_api_key: KEY, anthropic_api_base: fake.url } },
        close: fake.close,
        primeToolCall: () => fake.next({ toolUses: [{ name: 'get_weather', input: { city: 'Lisbon' } }] }),
      };
    },
    reply: ANTHROPIC_REPLY,
    usage: { prompt: 2, completion: 6, cached: 0 },
    toolArgs: { city: 'Lisbon' },
  },
  gemini: {
    start: async () => {
      const fake = await startFakeGemini({ apiKey: KEY });
      return { model: { provider: 'gemini', name: 'gemini-2.5-flash', config: { gemini_api_key: KEY, gemini_api_base: fake.baseUrl } }, close: fake.close };
    },
    reply: GEMINI_REPLY,
    usage: { prompt: 2, completion: 6, cached: 0 },
    toolArgs: {},
  },
  bedrock: {
    start: async () => {
      const fake = await startFakeBedrock({ region: 'eu-west-1', keys: [AWS_KEY] });
      const aws = { aws_region: 'eu-west-1', aws_access_key_id: AWS_KEY.accessKeyId, aws_secret_access_key: AWS_KEY.secretAccessKey, aws_endpoint_url: fake.url };
      return { model: { provider: 'bedrock', name: 'anthropic.claude-3-haiku-20240307-v1:0', config: { aws_config: aws } }, close: fake.close };
    },
    reply: BEDROCK_REPLY,
    usage: { prompt: 2, completion: 6, cached: 0 },
    toolArgs: { city: 'Paris', days: 3 },
  },
  'azure-openai': {
    start: async () => {
      const fake = await startFakeAzure({ apiKey: KEY });
      const config = { openai_api_key: KEY, openai_api_base: `${fake.url}/`, openai_deployment_name: 'my-gpt4o', openai_api_version: '2025-01-01-preview' };
      return { model: { provider: 'azure-openai', name: 'gpt-4o', config }, close: fake.close };
    },
    reply: AZURE_REPLY,
    usage: { prompt: 2, completion: 6, cached: 2 },
    toolArgs: { city: 'Oslo' },
  },
  mistral: {
    start: async () => {
      const fake = await startFakeMistral(KEY);
      return { model: { provider: 'mistral', name: 'mistral-large-latest', config: { mistral_api_key: KEY, mistral_api_base: `${fake.url}/v1` } }, close: fake.close };
    },
    reply: MISTRAL_REPLY,
    usage: { prompt: 2, completion: 6, cached: 0 },
    toolArgs: { city: 'Paris' },
  },
  togetherai: {
    start: async () => {
      const fake = await startFakeTogether(KEY);
      const config = { togetherai_api_key: KEY, togetherai_api_base: `${fake.url}/v1` };
      return { model: { provider: 'togetherai', name: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', config }, close: fake.close };
    },
    reply: TOGETHER_REPLY,
    usage: { prompt: 2, completion: 6, cached: 0 },
    toolArgs: { city: 'Rome' },
  },
  cohere: {
    start: async () => {
      const fake = await startFakeCohere(KEY);
      return { model: { provider: 'cohere', name: 'command-a-03-2025', config: { cohere_api_key: KEY, cohere_api_base: fake.url } }, close: fake.close };
    },
    reply: COHERE_REPLY,
    usage: { prompt: 12, completion: 7, cached: 4 },
    toolArgs: { location: 'Toronto' },
  },
  tgi: {
    start: async () => {
      const fake = await startFakeTgi(KEY);
      return { model: { provider: 'huggingface-text-generation-inference', name: 'llama-3-8b', config: { hf_server_url: `${fake.url}/`, hf_api_key: KEY } }, close: fake.close };
    },
    reply: TGI_REPLY.trim(),
    usage: { prompt: 12, completion: 6, cached: 0 },
    // The fake calls tools as TGI does (arguments as an object, one tool_calls object per delta, "eos_token").
    toolArgs: fakeToolArguments(WEATHER_PARAMETERS),
  },
  'mlflow-serving': {
    start: async () => {
      const fake = await startFakeMlflowServing();
      return { model: { provider: 'mlflow-model-serving', name: 'my-model', config: { model_server_url: `${fake.url}/text` } }, close: fake.close };
    },
    reply: `Echo: ${PROMPT}`,
    usage: null,
    // No toolArgs: MLflow's scoring protocol (POST /invocations with inputs/params, answered with predictions)
    // has no way to declare tools or return a tool call, so there is nothing to test.
  },
  mock: {
    start: async () => ({ model: { provider: 'mock', name: 'mock-chat', config: { response: MOCK_REPLY } }, close: async () => undefined }),
    reply: MOCK_REPLY,
    usage: { prompt: 5, completion: 6, cached: 0 },
    toolArgs: {},
  },
};

/** What a surface answered, in surface-neutral terms. */
interface Answer {
  text: string;
  finish: string | null;
  usage: Usage | null;
  toolCalls: { id: string; name: string; args: unknown }[];
}

interface Ask {
  stream: boolean;
  tool: boolean;
}


async function viaOpenAI(client: OpenAI, model: string, ask: Ask): Promise<Answer> {
  const request = {
    model,
    messages: [{ role: 'user' as const, content: PROMPT }],
    ...(ask.tool ? { tools: [{ type: 'function' as const, function: { name: 'get_weather', description: 'Weather of a city', parameters: WEATHER_PARAMETERS } }], tool_choice: 'required' as const } : {}),
  };
  const usageOf = (u: OpenAI.CompletionUsage | null | undefined): Usage | null =>
    u ? { prompt: u.prompt_tokens, completion: u.completion_tokens, cached: u.prompt_tokens_details?.cached_tokens ?? 0 } : null;
  if (!ask.stream) {
    const res = await client.chat.completions.create(request);
    const choice = res.choices[0];
    const toolCalls = (choice.message.tool_calls ?? []).map((c) => (c.type === 'function' ? { id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) } : { id: c.id, name: '', args: null }));
    return { text: choice.message.content ?? '', finish: choice.finish_reason, usage: usageOf(res.usage), toolCalls };
  }
  const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let finish: string | null = null;
  let usage: Usage | null = null;
  const calls: { id: string; name: string; args: string }[] = [];
  for await (const chunk of stream) {
    if (chunk.usage) {
      expect(chunk.choices).toEqual([]);
      usage = usageOf(chunk.usage);
    }
    const choice = chunk.choices[0];
    if (!choice) continue;
    text += choice.delta.content ?? '';
    finish = choice.finish_reason ?? finish;
    for (const part of choice.delta.tool_calls ?? []) {
      const call = (calls[part.index] ??= { id: '', name: '', args: '' });
      call.id ||= part.id ?? '';
      call.name += part.function?.name ?? '';
      call.args += part.function?.arguments ?? '';
    }
  }
  return { text, finish, usage, toolCalls: calls.map((c) => ({ ...c, args: JSON.parse(c.args || '{}') })) };
}

/** Anthropic's stop reasons in OpenAI's terms, so both surfaces' answers compare to one expectation. */
const STOP_TO_FINISH: Record<string, string> = { end_turn: 'stop', tool_use: 'tool_calls', max_tokens: 'length' };

async function viaAnthropic(client: Anthropic, model: string, ask: Ask): Promise<Answer> {
  const request: Anthropic.MessageCreateParamsNonStreaming = {
    model,
    max_tokens: 256,
    messages: [{ role: 'user', content: PROMPT }],
    ...(ask.tool ? { tools: [{ name: 'get_weather', description: 'Weather of a city', input_schema: WEATHER_PARAMETERS }], tool_choice: { type: 'any' as const } } : {}),
  };
  // The SDK's stream helper assembles the events into the message, and throws on an event sequence it cannot follow.
  const message = ask.stream ? await client.messages.stream(request).finalMessage() : await client.messages.create(request);
  expect(message).toMatchObject({ id: expect.stringMatching(/^msg_\S/), model: expect.stringMatching(/\S/) });
  const finish = STOP_TO_FINISH[message.stop_reason ?? ''] ?? message.stop_reason;
  const u = message.usage;
  return {
    text: message.content.map((block) => (block.type === 'text' ? block.text : '')).join(''),
    finish,
    usage: { prompt: u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0), completion: u.output_tokens, cached: u.cache_read_input_tokens ?? 0 },
    toolCalls: message.content.flatMap((block) => (block.type === 'tool_use' ? [{ id: block.id, name: block.name, args: block.input }] : [])),
  };
}

let gw: TestGateway;
let openai: OpenAI;
let anthropic: Anthropic;
const upstreams = new Map<string, StartedUpstream>();

beforeAll(async () => {
  for (const [name, row] of Object.entries(PROVIDERS)) upstreams.set(name, await row.start());
  const endpoints = [...upstreams].map(([name, upstream]) => ({ name, endpoint_type: 'llm/v1/chat', model: upstream.model }));
  gw = await startGateway(JSON.stringify({ endpoints }));
  openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([...upstreams.values()].map((u) => u.close()));
});

const SURFACES = {
  openai: (model: string, ask: Ask) => viaOpenAI(openai, model, ask),
  anthropic: (model: string, ask: Ask) => viaAnthropic(anthropic, model, ask),
};

const cases = Object.entries(PROVIDERS).flatMap(([provider, row]) =>
  (Object.keys(SURFACES) as (keyof typeof SURFACES)[]).flatMap((surface) => [false, true].map((stream) => ({ provider, row, surface, stream, mode: stream ? 'stream' : 'non-stream' }))),
);

describe('simple chat', () => {
  it.each(cases)('$provider via the $surface surface, $mode: text, usage and finish reason', async ({ provider, row, surface, stream }) => {
    const answer = await SURFACES[surface](provider, { stream, tool: false });
    // Anthropic's usage is required: "not reported" can only show as zeros there.
    const usage = row.usage ?? (surface === 'anthropic' ? { prompt: 0, completion: 0, cached: 0 } : null);
    expect(answer).toEqual({ text: row.reply, finish: 'stop', usage, toolCalls: [] });
  });
});

describe('forced tool call', () => {
  it.each(cases.filter((c) => c.row.toolArgs))('$provider via the $surface surface, $mode: a tool call', async ({ provider, row, surface, stream }) => {
    upstreams.get(provider)?.primeToolCall?.();
    const answer = await SURFACES[surface](provider, { stream, tool: true });
    expect(answer.finish).toBe('tool_calls');
    expect(answer.toolCalls).toEqual([{ id: expect.stringMatching(/\S/), name: 'get_weather', args: row.toolArgs }]);
  });
});
