// What changes between two configs, for a person reviewing a merge request. Lists of named entries
// (endpoints, routes, destinations) are matched by name, so a reorder is not a change; traffic
// splits and limits get their own wording; secrets are never shown, only that they changed.
import type { GatewayConfig } from './schema.js';

export type Change =
  | { kind: 'added'; section: string; name: string; summary: string }
  | { kind: 'removed'; section: string; name: string; summary: string }
  | { kind: 'changed'; section: string; name: string; details: string[] };

const SECRET_KEY = /(api_key|admin_key|secret|token|password|private_key|access_key)/i;

export function diffConfigs(before: GatewayConfig, after: GatewayConfig): Change[] {
  const changes: Change[] = [];
  const sections = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const section of sections) {
    const a = (before as Record<string, unknown>)[section];
    const b = (after as Record<string, unknown>)[section];
    // A list written on one side only compares with an empty one: every entry is added (or removed).
    if ((a !== undefined || b !== undefined) && isNamedList(a ?? []) && isNamedList(b ?? [])) changes.push(...diffNamedList(section, (a ?? []) as Named[], (b ?? []) as Named[]));
    else {
      const details = diffValue(a, b, []);
      if (details.length > 0) changes.push({ kind: 'changed', section, name: section, details });
    }
  }
  return changes;
}

type Named = Record<string, unknown>;

/** Entries are matched by name, or by path for lists of paths (prompt APIs). */
const keyOf = (entry: Named) => (typeof entry.name === 'string' ? entry.name : typeof entry.path === 'string' ? entry.path : undefined);

function isNamedList(value: unknown): value is Named[] {
  return Array.isArray(value) && value.every((v) => v && typeof v === 'object' && keyOf(v as Named) !== undefined);
}

function diffNamedList(section: string, before: Named[], after: Named[]): Change[] {
  const old = new Map(before.map((e) => [keyOf(e)!, e]));
  const next = new Map(after.map((e) => [keyOf(e)!, e]));
  const changes: Change[] = [];
  for (const [name, entry] of old) if (!next.has(name)) changes.push({ kind: 'removed', section, name, summary: summarize(entry) });
  for (const [name, entry] of next) {
    const previous = old.get(name);
    if (!previous) {
      changes.push({ kind: 'added', section, name, summary: summarize(entry) });
      continue;
    }
    const details = [...splitChange(previous, entry), ...diffValue(withoutSplit(previous), withoutSplit(entry), [])];
    if (details.length > 0) changes.push({ kind: 'changed', section, name, details });
  }
  return changes;
}

/** One line that says what an endpoint or route is. */
function summarize(entry: Named): string {
  const parts: string[] = [];
  const type = entry.endpoint_type ?? entry.task_type;
  if (typeof type === 'string') parts.push(type);
  const model = entry.model as { provider?: string; name?: string } | undefined;
  if (model?.provider) parts.push(`${model.provider}/${model.name}`);
  const split = splitOf(entry);
  if (split) parts.push(split.map(([name, pct]) => `${name} ${pct}%`).join(', '));
  const limit = entry.limit as { calls?: number; renewal_period?: string } | undefined;
  if (limit?.calls) parts.push(`limit ${limit.calls}/${limit.renewal_period}`);
  return parts.join(' · ');
}

/** The shares a route splits traffic by: destinations by name, prompt versions (A/B tests) by version. */
const SPLITS = [
  { key: 'destinations', label: 'traffic split', nameOf: (d: Record<string, unknown>) => String(d.name) },
  { key: 'prompt_versions', label: 'prompt versions', nameOf: (d: Record<string, unknown>) => `v${String(d.version)}` },
] as const;

type Split = (typeof SPLITS)[number];

/** One split's shares, when its entries carry percentages. */
function splitOf(entry: Named, split: Split = SPLITS[0]): [string, number][] | undefined {
  const shares = entry[split.key];
  if (!Array.isArray(shares) || !shares.every((d) => typeof d?.traffic_percentage === 'number')) return undefined;
  return shares.map((d) => [split.nameOf(d), d.traffic_percentage as number]);
}

