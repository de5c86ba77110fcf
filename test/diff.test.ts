// `gatehouse diff`: what a reviewer sees for a config change.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffSources } from '../src/cli/diff.js';
import { diffConfigs, renderMarkdown, renderText } from '../src/config/diff.js';
import type { GatewayConfig } from '../src/config/schema.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/config.js';

const BASE = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat }
    limit: { renewal_period: minute, calls: 100 }
  - name: chat-next
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-next }
  - name: gpt
    endpoint_type: llm/v1/chat
    model: { provider: openai, name: gpt-4o-mini, config: { openai_api_key: sk-literal-old-0123456789 } }
routes:
  - name: assistant
    task_type: llm/v1/chat
    destinations:
      - { name: chat, traffic_percentage: 90 }
      - { name: chat-next, traffic_percentage: 10 }
`;

const CANARY = BASE.replace('traffic_percentage: 90', 'traffic_percentage: 50').replace('traffic_percentage: 10', 'traffic_percentage: 50');

function files(contents: Record<string, string>): Record<string, string> {
  const dir = tempDir(contents);
  return Object.fromEntries(Object.keys(contents).map((name) => [name, join(dir, name)]));
}

describe('gatehouse diff', () => {
  it('words a canary promotion as a traffic split change', () => {
    const f = files({ 'a.yaml': BASE, 'b.yaml': CANARY });
    const { changes, output } = diffSources(f['a.yaml'], f['b.yaml'], 'text');
    expect(changes).toHaveLength(1);
    expect(output).toBe('~ route assistant\n    traffic split: chat 90% → 50%, chat-next 10% → 50%');
  });

  it('lists added and removed endpoints with what they are, and field changes by path', () => {
    const after = BASE.replace('calls: 100', 'calls: 250').replace('name: chat-next\n    endpoint_type: llm/v1/chat\n    model: { provider: mock, name: mock-next }', 'name: chat-next\n    endpoint_type: llm/v1/chat\n    model: { provider: mock, name: mock-next-2 }')
      // Appended under routes: with a model, MLflow's older form makes it an endpoint.
      + '  - name: embed\n    endpoint_type: llm/v1/embeddings\n    model: { provider: mock, name: e }\n';
    const f = files({ 'a.yaml': BASE, 'b.yaml': after });
    const { output } = diffSources(f['a.yaml'], f['b.yaml'], 'text');
    expect(output).toContain('~ endpoint chat\n    limit.calls: 100 → 250');
    expect(output).toContain('~ endpoint chat-next\n    model.name: mock-next → mock-next-2');
    expect(output).toContain('+ endpoint embed  (llm/v1/embeddings · mock/e)');
  });

  it('says "No changes." for the same config in MLflow\'s older spelling, and for reordered entries', () => {
    const mlflowForm = `
routes:
  - name: chat
    route_type: llm/v1/chat
    model: { provider: mock, name: mock-chat }
    limit: { renewal_period: minute, calls: 100 }
