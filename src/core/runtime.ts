// The runtime form of a loaded config: provider clients built, names and paths indexed, routes
// linked to their destinations. A runtime is immutable once in service; a reload builds a new one
// and swaps it in (see GatewayState), carrying over the live routing state of unchanged endpoints.
import type { Logger } from 'pino';
import type { LimiterRegistry, WindowLimiter } from '../access/window-limiter.js';
import { compileCachePolicy, type CachePolicy } from '../cache/policy.js';
import type { ResponseCache } from '../cache/service.js';
import type { GatewayConfig, EndpointConfig, EndpointType, RouteConfig } from '../config/schema.js';
import { compileContextPolicy, type ContextPolicy } from '../context/policy.js';
import { compileStageRules, type StageRules } from '../guardrails/stage/index.js';
import { EMPTY_PROMPTS, type PromptLibrary } from '../prompts/library.js';
import { findProvider } from '../providers/index.js';
import type { ProviderClient } from '../providers/types.js';
import { Balancer } from '../routing/balance.js';
import { DEFAULT_FALLBACK_ON, type RoutingStrategy, type Trigger } from '../routing/config.js';
import { HealthChecker } from '../routing/health.js';
import { LiveState } from '../routing/live.js';
import type { StickySpec } from '../routing/sticky.js';
import { previewChoice, type RouteDestination } from '../routing/strategy.js';
import { buildModelEndpoints, type ModelEndpoints } from '../registry/endpoints.js';
import { endpointAccounting, type EndpointAccounting } from '../telemetry/pricing.js';

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
  /** In flight, latency, breaker, health, usage: replaced by the running one on swap when the config is unchanged. */
  live: LiveState;
  /** The endpoint's config as text: equal texts mean the live state may carry over a reload. */
  liveKey: string;
  /** Retries, timeouts, a breaker, health checks or a capacity are configured: requests take the routed path. */
  guarded: boolean;
  healthChecker?: HealthChecker;
  /** Compiled guardrails for requests that name this endpoint; absent when it has none. */
  guardrails?: StageRules;
  /** Response caching for requests that name this endpoint; absent when it is not cached. */
  cache?: CachePolicy;
  /** Context-window management of requests that name this endpoint; absent when it has none. */
  context?: ContextPolicy;
  /** Its price and whether its bodies are logged, resolved with the config. */
  accounting: EndpointAccounting;
}

export interface RouteRuntime {
  kind: 'route';
  name: string;
  type: EndpointType;
  path?: string;
  strategy: RoutingStrategy;
  destinations: RouteDestination[];
  sticky?: StickySpec;
  fallbackOn: Trigger[];
  balancer?: Balancer;
  /** Compiled guardrails for requests that name this route (its destinations' own do not apply). */
  guardrails?: StageRules;
  /** Response caching for requests that name this route (its destinations' own does not apply). */
  cache?: CachePolicy;
  /** Context-window management of requests that name this route. */
  context?: ContextPolicy;
}

export type Target = EndpointRuntime | RouteRuntime;

export interface Runtime {
  config: GatewayConfig;
  targets: Map<string, Target>;
  /** Custom public paths declared in config. */
  paths: Map<string, Target>;
  /** Endpoints serving MLflow registry models (endpoint_type mlflow-model): outside routing, invoked with scoring payloads. */
  models: ModelEndpoints;
  /** The prompts compiled from the config's prompts folder (empty when it uses none). */
  prompts: PromptLibrary;
  loadedAt: Date;
  source: string;
}

/** What a runtime is built with besides the config: the process's cached answers (without them no target is cached) and the compiled prompts. */
export interface RuntimeExtras {
  cache?: ResponseCache;
  prompts?: PromptLibrary;
}

