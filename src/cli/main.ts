#!/usr/bin/env node
// The `gatehouse` command line.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { configJsonSchema } from '../config/schema.js';
import { serve } from './serve.js';
import { renderReports, validateFiles, type ReportFormat } from './validate.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('gatehouse')
  .description('Gatehouse: a self-hosted AI gateway with one OpenAI-, MLflow-compatible API for every model.')
  .version(pkg.version, '-v, --version')
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Examples:
  gatehouse serve --config gatehouse.yaml            start the gateway
  gatehouse validate gatehouse.yaml                  check a config file
  gatehouse config schema > gatehouse.schema.json    JSON Schema for editors`,
  );

const configOption = () =>
  new Option('-c, --config <file>', 'config file (YAML); env GATEHOUSE_CONFIG').env('GATEHOUSE_CONFIG');

for (const name of ['serve', 'start']) {
  program
    .command(name)
    .description(name === 'serve' ? 'start the gateway' : 'start the gateway (alias of serve)')
    .addOption(configOption())
    .addOption(new Option('--config-path <file>', 'alias of --config, as in `mlflow gateway start --config-path`').hideHelp(false))
    .option('-p, --port <port>', 'port to listen on (default 4000); env GATEHOUSE_PORT')
    .option('-H, --host <host>', 'address to listen on (default 0.0.0.0); env GATEHOUSE_HOST')
    .option('--no-watch', 'do not watch the config file for changes (SIGHUP still reloads)')
    .addHelpText(
      'after',
      `
Examples:
  gatehouse ${name} --config examples/gatehouse.yaml
  gatehouse ${name} --config-path mlflow-config.yaml --port 5000 --host 127.0.0.1
  GATEHOUSE_CONFIG=gatehouse.yaml GATEHOUSE_PORT=8080 gatehouse ${name}`,
    )
    .action(async (opts: { config?: string; configPath?: string; port?: string; host?: string; watch: boolean }) => {
      const config = opts.config ?? opts.configPath;
      if (!config) {
        console.error('gatehouse: no config file; pass --config FILE or set GATEHOUSE_CONFIG');
        process.exit(2);
      }
      await serve({ config, port: opts.port, host: opts.host, watch: opts.watch });
    });
}

program
  .command('validate')
  .description('check config files; exit 0 when all are valid, 1 when not')
  .argument('<files...>', 'config files')
  .addOption(new Option('-f, --format <format>', 'report format').choices(['text', 'json', 'junit']).default('text'))
  .option('-o, --output <file>', 'also write the report to a file (e.g. a JUnit report for GitLab)')
  .addHelpText(
    'after',
    `
Examples:
  gatehouse validate gatehouse.yaml
  gatehouse validate configs/*.yaml --format json
  gatehouse validate gatehouse.yaml --format junit --output validate-report.xml   (GitLab: artifacts:reports:junit)`,
  )
  .action(async (files: string[], opts: { format: ReportFormat; output?: string }) => {
    const reports = validateFiles(files);
    const text = renderReports(reports, opts.format);
    if (opts.output) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(opts.output, `${text}\n`);
    }
    process.stdout.write(`${text}\n`);
    process.exitCode = reports.every((r) => r.valid) ? 0 : 1;
  });

const configCommand = program.command('config').description('config tools');
configCommand
  .command('schema')
  .description('print the JSON Schema of the config file (every key described)')
  .addHelpText(
    'after',
    `
Examples:
  gatehouse config schema > gatehouse.schema.json
  # then in VS Code (YAML extension), first line of gatehouse.yaml:
  # yaml-language-server: $schema=./gatehouse.schema.json`,
  )
  .action(() => {
    process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  });

await program.parseAsync(process.argv);
