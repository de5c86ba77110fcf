// Mask and mask-and-restore: placeholders numbered per distinct value, every part of a canonical
// request masked, and values restored in whole answers, chat chunks and streams.
import { describe, expect, it } from 'vitest';
import type { ChatChunk, ChatRequest, ChatResponse } from '../src/core/types.js';
import { createDetectors } from '../src/guardrails/pii/detect.js';
import { Masker } from '../src/guardrails/redact/mask.js';
import { ChatChunkRestorer, restoreChatResponse } from '../src/guardrails/redact/restore-chat.js';
import { restoreText, StreamRestorer } from '../src/guardrails/redact/restore.js';
import { PlaceholderVault } from '../src/guardrails/redact/vault.js';

const newMasker = () => new Masker(createDetectors(), new PlaceholderVault());

describe('mask', () => {
  it('numbers placeholders per distinct value and type, reusing them for repeats', () => {
    const masker = newMasker();
    const text = 'ann@example.com wrote to bob@example.com, then ann@example.com called +44 20 7946 0958';
    expect(masker.maskText(text)).toBe('[EMAIL_1] wrote to [EMAIL_2], then [EMAIL_1] called [PHONE_1]');
    expect(masker.replaced).toEqual({ email: 3, phone: 1 });
    expect(masker.vault.countsByType()).toEqual({ email: 2, phone: 1 });
  });

  it('masks every role, multi-part text and tool-call arguments as valid JSON', () => {
    const masker = newMasker();
    const request: ChatRequest = {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Escalate to lead@corp.example.com.' },
        { role: 'user', content: [{ type: 'text', text: 'My card is 4111 1111 1111 1111' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"email":"ann@example.com","note":"say \\"hi\\""}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'Found IBAN DE89 3704 0044 0532 0130 00' },
      ],
    };
    const masked = masker.maskChatRequest(request);
    expect(masked.messages[0].content).toBe('Escalate to [EMAIL_1].');
    expect(masked.messages[1].content).toEqual([
      { type: 'text', text: 'My card is [CARD_1]' },
      { type: 'image_url', image_url: { url: 'https://x/y.png' } },
    ]);
    expect(JSON.parse(masked.messages[2].tool_calls![0].function.arguments)).toEqual({ email: '[EMAIL_2]', note: 'say "hi"' });
    expect(masked.messages[3].content).toBe('Found IBAN [IBAN_1]');
    expect(request.messages[0].content).toBe('Escalate to lead@corp.example.com.'); // the input is not mutated
  });

  it('leaves JSON without findings byte for byte, and masks invalid JSON as text', () => {
    const masker = newMasker();
    expect(masker.maskJsonText('{ "a" : 1 }')).toBe('{ "a" : 1 }');
    expect(masker.maskJsonText('{"to": "ann@example.com"')).toBe('{"to": "[EMAIL_1]"');
  });

  it('masks completion prompts and embeddings input, passing token ids through', () => {
    const masker = newMasker();
    expect(masker.maskCompletionRequest({ prompt: ['call 415-555-2671', 'x'] }).prompt).toEqual(['call [PHONE_1]', 'x']);
    expect(masker.maskEmbeddingsRequest({ input: 'ip 10.0.0.1' }).input).toBe('ip [IP_1]');
    expect(masker.maskEmbeddingsRequest({ input: [1, 2, 3] }).input).toEqual([1, 2, 3]);
  });
});

