// The context config: defaults, and located errors for strategies without their settings, unknown
// summarisers and retrievers, bad templates, and context on endpoints that are not chat.
import { describe, expect, it } from 'vitest';
import { expectIssue, load } from '../helpers/config.js';

const base = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: m }
  - name: embed
    endpoint_type: llm/v1/embeddings
    model: { provider: mock, name: e }
`;

const withContext = (context: string, top = '') => `${base.replace('model: { provider: mock, name: m }', `model: { provider: mock, name: m }\n    context: ${context}`)}${top}`;

describe('context config', () => {
  it('has session defaults', () => {
    const { config } = load(base);
    expect(config?.context).toEqual({ sessions: { ttl: 86_400_000, max_ttl: 2_592_000_000, max_turns: 200, allow_anonymous: false, cache_size: 10_000 }, retrievers: [] });
  });

  it('accepts a full endpoint context', () => {
    const yaml = withContext('{ max_tokens: 4000, strategy: summarise, summariser: chat, retriever: kb }', '\ncontext:\n  retrievers: [ { name: kb, url: "http://127.0.0.1:9/r" } ]\n');
    expect(load(yaml).issues).toEqual([]);
  });

  it('says what a strategy needs', () => {
    const yaml = withContext('{ strategy: keep-system-and-last-n }');
    expectIssue(load(yaml), yaml, 'endpoints[0].context.keep_last', { needle: '{ strategy' }, /needs keep_last/);
    const summarise = withContext('{ strategy: summarise, max_tokens: 100 }');
    expectIssue(load(summarise), summarise, 'endpoints[0].context.summariser', { needle: '{ strategy' }, /needs summariser/);
  });

  it('reports unknown summarisers and retrievers, non-chat summarisers and bad templates where they are written', () => {
    const unknown = withContext('{ max_tokens: 100, strategy: summarise, summariser: nope, retriever: kb }');
    const messages = load(unknown).issues.map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining(['endpoints[0].context.summariser: summariser "nope" names no endpoint or route', 'endpoints[0].context.retriever: retriever "kb" is not declared in context.retrievers']),
    );
    const wrongType = withContext('{ max_tokens: 100, strategy: summarise, summariser: embed }');
    expect(load(wrongType).issues.map((i) => i.message)).toContain('summariser "embed" must be a chat endpoint or route (it is llm/v1/embeddings)');
    const template = withContext('{ template: "{{#documents}}unclosed" }');
    expect(load(template).issues.map((i) => i.path)).toEqual(['endpoints[0].context.template']);
  });
});
