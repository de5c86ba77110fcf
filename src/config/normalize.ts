// Rewrites MLflow's other spellings into the native form before validation, remembering where
// each rewritten piece came from so that errors still point at the right line of the file.
//
// Accepted besides the native form:
// - `routes:` entries that carry a `model` (MLflow <= 2.8 and most articles): endpoints.
// - `route_type` for `endpoint_type` (and for `task_type` on traffic routes).
// - `endpoint: /public/path` for `path`.
// - `<provider>_config` (e.g. `openai_config`) for `config` inside `model`.
// - provider names in any case, with "_" for "-" (`OpenAI`).
// - endpoints of endpoint_type `mlflow-model` (registry models, under `endpoints:` or `routes:`) are
//   gathered into `model_endpoints`, since they take another schema (src/registry/schema.ts).
import { providers } from '../providers/index.js';
import { MODEL_ENDPOINT_TYPE } from '../registry/schema.js';
import type { Path } from './issues.js';

type Obj = Record<string, unknown>;

interface Origin {
  path: Path;
  /** native key -> key as written */
  keys?: Record<string, string>;
}

export interface Normalized {
  value: unknown;
  /** Maps a path in the normalized value to the path as written in the file. */
  sourcePath(path: Path): Path;
  /** Problems found while rewriting, at paths as written in the file. */
  problems: { path: Path; message: string }[];
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function normalizeConfig(raw: unknown): Normalized {
  const origins = new WeakMap<object, Origin>();
  const problems: Normalized['problems'] = [];
  if (!isObj(raw)) {
    return { value: raw, sourcePath: (p) => p, problems };
  }

  const root: Obj = { ...raw };
  origins.set(root, { path: [] });
  // Lists are rebuilt (legacy routes become endpoints), so each element remembers where it was written.
  const lists = { endpoints: new SourcedList(), routes: new SourcedList(), model_endpoints: new SourcedList() };
  const addEndpoint = (entry: unknown, at: Path) => {
    const out = rewriteEndpoint(entry, at, origins, problems);
    (isObj(out) && out.endpoint_type === MODEL_ENDPOINT_TYPE ? lists.model_endpoints : lists.endpoints).add(out, at);
  };

  const rawEndpoints = raw.endpoints;
  if (Array.isArray(rawEndpoints)) rawEndpoints.forEach((entry, i) => addEndpoint(entry, ['endpoints', i]));
  const rawRoutes = raw.routes;
  if (Array.isArray(rawRoutes)) {
    rawRoutes.forEach((entry, i) => {
      const at: Path = ['routes', i];
      if (isObj(entry) && 'model' in entry && !('destinations' in entry)) addEndpoint(entry, at);
      else lists.routes.add(rewriteRoute(entry, at, origins), at);
    });
  }
  const rawModels = raw.model_endpoints;
  if (Array.isArray(rawModels)) rawModels.forEach((entry, i) => lists.model_endpoints.add(entry, ['model_endpoints', i]));
  // Keep a list that was not a list, so validation reports its real type.
  for (const key of ['endpoints', 'routes', 'model_endpoints'] as const) {
    const written = raw[key];
    if (key in raw) root[key] = Array.isArray(written) ? lists[key].items : written;
    else if (lists[key].items.length > 0) root[key] = lists[key].items;
  }
  const elementSources = new Map<unknown, Path[]>(Object.values(lists).map((list) => [list.items, list.sources]));

  const sourcePath = (path: Path): Path => {
    let node: unknown = root;
    let source: Path = [];
    for (const key of path) {
      const origin = isObj(node) ? origins.get(node) : undefined;
      if (origin) source = [...origin.path];
      const fromList = typeof key === 'number' ? elementSources.get(node)?.[key] : undefined;
      if (fromList) source = [...fromList];
      else source.push(typeof key === 'string' ? (origin?.keys?.[key] ?? key) : key);
      node = isObj(node) || Array.isArray(node) ? (node as Obj)[key as string] : undefined;
    }
    return source;
  };

  return { value: root, sourcePath, problems };
}

function rename(entry: Obj, from: string, to: string, keys: Record<string, string>): void {
  if (from in entry && !(to in entry)) {
    entry[to] = entry[from];
    delete entry[from];
    keys[to] = from;
  }
}

function rewriteEndpoint(entry: unknown, at: Path, origins: WeakMap<object, Origin>, problems: Normalized['problems']): unknown {
  if (!isObj(entry)) return entry;
  const out: Obj = { ...entry };
  const keys: Record<string, string> = {};
  rename(out, 'route_type', 'endpoint_type', keys);
  rename(out, 'endpoint', 'path', keys);
  origins.set(out, { path: at, keys });
  // A registry model names no provider, so there are no provider spellings to rewrite.
  if (isObj(out.model) && out.endpoint_type !== MODEL_ENDPOINT_TYPE) out.model = rewriteModel(out.model, [...at, 'model'], origins, problems);
  return out;
}

/** A rebuilt list, with where each element was written. */
class SourcedList {
  readonly items: unknown[] = [];
  readonly sources: Path[] = [];

  add(item: unknown, at: Path): void {
    this.items.push(item);
    this.sources.push(at);
  }
}

// MLflow matches provider names loosely: case and "-" versus "_" do not matter ("OpenAI", "amazon_bedrock").
const fold = (name: string) => name.toLowerCase().replaceAll('-', '_');
const providerNames = new Map(providers.map((p) => [fold(p.name), p.name]));

function rewriteModel(model: Obj, at: Path, origins: WeakMap<object, Origin>, problems: Normalized['problems']): Obj {
  const out: Obj = { ...model };
  const keys: Record<string, string> = {};
  if (typeof out.provider === 'string') out.provider = providerNames.get(fold(out.provider)) ?? out.provider;
  const providerKeys = Object.keys(out).filter((k) => k !== 'config' && k.endsWith('_config'));
  if (providerKeys.length > 0) {
    if ('config' in out || providerKeys.length > 1) {
      const given = ['config', ...providerKeys].filter((k) => k in out).join(', ');
      for (const k of providerKeys) problems.push({ path: [...at, k], message: `provider settings are given twice; keep one of ${given}` });
    } else {
      rename(out, providerKeys[0], 'config', keys);
    }
  }
  origins.set(out, { path: at, keys });
  return out;
}

function rewriteRoute(entry: unknown, at: Path, origins: WeakMap<object, Origin>): unknown {
  if (!isObj(entry)) return entry;
  const out: Obj = { ...entry };
  const keys: Record<string, string> = {};
  rename(out, 'route_type', 'task_type', keys);
  rename(out, 'endpoint', 'path', keys);
  origins.set(out, { path: at, keys });
  return out;
}
