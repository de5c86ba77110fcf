// Reads GitLab CI YAML the way GitLab does for the parts our template uses: `include` merged under
// the including file, `extends` deep-merged (hashes merge, arrays are replaced), `rules: if`
// expressions evaluated, `$VAR` expanded. Also a structural lint of the keywords (see the GitLab CI
// YAML reference): stages exist, needs and extends name jobs, rules and id_tokens are well formed.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type Doc = Record<string, unknown>;
export type Job = Record<string, unknown> & { stage?: string; script?: string[]; variables?: Record<string, string> };

const GLOBAL_KEYWORDS = new Set(['default', 'include', 'stages', 'variables', 'workflow', 'spec']);
const JOB_KEYWORDS = new Set([
  'after_script', 'allow_failure', 'artifacts', 'before_script', 'cache', 'coverage', 'dependencies', 'environment', 'extends', 'hooks',
  'identity', 'id_tokens', 'image', 'inherit', 'interruptible', 'manual_confirmation', 'needs', 'pages', 'parallel', 'release',
  'resource_group', 'retry', 'rules', 'run', 'script', 'secrets', 'services', 'stage', 'tags', 'timeout', 'trigger', 'variables', 'when',
]);
const RULE_KEYWORDS = new Set(['if', 'changes', 'exists', 'when', 'allow_failure', 'variables', 'needs', 'interruptible']);
const WHEN = new Set(['on_success', 'on_failure', 'always', 'manual', 'delayed', 'never']);

const isMap = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepMerge(base: Doc, over: Doc): Doc {
  const out: Doc = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isMap(out[k]) && isMap(v) ? deepMerge(out[k] as Doc, v) : v;
  return out;
}

/** The file with its includes merged in (the including file's keys win). `resolve` maps an include entry to a local path. */
export function loadPipeline(file: string, resolve: (include: Doc) => string): Doc {
  const doc = parse(readFileSync(file, 'utf8')) as Doc;
  const includes = ([doc.include ?? []].flat() as (string | Doc)[]).map((i) => (typeof i === 'string' ? { local: i } : i));
  const { include: _, ...own } = doc;
  return includes.reduce<Doc>((merged, inc) => deepMerge(loadPipeline(resolve(inc), resolve), merged), own);
}

export const jobNames = (doc: Doc) => Object.keys(doc).filter((k) => !GLOBAL_KEYWORDS.has(k) && !k.startsWith('.'));

export function resolveJob(doc: Doc, name: string, seen = new Set<string>()): Job {
  const job = doc[name] as Doc;
  if (seen.has(name)) throw new Error(`extends loop at ${name}`);
  seen.add(name);
  // A missing parent is reported by the lint; the rest of the job is still read.
  const parents = ([job.extends ?? []].flat() as string[]).filter((p) => isMap(doc[p]));
  const base = parents.reduce<Doc>((merged, parent) => deepMerge(merged, resolveJob(doc, parent, seen)), {});
  const { extends: _, ...own } = job;
  return deepMerge(base, own) as Job;
}

/** $VAR and ${VAR} replaced from `vars` (unset: empty). */
export const expand = (text: string, vars: Record<string, string | undefined>) =>
  text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => vars[(a ?? b)!] ?? '');

/** A `rules: if` expression: $VAR, "string", == and !=, && and || (no parentheses, as our template writes them). */
export function evalIf(expression: string, vars: Record<string, string | undefined>): boolean {
  const value = (token: string): string | null => {
    const t = token.trim();
    if (/^\$\w+$/.test(t)) return vars[t.slice(1)] ?? null;
    const quoted = /^"([^"]*)"$|^'([^']*)'$/.exec(t);
    if (quoted) return quoted[1] ?? quoted[2];
    throw new Error(`cannot read "${t}" in rules:if "${expression}"`);
  };
  return expression.split('||').some((any) =>
    any.split('&&').every((term) => {
      const cmp = /^(.*?)(==|!=)(.*)$/.exec(term);
      if (!cmp) {
        const v = value(term);
        return v !== null && v !== '';
      }
      const equal = value(cmp[1]) === value(cmp[3]);
      return cmp[2] === '==' ? equal : !equal;
    }),
  );
}

/** Whether the job is in the pipeline, and how (GitLab: the first rule whose `if` holds decides). */
export function ruleOutcome(job: Job, vars: Record<string, string | undefined>): { runs: boolean; when: string } {
  const rules = job.rules as Doc[] | undefined;
  if (!rules) return { runs: true, when: String(job.when ?? 'on_success') };
  const rule = rules.find((r) => r.if === undefined || evalIf(String(r.if), vars));
  if (!rule || rule.when === 'never') return { runs: false, when: 'never' };
  return { runs: true, when: String(rule.when ?? 'on_success') };
}

