// The cache's parts on their own: the memory LRU's bounds and expiry on a fake clock, the vector
// index's bound, the local embedder, request keys, and answers assembled from and replayed as chunks.
import { describe, expect, it } from 'vitest';
import { cosine } from '../../src/cache/backend.js';
import { localEmbedding } from '../../src/cache/embed.js';
import { partitionOf, promptText, requestKeys } from '../../src/cache/key.js';
import { MemoryLru, MemoryVectors } from '../../src/cache/memory.js';
import { servedEntry, storedEntry } from '../../src/cache/entry.js';
import { CHAT_SHAPE } from '../../src/cache/replay.js';
import type { ChatChunk, ChatResponse } from '../../src/core/types.js';

describe('memory LRU', () => {
  it('expires entries after their ttl', async () => {
    let now = 1000;
    const lru = new MemoryLru(10, 1 << 20, () => now);
    await lru.set('a', 'one', 500);
    now += 499;
    expect(await lru.get('a')).toBe('one');
    now += 1;
    expect(await lru.get('a')).toBeUndefined();
    expect(lru.size).toBe(0);
    expect(lru.byteSize).toBe(0);
  });

  it('evicts the least recently used beyond max entries', async () => {
    const lru = new MemoryLru(2, 1 << 20);
    await lru.set('a', '1', 60_000);
    await lru.set('b', '2', 60_000);
    await lru.get('a'); // b is now the least recently used
    await lru.set('c', '3', 60_000);
    expect([await lru.get('a'), await lru.get('b'), await lru.get('c')]).toEqual(['1', undefined, '3']);
    expect(lru.size).toBe(2);
  });

  it('evicts beyond max bytes, and never keeps an entry larger than the bound', async () => {
    const lru = new MemoryLru(100, 100);
    await lru.set('k1', 'x'.repeat(40), 60_000);
    await lru.set('k2', 'y'.repeat(40), 60_000);
    await lru.set('k3', 'z'.repeat(40), 60_000);
    expect(lru.byteSize).toBeLessThanOrEqual(100);
    expect(await lru.get('k1')).toBeUndefined();
    expect(await lru.get('k3')).toBe('z'.repeat(40));
    await lru.set('huge', 'h'.repeat(200), 60_000);
    expect(await lru.get('huge')).toBeUndefined();
    expect(await lru.get('k3')).toBe('z'.repeat(40));
    lru.resize(1, 100);
    expect(lru.size).toBe(1);
  });

  it('purges by target and team', async () => {
    const lru = new MemoryLru(10, 1 << 20);
    await lru.set('chat|red|team:red|h1', 'r', 60_000);
    await lru.set('chat|blue|team:blue|h1', 'b', 60_000);
    expect(lru.purge({ team: 'red' })).toBe(1);
    expect(await lru.get('chat|blue|team:blue|h1')).toBe('b');
  });
});

describe('vectors', () => {
  it('keeps at most max entries, oldest out, and searches one partition only', async () => {
    const index = new MemoryVectors();
    const v = (text: string) => localEmbedding(text, 64);
    await index.add('p1', 'a', v('alpha beta'), 60_000, 2);
    await index.add('p2', 'b', v('alpha beta'), 60_000, 2);
    await index.add('p1', 'c', v('gamma delta'), 60_000, 2);
    expect(await index.nearest('p1', v('alpha beta'))).toMatchObject({ id: 'c' }); // 'a' was dropped
    expect(await index.nearest('p2', v('alpha beta'))).toMatchObject({ id: 'b', similarity: expect.closeTo(1, 5) });
    expect(await index.nearest('p3', v('alpha beta'))).toBeUndefined();
  });

  it('local embedder: unit length, near for rewordings, far for other topics', () => {
    const a = localEmbedding('What is the capital city of France?', 256);
    expect(cosine(a, a)).toBeCloseTo(1, 5);
    expect(cosine(a, localEmbedding('what is the capital city of france', 256))).toBeGreaterThan(0.99);
    expect(cosine(a, localEmbedding('Write a haiku about autumn leaves', 256))).toBeLessThan(0.5);
  });
});

