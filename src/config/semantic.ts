// Checks that span entries: names, references between routes and endpoints, traffic shares, paths.
import { checkCacheReferences } from '../cache/references.js';
import { checkContextReferences } from '../context/config-checks.js';
import { checkGuardrailReferences } from '../guardrails/stage/references.js';
import { didYouMean, formatPath, type Path } from './issues.js';
import { ENDPOINT_TYPES } from './schema.js';

export interface Problem {
  path: Path;
  message: string;
}

/** Public paths the gateway serves itself; config-declared paths may not take them. */
const RESERVED_PREFIXES = ['/v1/', '/api/2.0/', '/api/3.0/', '/endpoints/', '/gateway/', '/admin', '/health', '/ready', '/metrics', '/ui', '/openapi.json'];

/** The gateway's own prefix a path falls under, if any. */
export function reservedPrefix(path: string): string | undefined {
  return RESERVED_PREFIXES.find((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`) || path === p.replace(/\/$/, ''));
}

/** The parts these checks read. Loose on purpose: they also run on a config that failed the schema. */
interface Loose {
  endpoints?: LooseEndpoint[];
  routes?: LooseRoute[];
  /** Registry models (endpoint_type mlflow-model): named and pathed like endpoints, but no route's destination. */
  model_endpoints?: LooseEndpoint[];
}

interface LooseEndpoint {
  name?: unknown;
  endpoint_type?: unknown;
  path?: unknown;
}

interface LooseRoute {
  name?: unknown;
  task_type?: unknown;
  path?: unknown;
  routing_strategy?: unknown;
  sticky?: { by?: unknown; header?: unknown };
  destinations?: { name?: unknown; traffic_percentage?: unknown; when?: unknown; weight?: unknown }[];
}

export interface ReferenceOptions {
  /** Endpoints left out for their unset `requires_env` variables: a route may not send traffic to them. */
  skipped?: Map<string, string[]>;
  /** How a message names another place in the file (default: its key path). */
  where?: (path: Path) => string;
}

export function checkReferences(input: unknown, { skipped = new Map(), where = formatPath }: ReferenceOptions = {}): Problem[] {
  const config = looseView(input);
  const problems: Problem[] = [];
  const names = new Map<string, Path>();
  const claim = (name: unknown, at: Path) => {
    if (typeof name !== 'string') return;
    const first = names.get(name);
    if (first) problems.push({ path: [...at, 'name'], message: `duplicate name "${name}": names must be unique among endpoints and routes (first used at ${where(first)})` });
    else names.set(name, at);
  };
  config.endpoints.forEach((e, i) => claim(e.name, ['endpoints', i]));
  config.routes.forEach((r, i) => claim(r.name, ['routes', i]));
  config.model_endpoints.forEach((e, i) => claim(e.name, ['model_endpoints', i]));

  // Only valid types are compared; a misspelled one was reported by the schema already.
  const typeOf = new Map<string, string>();
  const validType = (t: unknown) => (ENDPOINT_TYPES as readonly unknown[]).includes(t) ? String(t) : 'unknown';
  for (const e of config.endpoints) if (typeof e.name === 'string') typeOf.set(e.name, validType(e.endpoint_type));
  for (const r of config.routes) if (typeof r.name === 'string') typeOf.set(r.name, validType(r.task_type));
  for (const e of config.model_endpoints) if (typeof e.name === 'string') typeOf.set(e.name, String(e.endpoint_type));
  const known = [...typeOf.keys()];

  config.routes.forEach((route, i) => {
    const seen = new Set<string>();
    let total = 0;
    const destinations = Array.isArray(route.destinations) ? route.destinations : [];
    if (destinations.length === 0) return;
    destinations.forEach((d, j) => {
      const at: Path = ['routes', i, 'destinations', j, 'name'];
      total += typeof d?.traffic_percentage === 'number' ? d.traffic_percentage : 0;
      if (typeof d?.name !== 'string') return;
      if (seen.has(d.name)) problems.push({ path: at, message: `destination "${d.name}" is listed twice in route "${route.name}"` });
      seen.add(d.name);
      const type = typeOf.get(d.name);
      const unset = skipped.get(d.name);
      if (unset) {
        problems.push({ path: at, message: `destination "${d.name}" is left out because ${unset.join(', ')} ${unset.length === 1 ? 'is' : 'are'} not set (its requires_env); set ${unset.length === 1 ? 'it' : 'them'} or remove this destination` });
      } else if (type === undefined) {
        problems.push({ path: at, message: `destination "${d.name}" names no endpoint or route${didYouMean(d.name, known)}` });
      } else if (type !== 'unknown' && validType(route.task_type) !== 'unknown' && type !== route.task_type) {
        problems.push({ path: at, message: `destination "${d.name}" serves ${type}, but route "${route.name}" has task_type ${route.task_type}` });
      }
    });
    const strategy = route.routing_strategy ?? 'TRAFFIC_SPLIT';
    if (strategy === 'TRAFFIC_SPLIT' && total !== 100) {
      problems.push({ path: ['routes', i, 'destinations'], message: `traffic_percentage values of route "${route.name}" sum to ${total}; they must sum to 100` });
    }
    problems.push(...checkStrategyKeys(route, i));
  });

  problems.push(...findCycles(config));
  problems.push(...checkGuardrailReferences(input));
  problems.push(...checkCacheReferences(input));
  problems.push(...checkContextReferences(input));

  const paths = new Map<string, Path>();
  const checkPath = (path: unknown, at: Path) => {
    if (typeof path !== 'string' || !path) return;
    const reserved = reservedPrefix(path);
    if (reserved) problems.push({ path: at, message: `path "${path}" is served by the gateway itself (${reserved}); choose another path` });
    const first = paths.get(path);
    if (first) problems.push({ path: at, message: `path "${path}" is already used at ${where(first)}` });
    else paths.set(path, at);
  };
  config.endpoints.forEach((e, i) => checkPath(e.path, ['endpoints', i, 'path']));
  config.routes.forEach((r, i) => checkPath(r.path, ['routes', i, 'path']));
  config.model_endpoints.forEach((e, i) => checkPath(e.path, ['model_endpoints', i, 'path']));
  return problems;
}

/** Keys that only mean something under one strategy are refused under the others, so a typo in the strategy is not silent. */
function checkStrategyKeys(route: LooseRoute, i: number): Problem[] {
  const problems: Problem[] = [];
  const strategy = route.routing_strategy ?? 'TRAFFIC_SPLIT';
  const destinations = route.destinations ?? [];
  const only = (key: string, wanted: string, at: Path) => problems.push({ path: at, message: `${key} applies to routing_strategy ${wanted} only; route "${route.name}" is ${strategy}` });
  destinations.forEach((d, j) => {
    const at: Path = ['routes', i, 'destinations', j];
    if (strategy === 'TRAFFIC_SPLIT' && d?.traffic_percentage === undefined) {
      problems.push({ path: at, message: `destination "${d?.name}" needs a traffic_percentage: route "${route.name}" is a TRAFFIC_SPLIT` });
    }
    if (strategy !== 'TRAFFIC_SPLIT' && d?.traffic_percentage !== undefined) only('traffic_percentage', 'TRAFFIC_SPLIT', [...at, 'traffic_percentage']);
    if (strategy !== 'CONDITIONAL' && d?.when !== undefined) only('when', 'CONDITIONAL', [...at, 'when']);
    if (strategy !== 'LOAD_BALANCE' && d?.weight !== undefined) only('weight', 'LOAD_BALANCE', [...at, 'weight']);
  });
  if (strategy === 'CONDITIONAL') {
    const defaults = destinations.flatMap((d, j) => (d?.when === undefined ? [j] : []));
    const last = destinations.length - 1;
    if (defaults.length !== 1 || defaults[0] !== last) {
      problems.push({
        path: ['routes', i, 'destinations'],
        message: `the last destination of CONDITIONAL route "${route.name}" (and only the last) must have no \`when\`: it serves the requests no condition matches`,
      });
    }
  }
  if (route.sticky !== undefined) {
    if (strategy !== 'TRAFFIC_SPLIT') only('sticky', 'TRAFFIC_SPLIT', ['routes', i, 'sticky']);
    else if ((route.sticky.by === 'header') !== (route.sticky.header !== undefined)) {
      problems.push({ path: ['routes', i, 'sticky'], message: 'sticky.header names the header exactly when sticky.by is header' });
    }
  }
  return problems;
}

/** A route may send traffic to another route, but never back to itself. */
function findCycles(config: Required<Loose>): Problem[] {
  const routeIndex = new Map(config.routes.map((r, i) => [r.name as string, i]));
  const problems: Problem[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      problems.push({ path: ['routes', routeIndex.get(name)!, 'destinations'], message: `routes form a cycle: ${cycle.join(' -> ')}` });
      return;
    }
    state.set(name, 'visiting');
    const route = config.routes[routeIndex.get(name)!];
    for (const d of route.destinations ?? []) if (typeof d?.name === 'string' && routeIndex.has(d.name)) visit(d.name, [...trail, name]);
    state.set(name, 'done');
  };
  for (const route of config.routes) if (typeof route.name === 'string') visit(route.name, []);
  return problems;
}

function looseView(input: unknown): Required<Loose> {
  const value = (input ?? {}) as Loose;
  const objects = <T>(list: unknown): T[] => (Array.isArray(list) ? list.filter((x) => x && typeof x === 'object') : []);
  return { endpoints: objects(value.endpoints), routes: objects(value.routes), model_endpoints: objects(value.model_endpoints) };
}
