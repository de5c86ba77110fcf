// `gatehouse usage` against a running gateway: a readable table with totals, CSV passed through,
// filters sent to the usage API, and a clear error for a wrong admin key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderUsageTable } from '../src/cli/usage.js';
import { runCli } from './helpers/cli.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { chatBody, postJson } from './helpers/http.js';

const ADMIN = 'admin-key-for-cli-usage-tests';
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway(`
auth: { admin_key: ${ADMIN} }
endpoints:
  - { name: chat, endpoint_type: llm/v1/chat, model: { provider: mock, name: mock-chat } }
  - { name: other, endpoint_type: llm/v1/chat, model: { provider: mock, name: mock-other }, price: { input_per_million: 1000000, output_per_million: 0 } }
`);
  for (let i = 0; i < 3; i++) await (await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat'))).text();
  await (await postJson(`${gw.url}/v1/chat/completions`, chatBody('other'))).text();
});
afterAll(() => gw?.close());

describe('gatehouse usage', () => {
  it('prints a table per day with totals, filtered by endpoint', async () => {
    const run = await runCli(['usage', '--gateway', gw.url, '--endpoint', 'chat'], { GATEHOUSE_ADMIN_KEY: ADMIN });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^period\s+requests\s+errors\s+tokens in\s+cached\s+tokens out\s+cost\s+p50\s+p95$/);
    const today = new Date().toISOString().slice(0, 10);
    expect(lines[2]).toMatch(new RegExp(`^${today}\\s+3\\s+0\\s+\\d+\\s+0\\s+\\d+\\s+\\$0\\.000000\\s+\\d+ ms\\s+\\d+ ms$`));
    expect(lines.at(-1)).toMatch(/^total\s+3\s+0\s/);
  });

  it('passes CSV through and sends the filters', async () => {
    const run = await runCli(['usage', '--gateway', gw.url, '--admin-key', ADMIN, '--endpoint', 'other', '--group-by', 'total', '--format', 'csv']);
    expect(run.code).toBe(0);
    const [header, row] = run.stdout.trim().split('\r\n');
    expect(header.startsWith('period,requests')).toBe(true);
    expect(row).toMatch(/^total,1,0,/);
  });

  it('says what is wrong with a bad admin key or an unreachable gateway', async () => {
    const wrong = await runCli(['usage', '--gateway', gw.url, '--admin-key', 'not-the-admin-key-123']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/answered 401: The admin key is not valid/);
    const none = await runCli(['usage', '--gateway', gw.url]);
    expect(none.stderr).toMatch(/no admin key/);
  });

  it('renders an empty report as headings and a zero total', () => {
    const zero = { period: 'total', requests: 0, errors: 0, prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, estimated_requests: 0, cost_usd: 0, p50_latency_ms: null, p95_latency_ms: null };
    const text = renderUsageTable([], zero);
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toMatch(/total\s+0\s+0\s+0\s+0\s+0\s+\$0\.000000\s+-\s+-$/);
  });
});
