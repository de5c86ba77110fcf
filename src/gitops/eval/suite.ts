// Eval suites: YAML files of cases run against an endpoint or route. Loaded with the config's YAML
// machinery, so a mistake is reported as file:line:column: path: reason.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatPath, type ConfigIssue, type Path } from '../../config/issues.js';
import { parseYaml } from '../../config/yaml-source.js';

const strings = z.union([z.string(), z.array(z.string()).min(1)]);

export const AssertionSchema = z.union([
  z.strictObject({ contains: strings, ignore_case: z.boolean().optional() }).meta({ description: 'The answer contains the text (every one of a list).' }),
  z.strictObject({ not_contains: strings, ignore_case: z.boolean().optional() }).meta({ description: 'The answer contains none of the texts.' }),
  z.strictObject({ regex: z.string(), flags: z.string().optional() }).meta({ description: 'The answer matches the regular expression.' }),
  z.strictObject({ equals: z.string(), trim: z.boolean().default(true) }).meta({ description: 'The answer is exactly this text (trimmed unless trim: false).' }),
  z.strictObject({ json_schema: z.record(z.string(), z.unknown()) }).meta({ description: 'The answer is JSON valid against this JSON Schema.' }),
  z.strictObject({ max_latency_ms: z.number().positive() }).meta({ description: 'The whole request took at most this long.' }),
  z.strictObject({ max_cost_usd: z.number().nonnegative() }).meta({ description: 'The request cost at most this (x-gatehouse-cost-usd).' }),
  z.strictObject({ max_tokens: z.int().positive() }).meta({ description: 'The request used at most this many tokens (prompt and completion).' }),
  z.strictObject({ not_flagged: z.literal(true) }).meta({ description: 'No guardrail fired: not blocked, and (with admin access) no flag, redaction or route.' }),
  z.strictObject({ status: z.int().min(100).max(599), code: z.string().optional() }).meta({ description: 'The gateway answered this HTTP status (and error code): for cases that must be refused.' }),
  z.strictObject({ rubric: z.string().min(1), min_score: z.number().min(0).max(1).optional() }).meta({ description: 'A judge model scores the answer against the rubric (0..1); passes at min_score.' }),
]);

export const PromptRefSchema = z.strictObject({
  id: z.string().min(1),
  version: z.union([z.string(), z.int()]).optional(),
  variables: z.record(z.string(), z.unknown()).optional(),
});

export const CaseSchema = z
  .strictObject({
    name: z.string().min(1),
    target: z.string().min(1).optional(),
    input: z.string().optional(),
    messages: z.array(z.looseObject({ role: z.string() })).min(1).optional(),
    prompt: PromptRefSchema.optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    samples: z.int().positive().max(100).optional(),
    min_pass_rate: z.number().min(0).max(1).optional(),
    assert: z.array(AssertionSchema).default([]),
  })
  .refine((c) => c.input !== undefined || c.messages !== undefined || c.prompt !== undefined, { message: 'a case needs input, messages or prompt' })
  .refine((c) => c.input === undefined || c.messages === undefined, { message: 'give input or messages, not both' });

export const SuiteSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  target: z.string().min(1).optional(),
  samples: z.int().positive().max(100).default(1),
  min_pass_rate: z.number().min(0).max(1).default(1),
  judge: z.strictObject({ target: z.string().min(1), min_score: z.number().min(0).max(1).default(0.7) }).optional(),
  defaults: z.strictObject({ params: z.record(z.string(), z.unknown()).optional(), assert: z.array(AssertionSchema).default([]) }).prefault({}),
  cases: z.array(CaseSchema).min(1),
});

export type Assertion = z.infer<typeof AssertionSchema>;
export type EvalCase = z.infer<typeof CaseSchema>;
export type Suite = z.infer<typeof SuiteSchema>;

export type SuiteLoad = { suite: Suite; issues: [] } | { suite?: undefined; issues: ConfigIssue[] };

export function loadSuiteFile(file: string): SuiteLoad {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { issues: [{ file, line: 1, column: 1, path: '(file)', message: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message }] };
  }
  return loadSuiteText(text, file);
}

export function loadSuiteText(text: string, file: string): SuiteLoad {
  const source = parseYaml(text);
  if (source.errors.length > 0) return { issues: source.errors.map((e) => ({ file, ...e.position, path: '(yaml)', message: e.message })) };
  const parsed = SuiteSchema.safeParse(source.value ?? {});
  if (parsed.success) {
    const untargeted = parsed.data.cases.findIndex((c) => !c.target && !parsed.data.target);
    if (untargeted < 0) return { suite: parsed.data, issues: [] };
    const path: Path = ['cases', untargeted];
    return { issues: [{ file, ...source.locate(path), path: formatPath(path), message: 'no target: give the suite (or this case) a target endpoint or route' }] };
  }
  return {
    issues: parsed.error.issues.map((issue) => {
      const path = issue.path as Path;
      return { file, ...source.locate(path), path: formatPath(path), message: issue.message };
    }),
  };
}

/** The request body of one case: messages (or the prompt reference, passed through), the suite's then the case's parameters. */
export function requestBody(suite: Suite, c: EvalCase): Record<string, unknown> {
  const body: Record<string, unknown> = { ...suite.defaults.params, ...c.params, model: c.target ?? suite.target };
  if (c.input !== undefined) body.messages = [{ role: 'user', content: c.input }];
  if (c.messages) body.messages = c.messages;
  if (c.prompt) body.prompt = c.prompt;
  return body;
}