describe('restore', () => {
  const vault = new PlaceholderVault();
  const email = vault.placeholderFor('email', 'ann@example.com');
  const key = vault.placeholderFor('secret', 'line1\n"quoted"');

  it('restores known placeholders, leaves unknown ones and escapes values inside JSON strings', () => {
    expect(restoreText(`Hi ${email}, not [EMAIL_9] or [email_1]`, vault)).toBe('Hi ann@example.com, not [EMAIL_9] or [email_1]');
    const args = `{"k":"${key}"}`;
    expect(JSON.parse(restoreText(args, vault, 'json-string'))).toEqual({ k: 'line1\n"quoted"' });
  });

  it('passes text without "[" straight through', () => {
    const restorer = new StreamRestorer(vault);
    expect(restorer.push('plain text, ')).toBe('plain text, ');
    expect(restorer.push('then [EM')).toBe('then ');
    expect(restorer.push('AIL_1] done')).toBe('ann@example.com done');
  });

  it('restores whole chat responses: content and tool-call arguments', () => {
    const response: ChatResponse = {
      id: 'r', object: 'chat.completion', created: 0, model: 'm',
      choices: [{ index: 0, finish_reason: 'tool_calls', message: {
        role: 'assistant', content: `Mailing ${email}`,
        tool_calls: [{ id: 't', type: 'function', function: { name: 'send', arguments: `{"to":"${email}","key":"${key}"}` } }],
      } }],
    };
    const restored = restoreChatResponse(response, vault);
    expect(restored.choices[0].message.content).toBe('Mailing ann@example.com');
    expect(JSON.parse(restored.choices[0].message.tool_calls![0].function.arguments)).toEqual({ to: 'ann@example.com', key: 'line1\n"quoted"' });
  });

  it('restores chat chunks per choice and tool call, releasing held text with finish_reason', () => {
    const chunk = (delta: ChatChunk['choices'][0]['delta'], finish: string | null = null): ChatChunk => ({
      id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const restorer = new ChatChunkRestorer(vault);
    const contents = ['Hi [EMA', 'IL_1] and [EMAIL_', ''].map((c, i) => restorer.restoreChunk(chunk({ content: c }, i === 2 ? 'stop' : null)));
    expect(contents.map((c) => c.choices[0].delta.content).join('')).toBe('Hi ann@example.com and [EMAIL_');

    const tools = new ChatChunkRestorer(vault);
    const args = ['{"to":"[EMAIL', '_1]"}'].map((a) =>
      tools.restoreChunk(chunk({ tool_calls: [{ index: 0, function: { arguments: a } }] as never })),
    );
    const streamed = args.flatMap((c) => (c.choices[0].delta.tool_calls as unknown as Array<{ function: { arguments: string } }>).map((t) => t.function.arguments));
    expect(JSON.parse(streamed.join(''))).toEqual({ to: 'ann@example.com' });
    expect(tools.finish().size).toBe(0);
  });

  it('hands back what is still held when a stream ends without finish_reason', () => {
    const restorer = new ChatChunkRestorer(vault);
    const chunk: ChatChunk = { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 1, delta: { content: 'see [EMAIL' }, finish_reason: null }] };
    expect(restorer.restoreChunk(chunk).choices[0].delta.content).toBe('see ');
    expect(restorer.finish()).toEqual(new Map([[1, { content: '[EMAIL' }]]));
  });
});

describe('mask-and-restore round trip', () => {
  it('the upstream sees only placeholders; the client gets every original value back', () => {
    const masker = newMasker();
    const original = 'Email ann@example.com, card 5555-5555-5555-4444, key sk-proj-AAfLesTgcfQgWHHxjZ7GFTjMemb6ivyQKhVtwu9xaP1Fnd4N.';
    const request: ChatRequest = { messages: [{ role: 'user', content: original }] };
    const upstreamSaw = masker.maskChatRequest(request).messages[0].content as string;
    expect(upstreamSaw).toBe('Email [EMAIL_1], card [CARD_1], key [SECRET_1].');
    // A fake upstream that echoes the prompt back, streamed in 3-character deltas.
    const echoed = `You said: ${upstreamSaw}`;
    const restorer = new StreamRestorer(masker.vault);
    let received = '';
    for (let i = 0; i < echoed.length; i += 3) received += restorer.push(echoed.slice(i, i + 3));
    received += restorer.flush();
    expect(received).toBe(`You said: ${original}`);
  });
});