export function buildRuntime(config: GatewayConfig, source: string, limiters: LimiterRegistry, { cache, prompts = EMPTY_PROMPTS }: RuntimeExtras = {}): Runtime {
  const targets = new Map<string, Target>();
  const paths = new Map<string, Target>();
  const inUse = new Set<WindowLimiter>();
  for (const endpoint of config.endpoints) {
    const limiter = endpoint.limit ? limiters.get(endpoint.name, endpoint.limit) : undefined;
    if (limiter) inUse.add(limiter);
    const runtime = buildEndpoint(endpoint, limiter, config);
    targets.set(endpoint.name, runtime);
    if (endpoint.path) paths.set(endpoint.path, runtime);
  }
  const routes = config.routes.map(emptyRoute);
  for (const route of routes) targets.set(route.name, route);
  // Destinations are linked after every name exists, since a route may point at a later route.
  config.routes.forEach((route, i) => {
    routes[i].destinations = route.destinations.map((d, index) => ({
      index,
      name: d.name,
      target: targets.get(d.name)!,
      percentage: d.traffic_percentage ?? 0,
      weight: d.weight ?? 1,
      when: d.when,
    }));
    if (route.routing_strategy === 'LOAD_BALANCE') routes[i].balancer = new Balancer(route.balance ?? 'round_robin', routes[i].destinations);
    if (route.path) paths.set(route.path, routes[i]);
  });
  // Compiled once every name exists, since a rule may route to any endpoint or route.
  const sections = [...config.endpoints, ...config.routes.map((r) => ({ ...r, endpoint_type: r.task_type }))];
  for (const { name, endpoint_type, guardrails, context } of sections) {
    if (guardrails) targets.get(name)!.guardrails = compileStageRules(guardrails, endpoint_type, targets);
    if (context) targets.get(name)!.context = compileContextPolicy(context, config.context, targets);
  }
  const models = buildModelEndpoints(config, limiters, inUse);
  if (cache) {
    for (const section of sections) {
      if (section.endpoint_type !== 'llm/v1/embeddings') targets.get(section.name)!.cache = compileCachePolicy(section.name, section.cache, config, targets, cache);
    }
  }
  limiters.retain(inUse);
  return { config, targets, paths, models, prompts, loadedAt: new Date(), source };
}

function buildEndpoint(endpoint: EndpointConfig, limiter: WindowLimiter | undefined, config: GatewayConfig): EndpointRuntime {
  const provider = findProvider(endpoint.model.provider);
  if (!provider) throw new Error(`unknown provider ${endpoint.model.provider}`); // validated already
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
    live: new LiveState(endpoint.name, endpoint.circuit_breaker),
    liveKey: JSON.stringify(endpoint),
    guarded: Boolean(endpoint.retry || endpoint.timeouts || endpoint.circuit_breaker || endpoint.health_check || endpoint.capacity),
    accounting: endpointAccounting(endpoint, config),
  };
  if (endpoint.health_check) runtime.healthChecker = new HealthChecker(runtime.live, runtime, endpoint.health_check);
  return runtime;
}

function emptyRoute(route: RouteConfig): RouteRuntime {
  return {
    kind: 'route',
    name: route.name,
    type: route.task_type,
    path: route.path,
    strategy: route.routing_strategy,
    destinations: [],
    sticky: route.sticky,
    fallbackOn: route.fallback_on ?? DEFAULT_FALLBACK_ON,
  };
}

/** Follows routes down to one endpoint without a request (for estimates); requests themselves are routed by src/routing/dispatch.ts. */
export function pickEndpoint(target: Target): { endpoint: EndpointRuntime; route?: string } {
  let route: string | undefined;
  let current = target;
  while (current.kind === 'route') {
    route ??= current.name;
    current = previewChoice(current).target;
  }
  return { endpoint: current, route };
}

/** Holds the current runtime. Each request reads it once, so in-flight requests finish on the runtime they started with. */
export class GatewayState {
  /** `log` receives routing events that happen outside requests: breaker and health changes. */
  constructor(
    public current: Runtime,
    private readonly log?: Logger,
  ) {
    this.goLive(current);
  }

  swap(next: Runtime): Runtime {
    const previous = this.current;
    const kept = carryOver(previous, next);
    next.models.adopt(previous.models);
    this.goLive(next);
    for (const target of previous.targets.values()) {
      if (target.kind === 'endpoint' && !kept.has(target.live)) target.healthChecker?.stop();
    }
    previous.models.retire(next.models);
    this.current = next;
    return previous;
  }

  /** Hands the endpoints' live state the logger and starts their health checks. */
  private goLive(runtime: Runtime): void {
    for (const target of runtime.targets.values()) {
      if (target.kind !== 'endpoint') continue;
      target.live.log = this.log;
      target.healthChecker?.start();
    }
    runtime.models.start(this.log);
  }

  /** Stops background work (health probes, registry polls). */
  close(): void {
    for (const target of this.current.targets.values()) if (target.kind === 'endpoint') target.healthChecker?.stop();
    this.current.models.stop();
  }
}

/**
 * Gives each unchanged endpoint of `next` the live state (breaker, latency, in flight, usage,
 * health and its checker) of the running one, so a reload such as a canary promotion neither
 * resets breakers nor loses count of requests in flight. Returns the live states kept.
 */
function carryOver(previous: Runtime, next: Runtime): Set<LiveState> {
  const kept = new Set<LiveState>();
  for (const target of next.targets.values()) {
    if (target.kind !== 'endpoint') continue;
    const old = previous.targets.get(target.name);
    if (old?.kind !== 'endpoint' || old.liveKey !== target.liveKey) continue;
    target.live = old.live;
    target.healthChecker = old.healthChecker;
    kept.add(old.live);
  }
  return kept;
}
