// Loading the prompts folder named by the config: every prompt file compiled, duplicates refused,
// and the config's references to prompts checked. Runs at start, on every reload and in
// `gatehouse validate`; a config that uses no prompts reads no folder.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import Mustache from 'mustache';
import type { ConfigIssue } from '../config/issues.js';
import { z } from 'zod';
import { RouteSchema, type GatewayConfig } from '../config/schema.js';
import { PromptsSchema } from '../config/schema-prompts.js';
import type { Problem } from '../config/semantic.js';
import { compilePrompt, type CompiledPrompt } from './compile.js';
import { EMPTY_PROMPTS, PromptLibrary, type PromptSplit } from './library.js';
import { checkPromptReferences } from './references.js';
import { readPromptSource } from './source.js';

export interface LoadedPrompts {
  library: PromptLibrary;
  /** Problems in prompt files, located in them. */
  issues: ConfigIssue[];
  /** Problems in the config file (folder, pins, APIs, splits), by key path. */
  problems: Problem[];
}

const PROMPT_EXTENSIONS = /\.(ya?ml|md)$/;

/** What prompts read of a config: their section, the routes, and the endpoints' names, types and paths. */
export type PromptInputs = Pick<GatewayConfig, 'prompts' | 'routes'> & { endpoints: Pick<GatewayConfig['endpoints'][number], 'name' | 'endpoint_type' | 'path'>[] };

const InputsSchema = z.object({
  prompts: PromptsSchema.optional(),
  routes: z.array(RouteSchema).default([]),
  endpoints: z.array(z.object({ name: z.string(), endpoint_type: z.string(), path: z.string().optional() })).default([]),
});

/**
 * The prompt inputs of a config that may have failed elsewhere: a check without the production
 * secrets (or with an endpoint left out for them) still checks every prompt. Undefined when the
 * sections prompts depend on are themselves invalid (the schema reports that).
 */
export function promptInputsOf(value: unknown): PromptInputs | undefined {
  const parsed = InputsSchema.safeParse(value);
  return parsed.success ? (parsed.data as PromptInputs) : undefined;
}

/** The prompts folder, or undefined when the config uses no prompts. */
export function promptsDir(config: PromptInputs, configFile: string): string | undefined {
  const used = config.prompts !== undefined || config.routes.some((r) => r.prompt !== undefined || r.prompt_versions !== undefined);
  if (!used) return undefined;
  // Joined, not resolved: with a relative config path, issues name the prompt files relative to it as well.
  const dir = config.prompts?.dir ?? 'prompts';
  return isAbsolute(dir) ? dir : join(dirname(configFile), dir);
}

export function loadPrompts(config: PromptInputs, configFile: string): LoadedPrompts {
  const dir = promptsDir(config, configFile);
  if (!dir) return { library: EMPTY_PROMPTS, issues: [], problems: [] };
  const issues: ConfigIssue[] = [];
  const problems: Problem[] = [];
  const writer = new Mustache.Writer();
  const byId = new Map<string, Map<number, CompiledPrompt>>();
  for (const name of promptFiles(dir, problems)) {
    const file = join(dir, name);
    const compiled = compilePrompt(readPromptSource(file, name, readFileSync(file, 'utf8')), writer);
    issues.push(...compiled.issues);
    const prompt = compiled.prompt;
    if (!prompt) continue;
    const versions = byId.get(prompt.id) ?? new Map<number, CompiledPrompt>();
    const twin = versions.get(prompt.version);
    if (twin) issues.push({ file, line: 1, column: 1, path: '(file)', message: `prompt ${prompt.key} is also defined in ${twin.file}; keep one file per version` });
    else versions.set(prompt.version, prompt);
    byId.set(prompt.id, versions);
  }
  problems.push(...checkPromptReferences(config, byId));
  const splits = new Map<string, PromptSplit>();
  for (const route of config.routes) {
    if (!route.prompt || !route.prompt_versions) continue;
    const versions = route.prompt_versions.map((v) => ({ version: v.version, percentage: v.traffic_percentage }));
    splits.set(route.name, { route: route.name, prompt: route.prompt, versions, sticky: route.sticky });
  }
  const library = new PromptLibrary(byId, config.prompts?.pins ?? {}, splits, config.prompts?.apis ?? [], writer);
  return { library, issues, problems };
}

/**
 * The prompt files of the folder, sorted. Hidden entries are skipped (Kubernetes config maps keep
 * their data under `..data`), and so is a README.md; any other .yaml, .yml or .md file is a prompt.
 */
function promptFiles(dir: string, problems: Problem[]): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push({ path: ['prompts', 'dir'], message: `cannot read the prompts folder ${dir} (${code === 'ENOENT' ? 'not found' : code})` });
    return [];
  }
  return names
    .filter((name) => !name.startsWith('.') && name.toLowerCase() !== 'readme.md' && PROMPT_EXTENSIONS.test(name))
    .filter((name) => statSync(join(dir, name), { throwIfNoEntry: false })?.isFile())
    .sort();
}
