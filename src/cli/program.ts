// The `gatehouse` commands, their options and their help. Built by a function so tests can read
// every command's help without starting anything.
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { editorJsonSchema } from '../config/json-schema.js';
import { addDb } from './db.js';
import { diffSources, type DiffFormat } from './diff.js';
import { addEval } from './eval.js';
import { addGitlab } from './gitlab.js';
import { addKeys } from './keys.js';
import { addRollout } from './rollout.js';
import { serve } from './serve.js';
import { addUsage } from './usage.js';
import { renderReports, validateFiles, type ReportFormat } from './validate.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Help text that ends every command's --help. */
const examples = (lines: string[]) => `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;

export function buildProgram(): Command {
  const program = new Command()
    .name('gatehouse')
    .description('Gatehouse: a self-hosted AI gateway with one OpenAI- and MLflow-compatible API for every model.')
    .version(pkg.version, '-v, --version')
    .showHelpAfterError()
    .addHelpText(
      'after',
      examples([
        'gatehouse serve --config gatehouse.yaml            start the gateway',
        'gatehouse validate gatehouse.yaml                  check a config file',
        'gatehouse config schema > gatehouse.schema.json    JSON Schema for editors',
      ]),
    );
  addServe(program, 'serve', 'start the gateway');
  // `start` as in `mlflow gateway start`.
  addServe(program, 'start', 'start the gateway (alias of serve)');
  addValidate(program);
  addConfig(program);
  addDiff(program);
  addKeys(program);
  addDb(program);
  addRollout(program);
  addEval(program);
  addGitlab(program);
  addUsage(program);
  return program;
}

interface ServeFlags {
  config?: string;
  configPath?: string;
  port?: string;
  host?: string;
  watch: boolean;
}

function addServe(program: Command, name: string, description: string): void {
  program
    .command(name)
    .description(description)
    .addOption(new Option('-c, --config <file>', 'config file (YAML)').env('GATEHOUSE_CONFIG'))
    .option('--config-path <file>', 'alias of --config, as in `mlflow gateway start --config-path` (env: MLFLOW_GATEWAY_CONFIG)')
    .addOption(new Option('-p, --port <port>', 'port to listen on (default: server.port in the config, else 4000)').env('GATEHOUSE_PORT'))
    .addOption(new Option('-H, --host <host>', 'address to listen on (default: server.host in the config, else 0.0.0.0)').env('GATEHOUSE_HOST'))
    .option('--no-watch', 'do not watch the config file for changes (SIGHUP still reloads)')
    .addHelpText(
      'after',
      examples([
        `gatehouse ${name} --config examples/gatehouse.yaml`,
        `gatehouse ${name} --config-path mlflow-config.yaml --port 5000 --host 127.0.0.1`,
        `GATEHOUSE_CONFIG=gatehouse.yaml GATEHOUSE_PORT=8080 gatehouse ${name}`,
        `kill -HUP <pid>    reload the config (also done on every save unless --no-watch)`,
      ]),
    )
    .action(async (flags: ServeFlags, command: Command) => {
      // The command line wins over the environment; MLFLOW_GATEWAY_CONFIG comes last, so a
      // deployment written for MLflow's gateway starts unchanged.
      const onCommandLine = command.getOptionValueSource('config') === 'cli' ? flags.config : undefined;
      const config = onCommandLine ?? flags.configPath ?? flags.config ?? process.env.MLFLOW_GATEWAY_CONFIG;
      if (!config) program.error('gatehouse: no config file; pass --config FILE or set GATEHOUSE_CONFIG', { exitCode: 2 });
      await serve({ config: config!, port: flags.port, host: flags.host, watch: flags.watch });
    });
}

function addValidate(program: Command): void {
  program
    .command('validate')
    .description('check config files; exit 0 when all are valid, 1 when not')
    .argument('<files...>', 'config files')
    .addOption(new Option('-f, --format <format>', 'report format').choices(['text', 'json', 'junit']).default('text'))
    .option('-o, --output <file>', 'also write the report to a file (e.g. a JUnit report for GitLab)')
    .option('--no-require-env', 'do not report unset environment variables (for CI jobs without the production secrets)')
    .addHelpText(
      'after',
      examples([
        'gatehouse validate gatehouse.yaml',
        'gatehouse validate configs/*.yaml --format json',
        'gatehouse validate gatehouse.yaml --no-require-env --format junit --output validate.xml   (GitLab: artifacts:reports:junit)',
      ]),
    )
    .action((files: string[], flags: { format: ReportFormat; output?: string; requireEnv: boolean }) => {
      const reports = validateFiles(files, process.env, { requireEnv: flags.requireEnv });
      const text = `${renderReports(reports, flags.format)}\n`;
      if (flags.output) writeFileSync(flags.output, text);
      process.stdout.write(text);
      process.exitCode = reports.every((r) => r.valid) ? 0 : 1;
    });
}

function addConfig(program: Command): void {
  const config = program
    .command('config')
    .description('config file tools')
    .addHelpText('after', examples(['gatehouse config schema > gatehouse.schema.json']));
  config
    .command('schema')
    .description('print the JSON Schema of the config file (every key described)')
    .addHelpText(
      'after',
      examples([
        'gatehouse config schema > gatehouse.schema.json',
        '# then, as the first line of gatehouse.yaml (VS Code YAML extension, JetBrains IDEs):',
        '# yaml-language-server: $schema=./gatehouse.schema.json',
      ]),
    )
    .action(() => {
      process.stdout.write(`${JSON.stringify(editorJsonSchema(), null, 2)}\n`);
    });
}

function addDiff(program: Command): void {
  program
    .command('diff')
    .description('show what changes between two configs (files, or git revisions as REV:path)')
    .argument('<old>', 'the config before: a file or REV:path')
    .argument('<new>', 'the config after: a file or REV:path')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'))
    .option('--exit-code', 'exit 0 when nothing changes and 2 when something does (1 stays: a config is invalid)')
    .addHelpText(
      'after',
      examples([
        'gatehouse diff old.yaml gatehouse.yaml',
        'gatehouse diff origin/main:gatehouse.yaml gatehouse.yaml --format markdown > diff.md   (a merge-request comment)',
        'gatehouse diff HEAD~1:gatehouse.yaml HEAD:gatehouse.yaml --exit-code || echo "config changed"',
      ]),
    )
    .action((oldSpec: string, newSpec: string, flags: { format: DiffFormat; exitCode?: boolean }) => {
      let outcome;
      try {
        outcome = diffSources(oldSpec, newSpec, flags.format);
      } catch (err) {
        program.error(`gatehouse: ${(err as Error).message}`, { exitCode: 1 });
        return;
      }
      if (outcome.issues.length > 0) {
        process.stderr.write(`${outcome.output}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${outcome.output}\n`);
      process.exitCode = flags.exitCode && outcome.changes.length > 0 ? 2 : 0;
    });
}