function withoutSplit(entry: Named): Named {
  const rest: Record<string, unknown> = { ...entry };
  for (const split of SPLITS) if (splitOf(entry, split)) delete rest[split.key];
  return rest as Named;
}

/** "traffic split: chat 90% → 80%, chat-next 10% → 20%" — the line a canary promotion produces. */
function splitChange(before: Named, after: Named): string[] {
  return SPLITS.flatMap((split) => {
    const a = splitOf(before, split);
    const b = splitOf(after, split);
    if (!a && !b) return [];
    if (!a || !b) return isEqual(before[split.key], after[split.key]) ? [] : [`${split.key}: ${describe(before[split.key])} → ${describe(after[split.key])}`];
    const old = new Map(a);
    const next = new Map(b);
    const names = [...new Set([...a.map(([n]) => n), ...b.map(([n]) => n)])];
    const moved = names.filter((n) => old.get(n) !== next.get(n));
    if (moved.length === 0) return [];
    return [`${split.label}: ${moved.map((n) => `${n} ${pct(old.get(n))} → ${pct(next.get(n))}`).join(', ')}`];
  });
}

const pct = (value: number | undefined) => (value === undefined ? '—' : `${value}%`);

function diffValue(a: unknown, b: unknown, path: string[]): string[] {
  if (isEqual(a, b)) return [];
  const key = path[path.length - 1] ?? '';
  const where = path.join('.') || '(value)';
  if (SECRET_KEY.test(key)) return [`${where}: (secret changed)`];
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => diffValue(a[k], b[k], [...path, k]));
  }
  if (isNamedList(a) && isNamedList(b)) {
    return diffNamedList(where, a, b).map((c) =>
      c.kind === 'changed' ? `${where}[${c.name}]: ${c.details.join('; ')}` : `${where}: ${c.kind} ${c.name}`,
    );
  }
  if (a === undefined) return [`${where}: set to ${describe(b)}`];
  if (b === undefined) return [`${where}: removed (was ${describe(a)})`];
  return [`${where}: ${describe(a)} → ${describe(b)}`];
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  const text = JSON.stringify(value, (k, v) => (SECRET_KEY.test(k) ? '(secret)' : v));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => isEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function renderText(changes: Change[]): string {
  if (changes.length === 0) return 'No changes.';
  return changes
    .map((c) => {
      const head = `${c.kind === 'added' ? '+' : c.kind === 'removed' ? '-' : '~'} ${label(c)}`;
      if (c.kind === 'changed') return [head, ...c.details.map((d) => `    ${d}`)].join('\n');
      return c.summary ? `${head}  (${c.summary})` : head;
    })
    .join('\n');
}

/** Markdown for a merge-request comment: a count line, then one bullet per change. */
export function renderMarkdown(changes: Change[], title = 'Gatehouse config changes'): string {
  if (changes.length === 0) return `### ${title}\n\nNo changes.`;
  const count = (kind: Change['kind']) => changes.filter((c) => c.kind === kind).length;
  const lines = [`### ${title}`, '', `**${count('added')} added · ${count('removed')} removed · ${count('changed')} changed**`, ''];
  for (const c of changes) {
    const label = c.name === c.section ? `\`${c.section}\`` : `${singular(c.section)} \`${c.name}\``;
    if (c.kind === 'added') lines.push(`- ➕ Added ${label}${c.summary ? `: ${escapeMd(c.summary)}` : ''}`);
    else if (c.kind === 'removed') lines.push(`- ➖ Removed ${label}${c.summary ? ` (was: ${escapeMd(c.summary)})` : ''}`);
    else {
      lines.push(`- ✏️ Changed ${label}`);
      for (const d of c.details) lines.push(`  - ${escapeMd(d)}`);
    }
  }
  return lines.join('\n');
}

const singular = (section: string) => ({ endpoints: 'endpoint', routes: 'route', model_endpoints: 'endpoint', teams: 'team', keys: 'key', limits: 'limit' })[section] ?? section;
/** "route assistant"; a whole section (server, prompts) by its own name. */
const label = (c: Change) => (c.name === c.section ? c.section : `${singular(c.section)} ${c.name}`);
const escapeMd = (text: string) => text.replace(/([|*_`[\]])/g, '\\$1');
