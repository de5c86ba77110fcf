// `gatehouse apply`, `history` and `rollback`: config rollout through a running gateway's admin API.
// They authenticate with an OIDC id_token (--token / GATEHOUSE_TOKEN, e.g. a GitLab CI job's) or
// the admin key (--admin-key / GATEHOUSE_ADMIN_KEY), and name the person for the record.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import { formatIssue, type ConfigIssue } from '../config/issues.js';

interface GatewayFlags {
  gateway: string;
  adminKey?: string;
  token?: string;
  actor?: string;
  format: 'text' | 'json';
}

interface VersionRecord {
  version: number;
  sha256: string;
  applied_by: string;
  applied_at: string;
  source: string;
  message: string | null;
  unchanged?: boolean;
}

const examples = (lines: string[]) => `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;

function gatewayOptions(command: Command): Command {
  return command
    .addOption(new Option('-g, --gateway <url>', 'the gateway (any replica)').env('GATEHOUSE_URL').makeOptionMandatory())
    .addOption(new Option('--token <jwt>', 'an OIDC id_token admitted by gitops.deployers (used when given)').env('GATEHOUSE_TOKEN'))
    .addOption(new Option('--admin-key <key>', 'the admin key (auth.admin_key)').env('GATEHOUSE_ADMIN_KEY'))
    .addOption(new Option('--actor <name>', 'who you are, for the record with the admin key (default: GITLAB_USER_LOGIN, else your user name)'))
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'));
}

export function addRollout(program: Command): void {
  gatewayOptions(program.command('apply'))
    .description('apply a config to a running gateway (every replica follows); exit 1 when it is refused')
    .argument('<file>', 'config file (YAML or JSON)')
    .option('-m, --message <text>', 'why, for the history (default: CI_COMMIT_TITLE when set)')
    .option('--dry-run', 'only check it against the gateway (its environment variables, its storage)')
    .addHelpText('after', examples([
      'gatehouse apply --gateway https://gatehouse.internal gateway-configs/production.yaml -m "canary 10%"   (GATEHOUSE_ADMIN_KEY set)',
      'gatehouse apply --gateway $GATEHOUSE_URL --token $GATEHOUSE_ID_TOKEN gatehouse.yaml   (GitLab CI id_tokens)',
      'gatehouse apply --gateway http://localhost:4000 gatehouse.yaml --dry-run',
    ]))
    .action(async (file: string, flags: GatewayFlags & { message?: string; dryRun?: boolean }) => {
      const text = readText(program, file);
      const query = new URLSearchParams({ file });
      const message = flags.message ?? process.env.CI_COMMIT_TITLE;
      if (message) query.set('message', message);
      if (flags.dryRun) query.set('dry_run', 'true');
      const { status, body } = await call(program, flags, 'PUT', `/admin/config?${query}`, text, 'application/yaml');
      if (refused(status, body, `${file}: refused by ${flags.gateway}; the running config stays`)) return;
      expectOk(program, status, body);
      if (flags.format === 'json') return print(body);
      if (flags.dryRun) return print(`${file}: valid for ${flags.gateway}${body.unchanged ? ' (the same as the running config)' : ''}`);
      const record = body as unknown as VersionRecord;
      print(`${file}: applied as version ${record.version}${record.unchanged ? ' (no change from the running config)' : ''} (sha256 ${record.sha256.slice(0, 12)}) by ${record.applied_by}`);
    });

  gatewayOptions(program.command('history'))
    .description('list applied config versions, newest first')
    .option('-n, --limit <n>', 'how many', '20')
    .addHelpText('after', examples(['gatehouse history --gateway https://gatehouse.internal', 'gatehouse history -g $GATEHOUSE_URL --format json']))
    .action(async (flags: GatewayFlags & { limit: string }) => {
      const { status, body } = await call(program, flags, 'GET', `/admin/config/versions?limit=${encodeURIComponent(flags.limit)}`);
      expectOk(program, status, body);
      if (flags.format === 'json') return print(body);
      const current = body.current as number;
      const rows = body.data as VersionRecord[];
      if (rows.length === 0) return print('No config versions recorded yet.');
      print(rows.map((v) => `${v.version === current ? '*' : ' '} ${String(v.version).padStart(4)}  ${v.applied_at}  ${v.source.padEnd(8)}  ${v.sha256.slice(0, 12)}  ${v.applied_by}${v.message ? `  — ${v.message}` : ''}`).join('\n'));
    });

  gatewayOptions(program.command('rollback'))
    .description('apply an earlier config version again (recorded as a new version)')
    .argument('<version>', 'the version to go back to (see gatehouse history)')
    .option('-m, --message <text>', 'why, for the history')
    .addHelpText('after', examples(['gatehouse rollback 12 --gateway https://gatehouse.internal -m "latency regression"']))
    .action(async (version: string, flags: GatewayFlags & { message?: string }) => {
      const { status, body } = await call(program, flags, 'POST', '/admin/config/rollback', JSON.stringify({ version: Number(version), message: flags.message }), 'application/json');
      if (refused(status, body, `version ${version} no longer loads on ${flags.gateway}; the running config stays`)) return;
      expectOk(program, status, body);
      if (flags.format === 'json') return print(body);
      const record = body as unknown as VersionRecord;
      print(`rolled back to version ${version}: now version ${record.version} (sha256 ${record.sha256.slice(0, 12)}) by ${record.applied_by}`);
    });
}

async function call(program: Command, flags: GatewayFlags, method: string, path: string, body?: string, type?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const credential = flags.token || flags.adminKey;
  if (!credential) program.error('gatehouse: give --admin-key (or GATEHOUSE_ADMIN_KEY) or --token (or GATEHOUSE_TOKEN)', { exitCode: 2 });
  const headers: Record<string, string> = { authorization: `Bearer ${credential}`, 'x-gatehouse-actor': flags.actor ?? process.env.GITLAB_USER_LOGIN ?? localUser() };
  if (type) headers['content-type'] = type;
  let res: Response;
  try {
    res = await fetch(new URL(path, flags.gateway.endsWith('/') ? flags.gateway : `${flags.gateway}/`), { method, headers, body });
  } catch (err) {
    program.error(`gatehouse: cannot reach ${flags.gateway}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`, { exitCode: 1 });
  }
  const text = await res!.text();
  try {
    return { status: res!.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: res!.status, body: { error: { message: text.slice(0, 300) } } };
  }
}

/** A config the gateway refused: its located problems on stderr, exit code 1. */
function refused(status: number, body: Record<string, unknown>, summary: string): boolean {
  if (status !== 400 || !Array.isArray(body.issues)) return false;
  process.stderr.write(`${(body.issues as ConfigIssue[]).map(formatIssue).join('\n')}\n${summary}\n`);
  process.exitCode = 1;
  return true;
}

function expectOk(program: Command, status: number, body: Record<string, unknown>): void {
  if (status < 300) return;
  const message = (body.error as { message?: string } | undefined)?.message ?? `HTTP ${status}`;
  program.error(`gatehouse: the gateway answered ${status}: ${message}`, { exitCode: 1 });
}

function readText(program: Command, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    program.error(`gatehouse: ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message}`, { exitCode: 1 });
  }
  return '';
}

const print = (value: unknown): void => void process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