describe('keys', () => {
  it('ignore key order, nulls and delivery fields; differ by parameters, target and kind', () => {
    const base = requestKeys('chat', 'chat', { messages: [{ role: 'user', content: 'x' }], temperature: 0, max_tokens: 5 });
    expect(requestKeys('chat', 'chat', { max_tokens: 5, temperature: 0, stop: null, stream: true, user: 'u', messages: [{ content: 'x', role: 'user' }] })).toEqual(base);
    expect(requestKeys('chat', 'chat', { messages: [{ role: 'user', content: 'x' }], temperature: 0, max_tokens: 6 }).exact).not.toBe(base.exact);
    expect(requestKeys('chat', 'other', { messages: [{ role: 'user', content: 'x' }], temperature: 0, max_tokens: 5 }).exact).not.toBe(base.exact);
  });

  it('stay the same from one version to the next (a shared Redis cache outlives an upgrade)', () => {
    const request = { model: 'chat', messages: [{ role: 'user' as const, content: 'Hi é' }], temperature: 0, max_tokens: 5, tools: [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object', properties: { b: {}, a: {} } } } }] };
    expect(requestKeys('chat', 'chat@openai:gpt-4o-mini', request)).toEqual({ exact: 'MyHHppGMGGBxoRPEslj3PEm9PQQJwwD6IW_rEqzI36E', params: 'u7bAPs7UBxk_3EspcGmbcCgJ0iBMNR0sAO1Y8bc7Mk4' });
    // The parameters' hash is made only for the semantic cache.
    expect(requestKeys('chat', 'chat@openai:gpt-4o-mini', request, false)).toEqual({ exact: 'MyHHppGMGGBxoRPEslj3PEm9PQQJwwD6IW_rEqzI36E' });
  });

  it('scope tenants: team, key, global, anonymous', () => {
    const member = { kind: 'key' as const, id: 'k1', name: 'n', team: 'red' };
    expect(partitionOf('chat', 'team', member)).toEqual({ target: 'chat', team: 'red', scope: 'team:red' });
    expect(partitionOf('chat', 'key', member)).toEqual({ target: 'chat', team: 'red', scope: 'key:k1' });
    expect(partitionOf('chat', 'team', { ...member, team: undefined })).toMatchObject({ scope: 'key:k1' });
    expect(partitionOf('chat', 'global', member)).toMatchObject({ scope: 'global' });
    expect(partitionOf('chat', 'team', undefined)).toMatchObject({ scope: 'anonymous' });
  });

  it('semantic matching skips requests with more than text', () => {
    expect(promptText('chat', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] })).toBeUndefined();
    expect(promptText('chat', { messages: [{ role: 'system', content: 'Be brief' }, { role: 'user', content: 'Hi' }] })).toBe('system: Be brief\nuser: Hi');
  });
});

describe('stored entries', () => {
  const answer = {
    id: 'chatcmpl-abc',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hi\n"there"' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, cost_usd: 0.5 },
  };

  it('serve a new response: fresh id and time, the same content, no original cost; its JSON is the answer', () => {
    const stored = storedEntry(answer, { endpoint: 'chat', provider: 'openai', model: 'm' });
    const served = servedEntry<typeof answer>(stored)!;
    expect(served.origin).toEqual({ endpoint: 'chat', provider: 'openai', model: 'm' });
    const { id, created, usage, ...rest } = served.answer;
    expect(rest).toEqual({ object: 'chat.completion', model: 'm', choices: answer.choices });
    expect(usage).toEqual({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
    expect(id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(created).toBeGreaterThan(1_600_000_000);
    expect(JSON.parse(served.json)).toEqual(served.answer);
    expect(servedEntry<typeof answer>(stored)!.answer.id).not.toBe(id);
  });

  it('text of another format (an earlier version stored it) is no entry', () => {
    expect(servedEntry(JSON.stringify({ answer, endpoint: 'chat' }))).toBeUndefined();
  });
});

describe('stream answers', () => {
  it('assemble content and tool-call pieces, and replay as chunks that assemble to the same answer', () => {
    const head = { id: 'chatcmpl-1', object: 'chat.completion.chunk' as const, created: 1, model: 'm' };
    const chunks: ChatChunk[] = [
      { ...head, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: { content: 'lo', tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a"' } }] as never }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] as never }, finish_reason: 'tool_calls' }] },
    ];
    const assembler = CHAT_SHAPE.assembler();
    for (const chunk of chunks.slice(0, 3)) assembler.add(chunk);
    expect(assembler.complete()).toBe(false);
    assembler.add(chunks[3]);
    expect(assembler.complete()).toBe(true);
    const usage = { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 };
    const answer: ChatResponse = assembler.result(usage);
    expect(answer.choices[0]).toEqual({
      index: 0,
      message: { role: 'assistant', content: 'Hello', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
      finish_reason: 'tool_calls',
    });
    const replayed = CHAT_SHAPE.replay(answer, true);
    expect(replayed.at(-1)).toMatchObject({ choices: [], usage });
    const again = CHAT_SHAPE.assembler();
    for (const chunk of replayed) again.add(chunk);
    expect(again.result(usage)).toEqual(answer);
  });
});
