// The config loader on the native format: every kind of problem is reported where it is written,
// in words a person understands; file-level problems; requires_env; durations, sizes and limits.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseSizeBytes } from '../src/config/duration.js';
import { formatIssue } from '../src/config/issues.js';
import { loadConfigFile } from '../src/config/load.js';
import { expectIssue, FILE, issueAt, load, openaiEndpoint, positionOf, tempDir, VALID } from './helpers/config.js';

describe('a valid native config', () => {
  it('loads with defaults filled in', () => {
    const result = load(VALID);
    expect(result.issues).toEqual([]);
    expect(result.config!.server).toEqual({ port: 4000, host: '0.0.0.0', body_limit: 10 * 1024 * 1024, log_level: 'info', trust_proxy: false });
    expect(result.config!.endpoints.map((e) => e.name)).toEqual(['chat', 'chat-next']);
    expect(result.config!.endpoints[0].timeout).toBe(300_000);
    expect(result.config!.routes[0]).toMatchObject({ routing_strategy: 'TRAFFIC_SPLIT', destinations: [{ name: 'chat' }, { name: 'chat-next' }] });
  });
});

describe('problems are located and explained', () => {
  it('an unknown key: at the key, with "did you mean"', () => {
    const yaml = `
endpoints:
  - name: chat
    endpoint_typ: llm/v1/chat
    model: { provider: mock, name: m }
`;
    const result = load(yaml);
    expectIssue(result, yaml, 'endpoints[0].endpoint_typ', { needle: 'endpoint_typ' }, /unknown key "endpoint_typ" \(did you mean "endpoint_type"\?\)/);
    // The misspelled key also leaves the real one missing.
    expectIssue(result, yaml, 'endpoints[0].endpoint_type', { needle: 'name: chat' }, /is required: use one of llm\/v1\/chat/);
  });

  it('an unknown key with nothing close lists the keys allowed there', () => {
    const yaml = 'server:\n  colour: blue\n';
    expectIssue(load(yaml), yaml, 'server.colour', { needle: 'colour' }, /unknown key "colour"; expected one of: port, host, body_limit, log_level/);
  });

  it('an unknown key inside provider settings is checked against that provider', () => {
    const yaml = openaiEndpoint('\n        openai_api_key: sk-test-literal\n        openai_api_bse: http://localhost:8000/v1');
    expectIssue(load(yaml), yaml, 'endpoints[0].model.config.openai_api_bse', { needle: 'openai_api_bse' }, /did you mean "openai_api_base"/);
  });

  it('a wrong type: at the value, saying what was expected and what was given', () => {
    const yaml = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: m }
    limit: { renewal_period: minute, calls: ten }
`;
    expectIssue(load(yaml), yaml, 'endpoints[0].limit.calls', { needle: 'ten' }, /must be a number \(got the text "ten"\)/);
  });

  it('a wrong type where several are allowed: naming each', () => {
    const yaml = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: m }
    requires_env: 5
    timeout: [30s]
`;
    const result = load(yaml);
    expectIssue(result, yaml, 'endpoints[0].requires_env', { needle: '5' }, /^must be a text or a list \(got number 5\)$/);
    expectIssue(result, yaml, 'endpoints[0].timeout', { needle: '[30s]' }, /^must be a number or a text \(got a list\)$/);
  });

  it('a value outside a list of choices: with the choices and the closest one', () => {
    const yaml = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chats
    model: { provider: mock, name: m }
`;
    expectIssue(load(yaml), yaml, 'endpoints[0].endpoint_type', { needle: 'llm/v1/chats' }, /"llm\/v1\/chats" is not allowed: use one of .* \(did you mean "llm\/v1\/chat"\?\)/);
  });

  it('an unknown provider: with the known ones', () => {
    const yaml = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: opnai, name: m }
`;
    expectIssue(load(yaml), yaml, 'endpoints[0].model.provider', { needle: 'opnai' }, /unknown provider "opnai" \(did you mean "openai"\?\); known providers: openai, .*\bmock\b/);
  });

  it('a missing required key: at the entry that lacks it', () => {
    const yaml = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
`;
    expectIssue(load(yaml), yaml, 'endpoints[0].model', { needle: 'name: chat' }, /is required/);
  });

  it('a missing environment variable: at the value, naming the variable and the key path', () => {
    const yaml = openaiEndpoint('\n        openai_api_key: $OPENAI_API_KEY');
    const result = load(yaml, {});
    expectIssue(result, yaml, 'endpoints[0].model.config.openai_api_key', { needle: '$OPENAI_API_KEY' }, /environment variable OPENAI_API_KEY is not set/);
    expect(formatIssue(result.issues[0])).toBe(
      `${FILE}:9:25: endpoints[0].model.config.openai_api_key: ${result.issues[0].message}`,
    );
    // Only the variable is reported, not the empty key it leaves behind.
    expect(result.issues).toHaveLength(1);
  });

  it('a duplicate endpoint name: at the second one, pointing back at the first', () => {
    const yaml = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: a }
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: b }
`;
    expectIssue(load(yaml), yaml, 'endpoints[1].name', { needle: 'name: chat', nth: 2 }, /duplicate name "chat".*first used at line 3/);
  });

  it('a route destination that names no endpoint: at that destination, with "did you mean"', () => {
    const yaml = VALID.replace('{ name: chat-next, traffic_percentage: 10 }', '{ name: chat-nxt, traffic_percentage: 10 }');
    expectIssue(load(yaml), yaml, 'routes[0].destinations[1].name', { needle: 'name: chat-nxt' }, /destination "chat-nxt" names no endpoint or route \(did you mean "chat-next"\?\)/);
  });

  it('percentages that do not sum to 100: at the destinations, with the sum', () => {
    const yaml = VALID.replace('traffic_percentage: 10', 'traffic_percentage: 5');
    expectIssue(load(yaml), yaml, 'routes[0].destinations', { needle: '- { name: chat,' }, /sum to 95; they must sum to 100/);
  });

  it('a destination of another API type, and a route cycle', () => {
    const yaml = `
endpoints:
  - name: embed
    endpoint_type: llm/v1/embeddings
    model: { provider: mock, name: e }
routes:
  - name: a
    task_type: llm/v1/chat
    destinations: [{ name: embed, traffic_percentage: 50 }, { name: b, traffic_percentage: 50 }]
  - name: b
    task_type: llm/v1/chat
    destinations: [{ name: a, traffic_percentage: 100 }]
`;
    const result = load(yaml);
    expect(issueAt(result, 'routes[0].destinations[0].name').message).toMatch(/serves llm\/v1\/embeddings, but route "a" has task_type llm\/v1\/chat/);
    expect(issueAt(result, 'routes[0].destinations').message).toMatch(/routes form a cycle: a -> b -> a/);
  });

  it('reports every problem of a file, in the order they are written', () => {
    const yaml = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chatt
    model: { provider: mock, name: m, config: { ttft: soon } }
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: m }
`;
    const result = load(yaml);
    expect(result.config).toBeUndefined();
    expect(result.issues.map((i) => i.path)).toEqual(['endpoints[0].endpoint_type', 'endpoints[0].model.config.ttft', 'endpoints[1].name']);
  });
});

describe('file-level problems', () => {
  it('a YAML syntax error: at the offending place', () => {
    const yaml = 'endpoints:\n  - name: chat\n    model: a: b\n';
    const result = load(yaml);
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({ path: '(yaml)', line: 3, column: 12, message: 'Nested mappings are not allowed in compact mappings' });
  });

  it('tabs used for indentation', () => {
    const result = load('endpoints:\n\t- name: chat\n');
    expect(result.issues[0]).toMatchObject({ path: '(yaml)', line: 2, column: 1, message: expect.stringMatching(/Tabs are not allowed/) });
  });

  it('a duplicate YAML key: at the second one', () => {
    const yaml = 'endpoints:\n  - name: chat\n    endpoint_type: llm/v1/chat\n    name: other\n';
    const result = load(yaml);
    expect(result.issues).toEqual([{ file: FILE, ...positionOf(yaml, 'name: other'), path: '(yaml)', message: 'Map keys must be unique' }]);
  });

  it('an empty file, and a file of comments only', () => {
    for (const text of ['', '# nothing yet\n']) {
      const result = load(text);
      expect(result.config).toBeUndefined();
      expect(result.issues).toEqual([{ file: FILE, line: 1, column: 1, path: '(file)', message: expect.stringMatching(/holds no settings.*endpoints:/) }]);
    }
  });

  it('a file that is a list, and endpoints that are a mapping', () => {
    expect(load('- name: chat\n').issues).toEqual([{ file: FILE, line: 1, column: 1, path: '(top level)', message: 'must be a mapping (got a list)' }]);
    const yaml = 'endpoints:\n  chat: { endpoint_type: llm/v1/chat }\n';
    expectIssue(load(yaml), yaml, 'endpoints', { needle: 'chat:' }, /must be a list \(got a mapping\)/);
  });

  it('a missing file, and a folder', () => {
    const dir = tempDir();
    expect(loadConfigFile(join(dir, 'nope.yaml')).issues[0]).toMatchObject({ line: 1, column: 1, message: 'file not found' });
    expect(loadConfigFile(dir).issues[0].message).toMatch(/folder/);
  });

  it('YAML anchors and merge keys work as in PyYAML (MLflow reads configs with it)', () => {
    const yaml = `
endpoints:
  - &chat
    name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: m }
  - <<: *chat
    name: chat-2
`;
    const result = load(yaml);
    expect(result.issues).toEqual([]);
    expect(result.config!.endpoints.map((e) => [e.name, e.endpoint_type])).toEqual([
      ['chat', 'llm/v1/chat'],
      ['chat-2', 'llm/v1/chat'],
    ]);
  });
});

describe('requires_env', () => {
  const yaml = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: m }
  - name: gpt
    endpoint_type: llm/v1/chat
    requires_env: [OPENAI_API_KEY]
    model:
      provider: openai
      name: gpt-4o-mini
      config: { openai_api_key: $OPENAI_API_KEY }
`;

  it('leaves the endpoint out, without an error, when a variable is unset', () => {
    const result = load(yaml, {});
    expect(result.issues).toEqual([]);
    expect(result.config!.endpoints.map((e) => e.name)).toEqual(['chat']);
    expect(result.skipped).toEqual([{ name: 'gpt', missing: ['OPENAI_API_KEY'] }]);
  });

  it('serves it when the variable is set', () => {
    const result = load(yaml, { OPENAI_API_KEY: 'sk-test' });
    expect(result.config!.endpoints.map((e) => e.name)).toEqual(['chat', 'gpt']);
    expect(result.skipped).toEqual([]);
  });

  it('still checks a left-out endpoint, so a typo in it is found before the variable is set', () => {
    const typo = yaml.replace('name: gpt-4o-mini', 'name: gpt-4o-mini\n      tempreature: 0');
    expectIssue(load(typo, {}), typo, 'endpoints[1].model.tempreature', { needle: 'tempreature' }, /unknown key/);
  });

  it('refuses a route that sends traffic to a left-out endpoint, naming the variable', () => {
    const routed = `${yaml}routes:\n  - name: r\n    task_type: llm/v1/chat\n    destinations: [{ name: gpt, traffic_percentage: 100 }]\n`;
    expectIssue(load(routed, {}), routed, 'routes[0].destinations[0].name', { needle: 'name: gpt,' }, /"gpt" is left out because OPENAI_API_KEY is not set/);
    expect(load(routed, { OPENAI_API_KEY: 'sk-test' }).issues).toEqual([]);
  });
});

