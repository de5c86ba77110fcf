// `gatehouse eval SUITE.yaml`: runs an eval suite against a running gateway (--gateway URL) or
// against a config, in a gateway started in this process on a random port (--config FILE).
// Writes a JSON result and JUnit XML for GitLab; exits 1 when a case fails or regresses.
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import pino from 'pino';
import { formatIssue } from '../config/issues.js';
import { ConfigError, createGateway, type Gateway } from '../gateway.js';
import { httpClient, type EvalClient } from '../gitops/eval/client.js';
import { progressOn } from '../gitops/eval/progress.js';
import { regressions, renderJunit, renderText } from '../gitops/eval/report.js';
import { runSuite, type EvalResult } from '../gitops/eval/run.js';
import { loadSuiteFile } from '../gitops/eval/suite.js';
import { recentEvents } from '../guardrails/stage/index.js';

interface EvalFlags {
  gateway?: string;
  config?: string;
  apiKey?: string;
  adminKey?: string;
  target?: string;
  samples?: string;
  concurrency: string;
  junit?: string;
  output?: string;
  baseline?: string;
  tolerance: string;
  format: 'text' | 'json';
}

export function addEval(program: Command): void {
  program
    .command('eval')
    .description('run an eval suite against a gateway or a config; exit 0 when every case passes, 1 when not')
    .argument('<suite>', 'eval suite (YAML)')
    .addOption(new Option('-g, --gateway <url>', 'a running gateway').env('GATEHOUSE_URL').conflicts('config'))
    .option('-c, --config <file>', 'start a gateway from this config in this process (random port, in-memory database)')
    .addOption(new Option('--api-key <key>', 'key for the requests (--gateway)').env('GATEHOUSE_API_KEY'))
    .addOption(new Option('--admin-key <key>', 'admin key, to see guardrail flags for not_flagged (--gateway)').env('GATEHOUSE_ADMIN_KEY'))
    .option('-t, --target <name>', 'endpoint or route to evaluate (overrides the suite\'s target)')
    .option('-n, --samples <n>', 'samples per case (overrides the suite)')
    .option('-j, --concurrency <n>', 'requests in flight at once', '4')
    .option('--junit <file>', 'write a JUnit XML report (GitLab: artifacts:reports:junit)')
    .option('-o, --output <file>', 'write the JSON result')
    .option('--baseline <file>', 'a JSON result to compare with: a lower pass rate fails the run')
    .option('--tolerance <rate>', 'pass-rate drop (0..1) allowed against the baseline', '0')
    .addOption(new Option('-f, --format <format>', 'output on stdout').choices(['text', 'json']).default('text'))
    .addHelpText('after', [
      '',
      'Examples:',
      '  gatehouse eval evals/support.yaml --config gateway-configs/staging.yaml --junit eval.xml -o eval.json',
      '  gatehouse eval evals/support.yaml --gateway https://gatehouse.internal --api-key $KEY --samples 5 -j 8',
      '  gatehouse eval evals/support.yaml --config gatehouse.yaml --baseline main-eval.json   (fails on regression)',
      '',
    ].join('\n'))
    .action(async (file: string, flags: EvalFlags) => {
      const loaded = loadSuiteFile(file);
      if (!loaded.suite) {
        process.stderr.write(`${loaded.issues.map(formatIssue).join('\n')}\n`);
        return program.error(`gatehouse: ${file} is not a valid eval suite`, { exitCode: 2 });
      }
      if (!flags.gateway && !flags.config) return program.error('gatehouse: give --gateway URL or --config FILE', { exitCode: 2 });
      const baseline = flags.baseline ? readBaseline(program, flags.baseline) : undefined;
      const target = await openTarget(program, flags);
      let result: EvalResult;
      try {
        const perCase = new Map(loaded.suite.cases.map((c) => [c.name, Number(flags.samples ?? c.samples ?? loaded.suite!.samples)]));
        const progress = progressOn(process.stderr, perCase);
        result = await runSuite(loaded.suite, target.client, {
          concurrency: positive(program, flags.concurrency, '--concurrency'),
          samples: flags.samples === undefined ? undefined : positive(program, flags.samples, '--samples'),
          target: flags.target,
          onSample: (name, done, total, passed) => progress.sample(name, done, total, passed),
        });
        progress.finish();
      } finally {
        await target.close();
      }
      const found = baseline ? regressions(baseline, result, Number(flags.tolerance)) : [];
      const output = { ...result, regressions: baseline ? found : undefined };
      if (flags.output) writeFileSync(flags.output, `${JSON.stringify(output, null, 2)}\n`);
      if (flags.junit) writeFileSync(flags.junit, renderJunit(result));
      const regressionText = found.map((r) => `REGRESSION  ${r.case}: ${r.message}`).join('\n');
      process.stdout.write(flags.format === 'json' ? `${JSON.stringify(output, null, 2)}\n` : `${renderText(result)}${regressionText ? `\n${regressionText}` : ''}\n`);
      process.exitCode = result.passed && found.length === 0 ? 0 : 1;
    });
}

async function openTarget(program: Command, flags: EvalFlags): Promise<{ client: EvalClient; close(): Promise<void> }> {
  if (flags.gateway) return { client: httpClient(flags.gateway, flags.apiKey, flags.adminKey), close: async () => undefined };
  let gateway: Gateway;
  try {
    // Its own in-memory database: an eval never writes keys, spend or versions where production keeps them.
    gateway = await createGateway({
      configFile: flags.config!,
      env: { ...process.env, GATEHOUSE_DATABASE_URL: 'sqlite://:memory:' },
      watch: false,
      logger: pino({ level: 'error' }, process.stderr),
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.issues.map(formatIssue).join('\n')}\n`);
    return program.error(`gatehouse: ${flags.config} is not a valid config`, { exitCode: 2 });
  }
  await gateway.app.listen({ port: 0, host: '127.0.0.1' });
  const address = gateway.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // A key of its own, so configs that require keys are evaluated as they will run.
  const { secret } = await gateway.access.repo.createKey({ name: 'gatehouse-eval' }, { actor: 'cli:eval', source: 'gatehouse eval' });
  await gateway.access.changed();
  const client = httpClient(`http://127.0.0.1:${port}`, secret, undefined);
  // In this process the guardrail events are at hand; no admin key needed.
  client.firings = async (requestId) => recentEvents().filter((e) => e.request_id === requestId);
  client.where = `${flags.config} (in-process gateway)`;
  return { client, close: () => gateway.close() };
}

function readBaseline(program: Command, file: string): EvalResult {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as EvalResult;
    if (!Array.isArray(value.cases)) throw new Error('no cases');
    return value;
  } catch (err) {
    return program.error(`gatehouse: ${file} is not an eval result (${(err as Error).message})`, { exitCode: 2 });
  }
}

function positive(program: Command, text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) program.error(`gatehouse: ${flag} takes a whole number of at least 1`, { exitCode: 2 });
  return n;
}
