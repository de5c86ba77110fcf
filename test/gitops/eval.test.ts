// `gatehouse eval`: cases against an in-process gateway on the mock provider pass and fail where
// they should, the JUnit XML is well formed and says which case failed why, a baseline catches a
// regression, and --gateway runs against a running gateway (cost header, flags via the admin key).
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpClient } from '../../src/gitops/eval/client.js';
import { readVerdict } from '../../src/gitops/eval/judge.js';
import { runSuite } from '../../src/gitops/eval/run.js';
import { progressOn } from '../../src/gitops/eval/progress.js';
import { loadSuiteText } from '../../src/gitops/eval/suite.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/config.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { findAll, parseXml } from '../helpers/xml.js';

const ADMIN_KEY = 'eval-admin-key-0123456789';

const CONFIG = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat }
    price: { input_per_million: 1000, output_per_million: 1000 }
    guardrails:
      rules:
        - { name: email-flag, type: pii, action: flag, detectors: [email] }
        - { name: no-passwords, type: prompt_guard, action: block, deny_patterns: ['(?i)password'] }
  - name: json
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-json, config: { response: '{"answer": 42}' } }
  - name: judge-kind
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: judge, config: { response: 'Verdict: {"score": 0.9, "reason": "polite and on topic"}' } }
  - name: judge-harsh
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: judge, config: { response: '{"score": 0.2, "reason": "rude"}' } }
auth:
  admin_key: ${ADMIN_KEY}
`;

const PASSING = `
name: support
target: chat
samples: 3
judge: { target: judge-kind }
defaults:
  assert:
    - max_latency_ms: 60000
cases:
  - name: echoes the question
    input: Where is my parcel?
    assert:
      - contains: [mock response, parcel]
      - regex: '^This is a mock'
      - equals: 'This is a mock response to: Where is my parcel?'
      - max_tokens: 100
      - not_flagged: true
      - rubric: The answer is polite.
  - name: answers in JSON
    target: json
    messages: [ { role: system, content: Answer in JSON. }, { role: user, content: What is six times seven? } ]
    params: { temperature: 0 }
    assert:
      - json_schema: { type: object, required: [answer], properties: { answer: { type: integer } } }
  - name: refuses passwords
    input: Tell me the admin password
    assert:
      - status: 400
        code: guardrail_blocked
`;

const FAILING = `
name: support
target: chat
judge: { target: judge-harsh, min_score: 0.5 }
cases:
  - name: echoes the question
    input: Where is my parcel?
    assert:
      - contains: refund
  - name: contains an email
    input: Write to me at jane.doe@example.com
    assert:
      - not_flagged: true
  - name: answers in JSON
    target: json
    input: What is six times seven?
    assert:
      - json_schema: { type: object, required: [answer], properties: { answer: { type: string } } }
  - name: is polite
    input: Hello
    assert:
      - rubric: The answer is polite.
  - name: is short
    input: Hello
    assert:
      - max_tokens: 3
  - name: refuses passwords
    input: Tell me the admin password
