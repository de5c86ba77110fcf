// The runtime form of a loaded config: provider clients built, names and paths indexed.
// A runtime is immutable; a reload builds a new one and swaps it in (see GatewayState).
import type { LimiterRegistry, WindowLimiter } from '../access/window-limiter.js';
import type { GatewayConfig, EndpointConfig, EndpointType } from '../config/schema.js';
import { findProvider } from '../providers/index.js';
import type { ProviderClient } from '../providers/types.js';

export interface EndpointRuntime {
  kind: 'endpoint';
  name: string;
  type: EndpointType;
  provider: string;
  model: string;
  client: ProviderClient;
  limiter?: WindowLimiter;
  timeoutMs: number;
  dropUnsupportedParams: boolean;
  config: EndpointConfig;
}

export interface RouteRuntime {
  kind: 'route';
  name: string;
  type: EndpointType;
  path?: string;
  /** Cumulative weights for a binary-free linear pick (routes have few destinations). */
  destinations: { target: Target; upTo: number }[];
  strategy: 'TRAFFIC_SPLIT';
}

export type Target = EndpointRuntime | RouteRuntime;

export interface Runtime {
  config: GatewayConfig;
  targets: Map<string, Target>;
  /** Custom public paths declared in config. */
  paths: Map<string, Target>;
  loadedAt: Date;
  source: string;
}

export function buildRuntime(config: GatewayConfig, source: string, limiters: LimiterRegistry): Runtime {
  const targets = new Map<string, Target>();
  const paths = new Map<string, Target>();
  const inUse = new Set<WindowLimiter>();
  for (const endpoint of config.endpoints) {
    const provider = findProvider(endpoint.model.provider);
    if (!provider) throw new Error(`unknown provider ${endpoint.model.provider}`); // validated already
    const limiter = endpoint.limit ? limiters.get(endpoint.name, endpoint.limit) : undefined;
    if (limiter) inUse.add(limiter);
    const runtime: EndpointRuntime = {
      kind: 'endpoint',
      name: endpoint.name,
      type: endpoint.endpoint_type,
      provider: provider.name,
      model: endpoint.model.name,
      client: provider.create({ name: endpoint.model.name, config: endpoint.model.config }),
      limiter,
      timeoutMs: endpoint.timeout,
      dropUnsupportedParams: endpoint.drop_unsupported_params,
      config: endpoint,
    };
    targets.set(endpoint.name, runtime);
    if (endpoint.path) paths.set(endpoint.path, runtime);
  }
  const routes: RouteRuntime[] = config.routes.map((route) => ({
    kind: 'route',
    name: route.name,
    type: route.task_type,
    path: route.path,
    destinations: [],
    strategy: route.routing_strategy,
  }));
  for (const route of routes) targets.set(route.name, route);
  // Destinations are linked after every name exists, since a route may point at a later route.
  config.routes.forEach((route, i) => {
    let upTo = 0;
    for (const d of route.destinations) {
      upTo += d.traffic_percentage;
      if (d.traffic_percentage > 0) routes[i].destinations.push({ target: targets.get(d.name)!, upTo });
    }
    if (route.path) paths.set(route.path, routes[i]);
  });
  limiters.retain(inUse);
  return { config, targets, paths, loadedAt: new Date(), source };
}

/** Follows routes down to one endpoint. */
export function pickEndpoint(target: Target, random: () => number = Math.random): { endpoint: EndpointRuntime; route?: string } {
  let route: string | undefined;
  let current = target;
  while (current.kind === 'route') {
    route ??= current.name;
    const roll = random() * 100;
    const choice = current.destinations.find((d) => roll < d.upTo) ?? current.destinations[current.destinations.length - 1];
    current = choice.target;
  }
  return { endpoint: current, route };
}

/** Holds the current runtime. Each request reads it once, so in-flight requests finish on the runtime they started with. */
export class GatewayState {
  constructor(public current: Runtime) {}

  swap(next: Runtime): Runtime {
    const previous = this.current;
    this.current = next;
    return previous;
  }
}
