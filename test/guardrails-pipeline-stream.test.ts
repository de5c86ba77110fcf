// Guardrails on streamed answers, over real HTTP: mask-and-restore with placeholders split across
// chunks (the mock provider streams "[", "EMAIL", "_", "1", "]" as separate tokens), output
// redaction of values split across chunks, a stream cut with a final error event, completions
// streams; and the output stage on streamed tool-call arguments.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RequestContext } from '../src/core/context.js';
import type { ChatChunk } from '../src/core/types.js';
import { GuardrailsConfigSchema } from '../src/guardrails/config/schema.js';
import { PlaceholderVault } from '../src/guardrails/redact/vault.js';
import { compileStageRules, guardChatStream } from '../src/guardrails/stage/index.js';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { accessLog, allSseData, chatBody, postJson } from './helpers/http.js';

const EMAIL = 'bob.jones@example.com';
const RESTORE = [{ name: 'pii-in', type: 'pii', action: 'redact', mode: 'mask_and_restore' }];

let fake: FakeOpenAI;
let gw: TestGateway;

const mockEndpoint = (name: string, response: string, rules: unknown[], type = 'llm/v1/chat') => ({
  name,
  endpoint_type: type,
  model: { provider: 'mock', name: 'mock-model', config: { response } },
  guardrails: { rules },
});

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        openaiEndpoint(fake, 'restore', 'llm/v1/chat', 'gpt-4o-mini', { config: { openai_api_key: 'k' }, guardrails: { rules: RESTORE } }),
        mockEndpoint('mock-restore', 'Reply to [EMAIL_1] at once.', RESTORE),
        mockEndpoint('mock-leak', 'Contact carol.white@example.org or 4111 1111 1111 1111 today.', [{ name: 'pii-out', type: 'pii', stage: 'output', action: 'redact' }]),
        mockEndpoint('mock-cut', 'Step one is fine. The secret recipe is flour and sugar, then bake.', [
          { name: 'no-recipes', type: 'prompt_guard', stage: 'output', deny_patterns: ['(?i)secret\\s+recipe'] },
        ]),
        mockEndpoint('mock-complete', 'Dear [EMAIL_1], thanks.', RESTORE, 'llm/v1/completions'),
      ],
    }),
  );
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const streamChat = (model: string, content: string) => postJson(`${gw.url}/v1/chat/completions`, chatBody(model, { stream: true }, content));
const parsed = (events: string[]) => events.filter((e) => e !== '[DONE]').map((e) => JSON.parse(e));
const contentOf = (events: string[]) =>
  parsed(events)
    .map((e) => e.choices?.[0]?.delta?.content ?? '')
    .join('');

describe('streamed answers', () => {
  it('mask-and-restore: the upstream saw a placeholder, the client streams the value', async () => {
    fake.next({ text: 'Writing to [EMAIL_1] now.' });
    const res = await streamChat('restore', `Please write to ${EMAIL}`);
    expect(res.status).toBe(200);
    const events = await allSseData(res);
    expect(events.at(-1)).toBe('[DONE]');
    expect(contentOf(events)).toBe(`Writing to ${EMAIL} now.`);
    expect(fake.last().body.messages[0].content).toBe('Please write to [EMAIL_1]');
  });

  it('restores a placeholder split over several chunks', async () => {
    const events = await allSseData(await streamChat('mock-restore', `My address is ${EMAIL}`));
    expect(contentOf(events)).toBe(`Reply to ${EMAIL} at once.`);
    // No chunk carries a piece of an unrestored placeholder.
    expect(events.join('')).not.toContain('EMAIL');
  });

  it('output redaction: values the model writes are masked even when split across chunks', async () => {
    const events = await allSseData(await streamChat('mock-leak', 'Who do I call?'));
    expect(contentOf(events)).toBe('Contact [EMAIL_1] or [CARD_1] today.');
    const raw = events.join('');
    for (const piece of ['carol', 'white', 'example.org', '4111']) expect(raw).not.toContain(piece);
  });

  it('a block rule cuts the stream with a final error event naming the rule', async () => {
    const res = await streamChat('mock-cut', 'How do I bake it?');
    expect(res.status).toBe(200);
    const events = await allSseData(res);
    expect(events).not.toContain('[DONE]');
    const last = JSON.parse(events.at(-1)!);
    expect(last.error).toMatchObject({ code: 'guardrail_blocked', type: 'invalid_request_error' });
    expect(last.error.message).toContain('"no-recipes"');
    const text = contentOf(events.slice(0, -1));
    expect(text).not.toMatch(/flour|bake/);
    const line = await accessLog(gw, res.headers.get('x-gatehouse-request-id'));
    expect(line).toMatchObject({ error: 'guardrail_blocked', guardrails: [{ rule: 'no-recipes', stage: 'output', action: 'block' }] });
  });

  it('restores completions streams too', async () => {
    const res = await postJson(`${gw.url}/v1/completions`, { model: 'mock-complete', prompt: `Write to ${EMAIL}`, stream: true });
    const text = parsed(await allSseData(res))
      .map((e) => e.choices?.[0]?.text ?? '')
      .join('');
    expect(text).toBe(`Dear ${EMAIL}, thanks.`);
  });
});

describe('the output stage on streamed tool calls', () => {
  it('restores tool-call arguments split across chunks, JSON-escaped, and masks values the model made up', async () => {
    const section = GuardrailsConfigSchema.parse({ rules: [...RESTORE, { name: 'pii-out', type: 'pii', stage: 'output', action: 'redact' }] });
    const compiled = compileStageRules(section, 'llm/v1/chat', new Map())!;
    const vault = new PlaceholderVault();
    vault.placeholderFor('email', 'o"neil@example.com');
    const chunk = (args: string, finish: string | null = null): ChatChunk => ({
      id: 'c',
      object: 'chat.completion.chunk',
      created: 0,
      model: 'm',
      choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: args } }] as never }, finish_reason: finish }],
    });
    async function* upstream() {
      yield chunk('{"to":"[EMA');
      yield chunk('IL_1]","cc":"eve@exam');
      yield chunk('ple.net"}', 'tool_calls');
    }
    const out: string[] = [];
    for await (const c of guardChatStream(new RequestContext('127.0.0.1'), { rules: compiled, vault, target: 't', answerChecks: [] }, upstream())) {
      for (const call of (c.choices[0]?.delta.tool_calls ?? []) as unknown as { function: { arguments: string } }[]) out.push(call.function.arguments);
    }
    expect(JSON.parse(out.join(''))).toEqual({ to: 'o"neil@example.com', cc: '[EMAIL_2]' });
  });
});