export function lintPipeline(doc: Doc): string[] {
  const problems: string[] = [];
  const stages = doc.stages as unknown;
  if (!Array.isArray(stages) || !stages.every((s) => typeof s === 'string')) problems.push('stages: a list of names');
  const stageList = Array.isArray(stages) ? (stages as string[]) : [];
  if (doc.variables !== undefined && (!isMap(doc.variables) || !Object.values(doc.variables).every((v) => typeof v === 'string' || isMap(v)))) problems.push('variables: name -> string');
  for (const name of Object.keys(doc).filter((k) => !GLOBAL_KEYWORDS.has(k))) {
    const raw = doc[name];
    if (!isMap(raw)) {
      problems.push(`${name}: a job is a mapping`);
      continue;
    }
    for (const key of Object.keys(raw)) if (!JOB_KEYWORDS.has(key)) problems.push(`${name}: unknown keyword ${key}`);
    for (const parent of [raw.extends ?? []].flat() as string[]) if (!isMap(doc[parent])) problems.push(`${name}: extends ${parent}, which does not exist`);
    if (name.startsWith('.')) continue;
    let job: Job;
    try {
      job = resolveJob(doc, name);
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
      continue;
    }
    problems.push(...lintJob(doc, name, job, stageList));
  }
  return problems;
}

function lintJob(doc: Doc, name: string, job: Job, stages: string[]): string[] {
  const problems: string[] = [];
  const stage = job.stage ?? 'test';
  if (!stages.includes(stage)) problems.push(`${name}: stage ${stage} is not in stages`);
  if (!Array.isArray(job.script) || job.script.length === 0 || !job.script.every((l) => typeof l === 'string')) problems.push(`${name}: script must be a non-empty list of strings`);
  for (const need of (job.needs ?? []) as (string | Doc)[]) {
    const target = typeof need === 'string' ? need : String(need.job);
    if (typeof need !== 'string' && Object.keys(need).some((k) => !['job', 'optional', 'artifacts', 'project', 'ref', 'pipeline'].includes(k))) problems.push(`${name}: needs entry with unknown keys`);
    if (!isMap(doc[target]) || target.startsWith('.')) problems.push(`${name}: needs ${target}, which is not a job`);
    else if (stages.indexOf(String((resolveJob(doc, target).stage as string | undefined) ?? 'test')) > stages.indexOf(stage)) problems.push(`${name}: needs ${target}, a job of a later stage`);
  }
  for (const [i, rule] of ((job.rules ?? []) as unknown[]).entries()) {
    if (!isMap(rule)) {
      problems.push(`${name}: rules[${i}] is not a mapping`);
      continue;
    }
    for (const key of Object.keys(rule)) if (!RULE_KEYWORDS.has(key)) problems.push(`${name}: rules[${i}] has unknown key ${key}`);
    if (rule.when !== undefined && !WHEN.has(String(rule.when))) problems.push(`${name}: rules[${i}].when ${String(rule.when)} is not one of ${[...WHEN].join(', ')}`);
    if (rule.if !== undefined) {
      try {
        evalIf(String(rule.if), {});
      } catch (err) {
        problems.push(`${name}: rules[${i}].if: ${(err as Error).message}`);
      }
    }
  }
  if (job.id_tokens !== undefined) {
    if (!isMap(job.id_tokens)) problems.push(`${name}: id_tokens must map variable names to {aud}`);
    else
      for (const [variable, spec] of Object.entries(job.id_tokens)) {
        const aud = isMap(spec) ? spec.aud : undefined;
        const audOk = typeof aud === 'string' || (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string'));
        if (!/^[A-Za-z_]\w*$/.test(variable) || !isMap(spec) || Object.keys(spec).some((k) => k !== 'aud') || !audOk) problems.push(`${name}: id_tokens.${variable} must be {aud: string or list of strings}`);
      }
  }
  const junit = (job.artifacts as Doc | undefined)?.reports as Doc | undefined;
  if (junit?.junit !== undefined && ![junit.junit].flat().every((p) => typeof p === 'string')) problems.push(`${name}: artifacts.reports.junit must be paths`);
  const environment = job.environment;
  if (environment !== undefined && typeof environment !== 'string' && !(isMap(environment) && typeof environment.name === 'string')) problems.push(`${name}: environment needs a name`);
  return problems;
}
