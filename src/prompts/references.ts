// Checks between the config and the prompt files: pins, published APIs and routes' A/B splits must
// name prompts and versions that exist, APIs must run on a chat endpoint or route at a free path.
import { didYouMean, type Path } from '../config/issues.js';
import { reservedPrefix, type Problem } from '../config/semantic.js';
import type { CompiledPrompt } from './compile.js';
import type { PromptInputs } from './load.js';

type Prompts = Map<string, Map<number, CompiledPrompt>>;

export function checkPromptReferences(config: PromptInputs, prompts: Prompts): Problem[] {
  const problems: Problem[] = [];
  const ids = [...prompts.keys()];
  /** Whether id (and version) exist; reports at `at` when not. */
  const exists = (id: string, version: number | undefined, at: Path, versionAt: Path = at): boolean => {
    const versions = prompts.get(id);
    if (!versions) {
      problems.push({ path: at, message: `no prompt "${id}" in the prompts folder${didYouMean(id, ids)}${ids.length ? ` (prompts: ${ids.join(', ')})` : ''}` });
      return false;
    }
    if (version !== undefined && !versions.has(version)) {
      problems.push({ path: versionAt, message: `prompt "${id}" has no version ${version} (versions: ${[...versions.keys()].sort((a, b) => a - b).join(', ')}); add ${id}@${version}.yaml or pick another` });
      return false;
    }
    return true;
  };

  for (const [id, version] of Object.entries(config.prompts?.pins ?? {})) exists(id, version, ['prompts', 'pins', id]);

  const types = new Map<string, string>([...config.endpoints.map((e) => [e.name, e.endpoint_type] as const), ...config.routes.map((r) => [r.name, r.task_type] as const)]);
  const taken = new Set([...config.endpoints, ...config.routes].flatMap((t) => (t.path ? [t.path] : [])));
  config.prompts?.apis.forEach((api, i) => {
    const at: Path = ['prompts', 'apis', i];
    exists(api.prompt, api.version, [...at, 'prompt'], [...at, 'version']);
    const type = types.get(api.target);
    if (type === undefined) problems.push({ path: [...at, 'target'], message: `target "${api.target}" names no endpoint or route${didYouMean(api.target, [...types.keys()])}` });
    else if (type !== 'llm/v1/chat') problems.push({ path: [...at, 'target'], message: `target "${api.target}" serves ${type}; a prompt runs on a chat endpoint or route (llm/v1/chat)` });
    const reserved = reservedPrefix(api.path);
    if (reserved) problems.push({ path: [...at, 'path'], message: `path "${api.path}" is served by the gateway itself (${reserved}); choose another path` });
    else if (taken.has(api.path)) problems.push({ path: [...at, 'path'], message: `path "${api.path}" is already used by an endpoint, a route or another prompt API` });
    taken.add(api.path);
  });

  config.routes.forEach((route, i) => {
    const at: Path = ['routes', i];
    if (route.prompt === undefined && route.prompt_versions === undefined) return;
    if (route.prompt === undefined) return void problems.push({ path: [...at, 'prompt_versions'], message: 'prompt_versions needs `prompt`: the id of the prompt whose versions it splits between' });
    if (route.prompt_versions === undefined) return void problems.push({ path: [...at, 'prompt'], message: '`prompt` on a route only names the prompt of its prompt_versions split; add prompt_versions or remove it' });
    if (route.task_type !== 'llm/v1/chat') problems.push({ path: [...at, 'prompt_versions'], message: `prompt_versions applies to chat routes; route "${route.name}" is ${route.task_type}` });
    if (!exists(route.prompt, undefined, [...at, 'prompt'])) return;
    const seen = new Set<number>();
    let total = 0;
    let first: CompiledPrompt | undefined;
    route.prompt_versions.forEach((share, j) => {
      const where: Path = [...at, 'prompt_versions', j, 'version'];
      total += share.traffic_percentage;
      if (seen.has(share.version)) problems.push({ path: where, message: `version ${share.version} is listed twice` });
      seen.add(share.version);
      if (!exists(route.prompt!, share.version, where)) return;
      const prompt = prompts.get(route.prompt!)!.get(share.version)!;
      const differs = first && inputsDiffer(first, prompt);
      if (differs) problems.push({ path: where, message: `${prompt.key} and ${first!.key} take different variables (${differs}): a caller cannot know which version it gets, so the versions of a split take the same variables` });
      first ??= prompt;
    });
    if (total !== 100) problems.push({ path: [...at, 'prompt_versions'], message: `traffic_percentage values of the prompt versions sum to ${total}; they must sum to 100` });
  });
  return problems;
}

/** How two prompts' variables differ (name, type or whether required), or undefined when they take the same. */
function inputsDiffer(a: CompiledPrompt, b: CompiledPrompt): string | undefined {
  for (const [x, y] of [[a, b], [b, a]]) {
    for (const v of x.variables.values()) {
      const w = y.variables.get(v.name);
      if (!w) return `"${v.name}" only in ${x.key}`;
      if (w.type !== v.type || w.required !== v.required) return `"${v.name}" is ${describe(v)} in ${x.key} and ${describe(w)} in ${y.key}`;
    }
  }
  return undefined;
}

const describe = (v: { type: string; required: boolean }) => `${v.required ? 'a required' : 'an optional'} ${v.type}`;