endpoints: []
`;
    const nativeForm = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat }
    limit: { renewal_period: minute, calls: 100 }
`;
    const f = files({ 'a.yaml': mlflowForm, 'b.yaml': nativeForm });
    expect(diffSources(f['a.yaml'], f['b.yaml'], 'text').output).toBe('No changes.');
  });

  it('never shows a secret, only that it changed', () => {
    const f = files({ 'a.yaml': BASE, 'b.yaml': BASE.replace('sk-literal-old-0123456789', 'sk-literal-new-9876543210') });
    for (const format of ['text', 'markdown', 'json'] as const) {
      const { output } = diffSources(f['a.yaml'], f['b.yaml'], format);
      expect(output).toContain('secret changed');
      expect(output).not.toContain('sk-literal');
    }
  });

  it('renders Markdown for a merge-request comment', () => {
    const f = files({ 'a.yaml': BASE, 'b.yaml': CANARY });
    const { output } = diffSources(f['a.yaml'], f['b.yaml'], 'markdown');
    expect(output).toContain('### Gatehouse config changes');
    expect(output).toContain('**0 added · 0 removed · 1 changed**');
    expect(output).toContain('- ✏️ Changed route `assistant`\n  - traffic split: chat 90% → 50%, chat-next 10% → 50%');
  });

  it('reads git revisions written REV:path, and exits 2 on changes with --exit-code, 0 without', async () => {
    const dir = tempDir({ 'gatehouse.yaml': BASE });
    const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { stdio: 'pipe' });
    git('init', '-q');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'base');
    const f = files({ 'canary.yaml': CANARY });
    // The command runs in the project folder; GIT_DIR points git at the test's repository.
    const env = { GIT_DIR: join(dir, '.git') };
    const changed = await runCli(['diff', '--exit-code', 'HEAD:gatehouse.yaml', f['canary.yaml']], env);
    expect(changed.stdout).toContain('traffic split: chat 90% → 50%');
    expect(changed.code).toBe(2);
    const same = await runCli(['diff', '--exit-code', 'HEAD:gatehouse.yaml', join(dir, 'gatehouse.yaml')], env);
    expect(same.stdout.trim()).toBe('No changes.');
    expect(same.code).toBe(0);
  });

  it('refuses an invalid side with its located problems (exit 1), and a missing file clearly', async () => {
    const f = files({ 'a.yaml': BASE, 'bad.yaml': BASE.replace('traffic_percentage: 10', 'traffic_percentage: 20') });
    const bad = await runCli(['diff', f['a.yaml'], f['bad.yaml']]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.yaml:\d+:\d+: .*sum to 110/);
    const missing = await runCli(['diff', f['a.yaml'], '/nonexistent/gatehouse.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('file not found');
  });
});

describe('diff of sections beyond endpoints and routes', () => {
  const config = (extra: Record<string, unknown>) => ({ endpoints: [], routes: [], ...extra }) as unknown as GatewayConfig;

  it('words prompt pins, prompt A/B splits, prompt APIs, teams and limits', () => {
    const before = config({
      prompts: { dir: 'prompts', pins: { summarize: 1 }, apis: [{ path: '/api/v1/summarize', prompt: 'summarize', target: 'chat' }] },
      routes: [{ name: 'ab', task_type: 'llm/v1/chat', destinations: [{ name: 'chat', traffic_percentage: 100 }], prompt: 'summarize', prompt_versions: [{ version: 1, traffic_percentage: 90 }, { version: 2, traffic_percentage: 10 }] }],
      teams: [{ name: 'web', limits: [{ rpm: 100 }] }],
    });
    const after = config({
      prompts: { dir: 'prompts', pins: { summarize: 2 }, apis: [] },
      routes: [{ name: 'ab', task_type: 'llm/v1/chat', destinations: [{ name: 'chat', traffic_percentage: 100 }], prompt: 'summarize', prompt_versions: [{ version: 1, traffic_percentage: 50 }, { version: 2, traffic_percentage: 50 }] }],
      teams: [{ name: 'web', limits: [{ rpm: 200 }] }, { name: 'data' }],
      limits: [{ rpm: 1000, per: 'global' }],
    });
    const text = renderText(diffConfigs(before, after));
    expect(text).toContain('~ route ab\n    prompt versions: v1 90% → 50%, v2 10% → 50%');
    expect(text).toContain('~ prompts\n    pins.summarize: 1 → 2\n    apis: removed /api/v1/summarize');
    expect(text).toContain('~ team web\n    limits: [{"rpm":100}] → [{"rpm":200}]');
    expect(text).toContain('+ team data');
    expect(text).toContain('~ limits\n    (value): set to [{"rpm":1000,"per":"global"}]');
    expect(renderMarkdown(diffConfigs(before, after))).toContain('- ✏️ Changed `prompts`\n  - pins.summarize: 1 → 2');
  });

  it('words a provider switch as a model change', () => {
    const endpoint = (provider: string, name: string) => ({ name: 'chat', endpoint_type: 'llm/v1/chat', model: { provider, name } });
    const text = renderText(diffConfigs(config({ endpoints: [endpoint('mock', 'm')] }), config({ endpoints: [endpoint('openai', 'gpt-4o-mini')] })));
    expect(text).toBe('~ endpoint chat\n    model.provider: mock → openai\n    model.name: m → gpt-4o-mini');
  });
});
