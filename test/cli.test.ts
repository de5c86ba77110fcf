// The `gatehouse` command line, run as a real process: validate (text, JSON, JUnit), config schema,
// serve/start with their options and environment variables, help and version.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { editorJsonSchema } from '../src/config/json-schema.js';
import { positionOf, tempDir, VALID } from './helpers/config.js';
import { ROOT, runCli, startServer } from './helpers/cli.js';

const INVALID = `
endpoints:
  - name: chat
    endpoint_typ: llm/v1/chat
    model: { provider: openai, name: gpt-4o-mini, config: { openai_api_key: $GATEHOUSE_TEST_UNSET_KEY } }
routes:
  - name: assistant
    task_type: llm/v1/chat
    destinations: [{ name: chta, traffic_percentage: 50 }]
`;

function files(): { dir: string; valid: string; invalid: string; other: string } {
  const dir = tempDir({ 'valid.yaml': VALID, 'invalid.yaml': INVALID, 'other & <odd>.yaml': 'endpoints: 3\n' });
  return { dir, valid: join(dir, 'valid.yaml'), invalid: join(dir, 'invalid.yaml'), other: join(dir, 'other & <odd>.yaml') };
}

describe('gatehouse validate', () => {
  it('exits 0 for valid files and says what they serve', async () => {
    const { valid } = files();
    const run = await runCli(['validate', valid]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(`${valid}: valid (2 endpoints, 1 route)`);
  });

  it('exits 1 and prints every problem as file:line:column: path: reason', async () => {
    const { valid, invalid } = files();
    const run = await runCli(['validate', valid, invalid]);
    expect(run.code).toBe(1);
    const at = (needle: string) => {
      const { line, column } = positionOf(INVALID, needle);
      return `${invalid}:${line}:${column}:`;
    };
    expect(run.stdout.split('\n')).toEqual([
      `${valid}: valid (2 endpoints, 1 route)`,
      `${at('name: chat')} endpoints[0].endpoint_type: is required: use one of llm/v1/chat, llm/v1/completions, llm/v1/embeddings, llm/v1/moderations`,
      `${at('endpoint_typ')} endpoints[0].endpoint_typ: unknown key "endpoint_typ" (did you mean "endpoint_type"?)`,
      expect.stringMatching(new RegExp(`^${escape(at('$GATEHOUSE_TEST_UNSET_KEY'))} endpoints\\[0\\]\\.model\\.config\\.openai_api_key: environment variable GATEHOUSE_TEST_UNSET_KEY is not set`)),
      `${at('[{ name: chta')} routes[0].destinations: traffic_percentage values of route "assistant" sum to 50; they must sum to 100`,
      `${at('name: chta')} routes[0].destinations[0].name: destination "chta" names no endpoint or route (did you mean "chat"?)`,
      `${invalid}: 5 problems`,
      '',
    ]);
  });

  it('--no-require-env checks everything but unset variables', async () => {
    const dir = tempDir({ 'c.yaml': VALID.replace('model: { provider: mock, name: mock-chat }', 'model: { provider: openai, name: g, config: { openai_api_key: $GATEHOUSE_TEST_UNSET_KEY } }') });
    expect((await runCli(['validate', join(dir, 'c.yaml')])).code).toBe(1);
    const run = await runCli(['validate', '--no-require-env', join(dir, 'c.yaml')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('valid');
  });

  it('--format json: the same problems as data', async () => {
    const { valid, invalid } = files();
    const run = await runCli(['validate', '--format', 'json', valid, invalid]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.valid).toBe(false);
    expect(report.files[0]).toMatchObject({ file: valid, valid: true, issues: [], endpoints: 2, routes: 1 });
    expect(report.files[1]).toMatchObject({ file: invalid, valid: false });
    expect(report.files[1].issues[1]).toEqual({ file: invalid, ...positionOf(INVALID, 'endpoint_typ'), path: 'endpoints[0].endpoint_typ', message: expect.stringMatching(/did you mean/) });
  });

  it('--format junit --output: well-formed XML, one failing test case per invalid file with its problems', async () => {
    const { dir, valid, invalid, other } = files();
    const out = join(dir, 'report.xml');
    const run = await runCli(['validate', '--format', 'junit', '--output', out, valid, invalid, other]);
    expect(run.code).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe(run.stdout);
    const report = readJunit(out);
    expect(report).toMatchObject({ root: 'testsuites', tests: '3', failures: '2' });
    expect(report.cases.map((c) => [c.name, c.failure !== null])).toEqual([
      [valid, false],
      [invalid, true],
      [other, true],
    ]);
    const failure = report.cases[1].failure!;
    expect(failure.message).toBe('5 config problems');
    // GitLab shows the failure's text as the test case's details: every problem, located.
    expect(failure.text.split('\n')).toHaveLength(5);
    expect(failure.text).toContain(`${invalid}:4:5: endpoints[0].endpoint_typ: unknown key "endpoint_typ" (did you mean "endpoint_type"?)`);
    expect(report.cases[2].failure!.text).toBe(`${other}:1:12: endpoints: must be a list (got number 3)`);
  });
});

/** Parses a JUnit file with Python's XML parser (expat: strict about well-formedness), as GitLab reads it. */
function readJunit(file: string) {
  const script = `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = []
for suite in root.iter('testsuite'):
    for case in suite.iter('testcase'):
        f = case.find('failure')
        cases.append({'name': case.get('name'), 'file': case.get('file'), 'failure': None if f is None else {'message': f.get('message'), 'text': f.text}})
print(json.dumps({'root': root.tag, 'tests': root.get('tests'), 'failures': root.get('failures'), 'cases': cases}))
`;
  const run = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as {
    root: string;
    tests: string;
    failures: string;
    cases: { name: string; file: string; failure: { message: string; text: string } | null }[];
  };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('gatehouse config schema', () => {
  it('prints the editor JSON Schema, the same as docs/gatehouse.schema.json (what examples/ point editors at)', async () => {
    const run = await runCli(['config', 'schema']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(editorJsonSchema());
    const stale = 'docs/gatehouse.schema.json is stale: run `npx tsx src/cli/main.ts config schema > docs/gatehouse.schema.json`';
    expect(readFileSync(join(ROOT, 'docs/gatehouse.schema.json'), 'utf8'), stale).toBe(run.stdout);
  });
});

describe('help and version', () => {
  const commands = (command: Command): Command[] => [command, ...command.commands.flatMap(commands)];

  it('every command has examples in its help', () => {
    const all = commands(buildProgram());
    expect(all.map((c) => c.name())).toEqual(['gatehouse', 'serve', 'start', 'validate', 'config', 'schema', 'diff', 'keys', 'create', 'list', 'revoke', 'rotate', 'hash', 'db', 'migrate', 'apply', 'history', 'rollback', 'eval', 'gitlab', 'comment', 'usage']);
    for (const command of all) {
      let help = '';
      command.configureOutput({ writeOut: (text) => (help += text) });
      command.outputHelp();
      expect(help, command.name()).toMatch(/\nExamples:\n  gatehouse /);
    }
  });

  it('--help and --version answer from the real command', async () => {
    const help = await runCli(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--config-path <file>/);
    expect(help.stdout).toMatch(/env: GATEHOUSE_PORT/);
    expect(help.stdout).toContain('Examples:');
    const version = await runCli(['--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });
});

describe('gatehouse serve', () => {
  it('prints its URL, endpoints, routes and where state lives, serves, and exits 0 on SIGTERM', async () => {
    const { valid } = files();
    const server = await startServer(['serve', '--config', valid, '--port', '0', '--host', '127.0.0.1']);
    const { stderr } = server.output();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stderr).toContain(`config: ${valid}`);
    expect(stderr).toMatch(/data: SQLite file \S+gatehouse\.db/);
    expect(stderr).toMatch(/shared state: in this process/);
    expect(stderr).toMatch(/endpoints \(2\):\n {4}chat {2}llm\/v1\/chat {2}mock\/mock-chat\n {4}chat-next/);
    expect(stderr).toMatch(/routes \(1\):\n {4}assistant {2}llm\/v1\/chat {2}chat 90%, chat-next 10%/);
    const models = await (await fetch(`${server.url}/v1/models`)).json();
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(['chat', 'chat-next', 'assistant']);
    server.signal('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('start --config-path (over GATEHOUSE_CONFIG), with GATEHOUSE_PORT and GATEHOUSE_HOST', async () => {
    const { valid, invalid } = files();
    const server = await startServer(['start', '--config-path', valid], { GATEHOUSE_CONFIG: invalid, GATEHOUSE_PORT: '0', GATEHOUSE_HOST: '127.0.0.1' });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    server.signal('SIGINT');
    expect(await server.exited).toBe(0);
  });

  it('GATEHOUSE_CONFIG (or MLflow\'s MLFLOW_GATEWAY_CONFIG) names the file when --config is not given', async () => {
    const { valid, invalid } = files();
    const server = await startServer(['serve', '--host', '127.0.0.1', '--port', '0'], { GATEHOUSE_CONFIG: valid, MLFLOW_GATEWAY_CONFIG: invalid });
    expect(server.output().stderr).toContain(`config: ${valid}`);
    server.signal('SIGTERM');
    expect(await server.exited).toBe(0);
    const mlflow = await startServer(['start', '--host', '127.0.0.1', '--port', '0'], { MLFLOW_GATEWAY_CONFIG: valid });
    expect(mlflow.output().stderr).toContain(`config: ${valid}`);
    mlflow.signal('SIGTERM');
    expect(await mlflow.exited).toBe(0);
  });

  it('an invalid config: prints the located problems, starts nothing, exits 1', async () => {
    const { invalid } = files();
    const run = await runCli(['serve', '--config', invalid, '--port', '0']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${invalid}:4:5: endpoints[0].endpoint_typ: unknown key "endpoint_typ"`);
    expect(run.stderr).toContain(`gatehouse: ${invalid} is not a valid config; nothing started.`);
    expect(run.stderr).not.toContain('listening');
  });

  it('refuses to start without a config file, or with a port that is not one', async () => {
    const none = await runCli(['serve']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no config file; pass --config FILE or set GATEHOUSE_CONFIG/);
    const { valid } = files();
    const badPort = await runCli(['serve', '--config', valid, '--port', 'eighty']);
    expect(badPort.code).toBe(1);
    expect(badPort.stderr).toMatch(/port "eighty" is not a TCP port number/);
  });
});