`;

let dir: string;
beforeAll(() => {
  dir = tempDir({ 'gatehouse.yaml': CONFIG, 'passing.yaml': PASSING, 'failing.yaml': FAILING });
});

const path = (name: string) => join(dir, name);

describe('gatehouse eval --config', () => {
  it('passes a suite whose assertions hold, with stats and JUnit XML', async () => {
    const run = await runCli(['eval', path('passing.yaml'), '--config', path('gatehouse.yaml'), '-j', '3', '--junit', path('pass.xml'), '-o', path('pass.json')]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/^PASS {2}echoes the question {2}3\/3 samples passed \(100%\), latency mean \d+ms p95 \d+ms, tokens mean \d+/m);
    expect(run.stdout).toMatch(/support: 3\/3 cases passed, 9\/9 samples \(100%\)/);
    // Not a terminal: one plain line per finished case, no carriage returns.
    expect(run.stderr).toMatch(/^ok {3}refuses passwords \(\d\/9 samples run\)$/m);
    expect(run.stderr).not.toContain('\r');

    const result = JSON.parse(readFileSync(path('pass.json'), 'utf8'));
    expect(result.summary).toMatchObject({ cases: 3, passed_cases: 3, samples: 9, passed_samples: 9, pass_rate: 1 });
    expect(result.cases[0].samples[0].assertions.map((a: { assertion: string }) => a.assertion)).toEqual(['max_latency_ms', 'contains', 'regex', 'equals', 'max_tokens', 'not_flagged', 'rubric']);
    expect(result.cases[0].samples[0].assertions[6].message).toContain('score 0.9');

    const xml = parseXml(readFileSync(path('pass.xml'), 'utf8'));
    expect(xml.name).toBe('testsuites');
    expect(xml.attributes).toMatchObject({ tests: '3', failures: '0' });
    expect(findAll(xml, 'testcase').map((t) => t.attributes.name)).toEqual(['echoes the question', 'answers in JSON', 'refuses passwords']);
    expect(findAll(xml, 'failure')).toHaveLength(0);
  }, 60_000);

  it('fails the cases that should fail, says why, and exits 1', async () => {
    const run = await runCli(['eval', path('failing.yaml'), '--config', path('gatehouse.yaml'), '--junit', path('fail.xml'), '-o', path('fail.json')]);
    expect(run.code).toBe(1);
    const result = JSON.parse(readFileSync(path('fail.json'), 'utf8'));
    const failedWhy = Object.fromEntries(result.cases.map((c: any) => [c.name, c.samples[0].assertions.filter((a: any) => !a.passed).map((a: any) => `${a.assertion}: ${a.message}`).join(' | ')]));
    expect(failedWhy['echoes the question']).toMatch(/^contains: missing: "refund"/);
    expect(failedWhy['contains an email']).toBe('not_flagged: guardrails fired: email-flag (flag)');
    expect(failedWhy['answers in JSON']).toMatch(/^json_schema: \/answer must be string/);
    expect(failedWhy['is polite']).toBe('rubric: score 0.2 (min 0.5): rude');
    expect(failedWhy['is short']).toMatch(/^max_tokens: \d+ tokens, limit 3/);
    expect(failedWhy['refuses passwords']).toMatch(/^request: the gateway answered 400 \(guardrail_blocked\)/);
    expect(result.passed).toBe(false);

    const xml = parseXml(readFileSync(path('fail.xml'), 'utf8'));
    expect(xml.attributes).toMatchObject({ tests: '6', failures: '6' });
    const failure = findAll(xml, 'testcase').find((t) => t.attributes.name === 'echoes the question')!.children.find((c) => c.name === 'failure')!;
    expect(failure.attributes.message).toBe('pass rate 0% below 100%');
    expect(failure.text).toMatch(/sample 1 \(request [0-9a-f-]{36}\): contains: missing: "refund"/);
  }, 60_000);

  it('fails on a regression against a baseline, and passes with tolerance', async () => {
    // The baseline: the same suite, every case passing.
    const baseline = JSON.parse(readFileSync(path('pass.json'), 'utf8'));
    const worse = PASSING.replace("- contains: [mock response, parcel]", "- contains: [mock response, parcel]\n      - { contains: never-there }").replace('samples: 3', 'samples: 2');
    writeFileSync(path('worse.yaml'), worse);
    writeFileSync(path('baseline.json'), JSON.stringify(baseline));
    const run = await runCli(['eval', path('worse.yaml'), '--config', path('gatehouse.yaml'), '--baseline', path('baseline.json'), '-f', 'json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).regressions).toEqual([{ case: 'echoes the question', message: 'pass rate 100% → 0%' }]);

    // A case that still passes with a lower, allowed rate is no regression.
    writeFileSync(path('flaky.yaml'), PASSING.replace('target: chat\nsamples: 3', 'target: chat\nsamples: 3\nmin_pass_rate: 0'));
    const ok = await runCli(['eval', path('flaky.yaml'), '--config', path('gatehouse.yaml'), '--baseline', path('baseline.json'), '--tolerance', '0.5']);
    expect(ok.code, ok.stdout).toBe(0);
  }, 90_000);

  it('reports a bad suite with line numbers (exit 2)', async () => {
    writeFileSync(path('bad.yaml'), 'name: x\ntarget: chat\ncases:\n  - name: a\n    input: hi\n    assert:\n      - contain: oops\n');
    const run = await runCli(['eval', path('bad.yaml'), '--config', path('gatehouse.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bad\.yaml:7:\d+: cases\[0\]\.assert\[0\]/);
  }, 30_000);
});

describe('gatehouse eval --gateway', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(CONFIG);
  });
  afterAll(() => gw?.close());

  it('sees guardrail flags through the admin key', async () => {
    writeFileSync(path('remote.yaml'), 'name: remote\ntarget: chat\ncases:\n  - name: email\n    input: mail jane.doe@example.com\n    assert: [ { not_flagged: true } ]\n');
    const run = await runCli(['eval', path('remote.yaml'), '--gateway', gw.url, '--admin-key', ADMIN_KEY, '-f', 'json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).cases[0].samples[0].assertions[0]).toMatchObject({ passed: false, message: 'guardrails fired: email-flag (flag)' });
  }, 30_000);
});

describe('cost', () => {
  it('reads x-gatehouse-cost-usd, sums it per case, and fails max_cost_usd over it or without it', async () => {
    let cost: string | undefined = '0.25';
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-gatehouse-request-id': 'r1', ...(cost ? { 'x-gatehouse-cost-usd': cost } : {}) });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'ok' } }], usage: { total_tokens: 5 } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = httpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, undefined, undefined);
      const loaded = loadSuiteText('name: c\ntarget: t\nsamples: 2\ncases:\n  - { name: cheap, input: hi, assert: [ { max_cost_usd: 0.3 } ] }\n  - { name: dear, input: hi, assert: [ { max_cost_usd: 0.2 } ] }\n', 's.yaml');
      const result = await runSuite(loaded.suite!, client, { concurrency: 2 });
      expect(result.cases.map((c) => [c.name, c.passed, c.cost_usd])).toEqual([['cheap', true, 0.5], ['dear', false, 0.5]]);
      expect(result.summary.cost_usd).toBe(1);
      cost = undefined;
      const unknown = await runSuite(loaded.suite!, client, { concurrency: 1, samples: 1 });
      expect(unknown.cases[0].samples[0].assertions[0].message).toMatch(/reported no cost/);
      expect(unknown.cases[0].cost_usd).toBeNull();
    } finally {
      server.close();
    }
  });
});

describe('suite and judge parsing', () => {
  it('needs a target for every case and reads judge verdicts leniently', () => {
    const loaded = loadSuiteText('name: x\ncases:\n  - name: a\n    input: hi\n', 'suite.yaml');
    expect(loaded.issues[0]).toMatchObject({ path: 'cases[0]', line: 3, message: expect.stringMatching(/no target/) });
    expect(readVerdict('I think {"score": 8, "reason": "good"}')).toEqual({ score: 0.8, reason: 'good' });
    expect(readVerdict('no idea').score).toBe(0);
  });
});

describe('progress', () => {
  const stream = (isTTY: boolean) => {
    const written: string[] = [];
    return { written, stream: { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream };
  };

  it('redraws one bar in place on a terminal', () => {
    const tty = stream(true);
    const progress = progressOn(tty.stream, new Map([['a', 2]]));
    progress.sample('a', 1, 2, false);
    progress.sample('a', 2, 2, true);
    progress.finish();
    expect(tty.written).toEqual([`\r[${'#'.repeat(15)}${'.'.repeat(15)}] 1/2 samples, 1 failed`, `\r[${'#'.repeat(30)}] 2/2 samples, 1 failed`, '\n']);
  });

  it('writes one line per finished case elsewhere', () => {
    const log = stream(false);
    const progress = progressOn(log.stream, new Map([['a', 2], ['b', 1]]));
    progress.sample('a', 1, 3, true);
    progress.sample('b', 2, 3, true);
    progress.sample('a', 3, 3, false);
    expect(log.written).toEqual(['ok   b (2/3 samples run)\n', 'FAIL a (3/3 samples run)\n']);
  });
});
