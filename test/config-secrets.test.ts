// Secret values in provider settings: environment references, files and literals (MLflow's rule),
// and the promise that a provider key never appears in an error message.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../src/config/issues.js';
import { loadConfigFile } from '../src/config/load.js';
import { expectIssue, load, openaiEndpoint, tempDir } from './helpers/config.js';
import { writeFileSync } from 'node:fs';

const settings = (result: ReturnType<typeof load>) => result.config!.endpoints[0].model.config as Record<string, unknown>;

describe('environment references', () => {
  const env = { OPENAI_API_KEY: 'sk-from-env', HOST: 'llm.internal' };

  it('reads $VAR, ${VAR} and {{ VAR }}', () => {
    for (const ref of ['$OPENAI_API_KEY', '"${OPENAI_API_KEY}"', '"{{ OPENAI_API_KEY }}"', '"{{OPENAI_API_KEY}}"']) {
      const result = load(openaiEndpoint(`{ openai_api_key: ${ref} }`), env);
      expect(result.issues, ref).toEqual([]);
      expect(settings(result).openai_api_key, ref).toBe('sk-from-env');
    }
  });

  it('substitutes ${VAR} inside a longer value', () => {
    const result = load(openaiEndpoint('{ openai_api_base: "http://${HOST}:8000/v1" }'), env);
    expect(settings(result).openai_api_base).toBe('http://llm.internal:8000/v1');
  });

  it('treats an empty variable as unset, as MLflow does', () => {
    const yaml = openaiEndpoint('{ openai_api_key: $OPENAI_API_KEY }');
    expectIssue(load(yaml, { OPENAI_API_KEY: '' }), yaml, 'endpoints[0].model.config.openai_api_key', { needle: '$OPENAI' }, /OPENAI_API_KEY is not set \(or is empty\)/);
  });

  it('reports an unset variable inside a longer value at that value', () => {
    const yaml = openaiEndpoint('{ openai_api_key: sk-x, openai_api_base: "http://${LLM_HOST}/v1" }');
    const result = load(yaml, {});
    expectIssue(result, yaml, 'endpoints[0].model.config.openai_api_base', { needle: '"http://' }, /LLM_HOST is not set/);
    expect(result.issues).toHaveLength(1); // not also "must be a URL"
  });

  it('with requireEnv off (CI without secrets) reports everything but unset variables', () => {
    const yaml = openaiEndpoint('{ openai_api_key: $OPENAI_API_KEY, openai_api_bse: x }');
    const result = load(yaml, {}, { requireEnv: false });
    expect(result.issues.map((i) => i.path)).toEqual(['endpoints[0].model.config.openai_api_bse']);
    expect(load(openaiEndpoint('{ openai_api_key: $OPENAI_API_KEY }'), {}, { requireEnv: false }).issues).toEqual([]);
  });
});

describe('secret files and literals', () => {
  it('reads a *_api_key from the file it names, relative to the config folder, without the trailing newline', () => {
    const dir = tempDir({ 'openai.key': 'sk-from-file\n' });
    writeFileSync(join(dir, 'gatehouse.yaml'), openaiEndpoint('{ openai_api_key: openai.key }'));
    const result = loadConfigFile(join(dir, 'gatehouse.yaml'), {});
    expect(result.issues).toEqual([]);
    expect(settings(result).openai_api_key).toBe('sk-from-file');
  });

  it('reads an absolute path too', () => {
    const dir = tempDir({ key: 'sk-absolute' });
    expect(settings(load(openaiEndpoint(`{ openai_api_key: ${join(dir, 'key')} }`))).openai_api_key).toBe('sk-absolute');
  });

  it('takes a value that names no file as the literal key', () => {
    expect(settings(load(openaiEndpoint('{ openai_api_key: sk-literal-key }'))).openai_api_key).toBe('sk-literal-key');
    expect(settings(load(openaiEndpoint('{ openai_api_key: /no/such/file }'))).openai_api_key).toBe('/no/such/file');
  });

  it('applies the file rule to *_api_key settings only', () => {
    const dir = tempDir({ reply: 'file contents' });
    const yaml = `endpoints:\n  - name: m\n    endpoint_type: llm/v1/chat\n    model: { provider: mock, name: m, config: { response: ${join(dir, 'reply')} } }\n`;
    expect(settings(load(yaml)).response).toBe(join(dir, 'reply'));
  });
});

describe('provider keys never appear in error messages', () => {
  const KEY = 'sk-proj-DO-NOT-PRINT-1234567890';
  const env = { OPENAI_API_KEY: KEY };
  const cases: Record<string, string> = {
    'a key where a URL belongs': openaiEndpoint('{ openai_api_key: sk-x, openai_api_base: $OPENAI_API_KEY }'),
    'a key where a choice belongs': openaiEndpoint('{ openai_api_key: sk-x, openai_api_type: $OPENAI_API_KEY }'),
    'a literal key in place of the settings': openaiEndpoint(KEY),
    'a literal key where a mapping of headers belongs': openaiEndpoint(`{ openai_api_key: sk-x, headers: ${KEY} }`),
    'a literal key as the model': `endpoints:\n  - name: c\n    endpoint_type: llm/v1/chat\n    model: ${KEY}\n`,
    'a key as a header value of the wrong type': openaiEndpoint(`{ openai_api_key: ${KEY}, headers: { Authorization: [x] }, openai_api_type: azure }`),
    'a key where a duration belongs': `endpoints:\n  - name: m\n    endpoint_type: llm/v1/chat\n    model: { provider: mock, name: m, config: { ttft: $OPENAI_API_KEY } }\n`,
    'a key next to a typo': openaiEndpoint(`{ openai_api_key: ${KEY}, openai_api_typ: openai }`),
    'a key under an unknown provider': `endpoints:\n  - name: c\n    endpoint_type: llm/v1/chat\n    model: { provider: opena, name: m, config: { openai_api_key: ${KEY} } }\n`,
    'a key with a YAML error after it': openaiEndpoint(`{ openai_api_key: "${KEY}`),
  };

  for (const [name, yaml] of Object.entries(cases)) {
    it(name, () => {
      const result = load(yaml, env);
      expect(result.issues.length, 'the case is invalid').toBeGreaterThan(0);
      for (const issue of result.issues) expect(formatIssue(issue)).not.toContain('DO-NOT-PRINT');
    });
  }

  it('a key as a number is described by its type only', () => {
    const yaml = openaiEndpoint('{ openai_api_key: 12345678901234 }');
    expectIssue(load(yaml), yaml, 'endpoints[0].model.config.openai_api_key', { needle: '12345678901234' }, /^must be a text \(got a number\)$/);
  });
});
