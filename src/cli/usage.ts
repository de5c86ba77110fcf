// `gatehouse usage`: requests, tokens, cost and latency from a running gateway's usage API
// (/admin/usage), as a table, JSON or CSV. It talks to the gateway rather than to the database, so
// it needs no database credentials, works the same on SQLite and Postgres, and sees the rows the
// gateway has not written yet.
import { Command, Option } from 'commander';
import type { UsageBucket } from '../telemetry/request-log/query.js';

interface UsageFlags {
  gateway: string;
  adminKey?: string;
  from?: string;
  to?: string;
  team?: string;
  key?: string;
  endpoint?: string;
  model?: string;
  groupBy: string;
  format: 'table' | 'json' | 'csv';
}

const FILTERS = ['from', 'to', 'team', 'key', 'endpoint', 'model'] as const;

const usd = (value: number) => `$${value < 1 ? value.toFixed(6) : value.toFixed(2)}`;
const msText = (value: number | null) => (value === null ? '-' : `${Math.round(value)} ms`);

/** Columns of the table: heading and how to show a bucket. */
const COLUMNS: [string, (b: UsageBucket) => string][] = [
  ['period', (b) => b.period.replace(':00:00Z', 'h').replace('T00h', '').replace('T', ' ')],
  ['requests', (b) => String(b.requests)],
  ['errors', (b) => String(b.errors)],
  ['tokens in', (b) => String(b.prompt_tokens)],
  ['cached', (b) => String(b.cached_tokens)],
  ['tokens out', (b) => String(b.completion_tokens)],
  ['cost', (b) => usd(b.cost_usd)],
  ['p50', (b) => msText(b.p50_latency_ms)],
  ['p95', (b) => msText(b.p95_latency_ms)],
];

/** A plain-text table: the first column left-aligned, numbers right-aligned, totals under a rule. */
export function renderUsageTable(data: UsageBucket[], totals: UsageBucket): string {
  const rows = [COLUMNS.map(([h]) => h), ...data.map((b) => COLUMNS.map(([, f]) => f(b)))];
  const total = COLUMNS.map(([, f]) => f(totals));
  total[0] = 'total';
  const widths = COLUMNS.map((_, i) => Math.max(...[...rows, total].map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0]), rule, ...rows.slice(1).map(line), ...(data.length > 0 ? [rule] : []), line(total)].join('\n');
}

async function fetchUsage(flags: UsageFlags): Promise<Response> {
  if (!flags.adminKey) throw new Error('no admin key: pass --admin-key or set GATEHOUSE_ADMIN_KEY');
  const url = new URL('/admin/usage', flags.gateway);
  url.searchParams.set('group_by', flags.groupBy);
  if (flags.format === 'csv') url.searchParams.set('format', 'csv');
  for (const name of FILTERS) if (flags[name]) url.searchParams.set(name, flags[name]!);
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${flags.adminKey}` } });
  } catch (err) {
    throw new Error(`cannot reach ${flags.gateway}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
    throw new Error(`${url.origin} answered ${res.status}: ${body?.error?.message ?? res.statusText}`);
  }
  return res;
}

export function addUsage(program: Command): void {
  program
    .command('usage')
    .description("print requests, tokens, cost and latency from a gateway's request log (through its admin API)")
    .addOption(new Option('-g, --gateway <url>', 'the gateway').env('GATEHOUSE_URL').default('http://127.0.0.1:4000'))
    .addOption(new Option('--admin-key <key>', "the gateway's auth.admin_key").env('GATEHOUSE_ADMIN_KEY'))
    .option('--from <time>', 'from this time (ISO 8601) or date, inclusive')
    .option('--to <time>', 'up to this time or date, exclusive')
    .option('--team <name>', 'only this team')
    .option('--key <id>', 'only this key (its id)')
    .option('--endpoint <name>', 'only this endpoint')
    .option('--model <name>', 'only this upstream model')
    .addOption(new Option('--group-by <period>', 'rows per hour, per day, or one total').choices(['hour', 'day', 'total']).default('day'))
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .addHelpText(
      'after',
      '\nExamples:\n  gatehouse usage --gateway https://gatehouse.internal --from 2026-11-01   (admin key in GATEHOUSE_ADMIN_KEY)\n  gatehouse usage --team research --group-by hour --from 2026-11-21T00:00:00Z\n  gatehouse usage --from 2026-11-01 --to 2026-12-01 --format csv > november.csv\n',
    )
    .action(async (flags: UsageFlags) => {
      try {
        const res = await fetchUsage(flags);
        if (flags.format === 'csv') return void process.stdout.write(await res.text());
        const body = (await res.json()) as { data: UsageBucket[]; totals: UsageBucket };
        process.stdout.write(`${flags.format === 'json' ? JSON.stringify(body, null, 2) : renderUsageTable(body.data, body.totals)}\n`);
      } catch (err) {
        program.error(`gatehouse: ${(err as Error).message}`, { exitCode: 1 });
      }
    });
}