describe('durations, sizes and limits', () => {
  const withEndpoint = (extra: string) => `
server: { body_limit: 512kb }
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: m }
${extra}`;

  it('parses durations as seconds or with a unit', () => {
    expect(['250ms', '30s', '1.5m', '1h', 2, '  7 s '].map(parseDurationMs)).toEqual([250, 30_000, 90_000, 3_600_000, 2000, 7000]);
    expect(['soon', '-1s', '1d', ''].map(parseDurationMs)).toEqual([undefined, undefined, undefined, undefined]);
    expect(load(withEndpoint('    timeout: 45s')).config!.endpoints[0].timeout).toBe(45_000);
  });

  it('parses sizes as bytes or with a unit, and refuses zero', () => {
    expect(['512kb', '10MiB', '1gb', 1024, '100'].map(parseSizeBytes)).toEqual([524_288, 10_485_760, 1_073_741_824, 1024, 100]);
    expect(['0b', 0, 'lots', '5 parsecs', 1.5].map(parseSizeBytes)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(load(withEndpoint('')).config!.server.body_limit).toBe(524_288);
  });

  it('reports a bad duration or size at its value', () => {
    const yaml = withEndpoint('    timeout: soon').replace('512kb', 'lots');
    const result = load(yaml);
    expectIssue(result, yaml, 'endpoints[0].timeout', { needle: 'soon' }, /"soon" is not a duration/);
    expectIssue(result, yaml, 'server.body_limit', { needle: 'lots' }, /"lots" is not a size/);
    const zero = withEndpoint('    timeout: 0ms');
    expectIssue(load(zero), zero, 'endpoints[0].timeout', { needle: '0ms' }, /longer than 0/);
  });

  it('reads renewal periods as MLflow does: any case, plural, a leading 1', () => {
    for (const period of ['minute', 'Minutes', 'HOUR', '1 day', 'seconds', 'month', 'years']) {
      const result = load(withEndpoint(`    limit: { renewal_period: ${period}, calls: 5 }`));
      expect(result.issues, period).toEqual([]);
    }
    const limit = load(withEndpoint('    limit: { renewal_period: Minutes, calls: 5, key: null }')).config!.endpoints[0].limit;
    expect(limit).toEqual({ renewal_period: 'minute', calls: 5, key: 'client_ip' });
  });

  it('refuses periods it cannot honour, saying why', () => {
    const several = withEndpoint('    limit: { renewal_period: 5 minutes, calls: 5 }');
    expectIssue(load(several), several, 'endpoints[0].limit.renewal_period', { needle: '5 minutes' }, /windows of several minutes are not supported/);
    const typo = withEndpoint('    limit: { renewal_period: minuet, calls: 5 }');
    expectIssue(load(typo), typo, 'endpoints[0].limit.renewal_period', { needle: 'minuet' }, /not a period.*did you mean "minute"/);
    const zero = withEndpoint('    limit: { renewal_period: minute, calls: 0 }');
    expectIssue(load(zero), zero, 'endpoints[0].limit.calls', { needle: '0 }' }, /must be greater than 0/);
  });
});

describe('names', () => {
  const named = (name: string) => `endpoints:\n  - name: ${name}\n    endpoint_type: llm/v1/chat\n    model: { provider: mock, name: m }\n`;

  it('accepts MLflow names (letters of any script, digits, _ - .) and ":"', () => {
    for (const name of ['chat', 'gpt-4o.mini_v2', 'llama3:8b', 'модель']) expect(load(named(name)).issues, name).toEqual([]);
  });

  it('refuses a name that cannot be a URL path segment', () => {
    const yaml = named('"my chat"');
    expectIssue(load(yaml), yaml, 'endpoints[0].name', { needle: '"my chat"' }, /names use letters, digits/);
  });
});
