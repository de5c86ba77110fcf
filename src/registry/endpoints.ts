// The mlflow-model endpoints of one runtime, and their watchers' lifecycle across reloads: like
// health checkers (src/routing/health.ts), watchers start when their runtime goes live, carry over
// a reload that leaves their endpoint unchanged, and stop when their runtime is replaced or closed.
import type { Logger } from 'pino';
import type { LimiterRegistry, WindowLimiter } from '../access/window-limiter.js';
import type { GatewayConfig, ModelEndpointConfig } from '../config/schema.js';
import { registryConnection } from './client.js';
import { reportWatcher, watcherMetrics } from './metrics.js';
import { MODEL_ENDPOINT_TYPE } from './schema.js';
import { VersionWatcher } from './watcher.js';

export interface ModelEndpoint {
  name: string;
  config: ModelEndpointConfig;
  watcher: VersionWatcher;
  limiter?: WindowLimiter;
  timeoutMs: number;
  /** The endpoint's and the registry's settings as text: equal keys mean the watcher may carry over a reload. */
  liveKey: string;
  /** What access control reads of it (permissions, limits, open endpoints): an endpoint reaching the registered model. */
  access: { kind: 'endpoint'; name: string; model: string; type: typeof MODEL_ENDPOINT_TYPE };
}

export class ModelEndpoints {
  private readonly byName = new Map<string, ModelEndpoint>();
  private readonly byPath = new Map<string, ModelEndpoint>();

  constructor(readonly list: readonly ModelEndpoint[]) {
    for (const endpoint of list) {
      this.byName.set(endpoint.name, endpoint);
      if (endpoint.config.path) this.byPath.set(endpoint.config.path, endpoint);
    }
  }

  get(name: string): ModelEndpoint | undefined {
    return this.byName.get(name);
  }

  /** The endpoint a config-declared public path (`path:`) serves. */
  atPath(path: string): ModelEndpoint | undefined {
    return this.byPath.get(path);
  }

  /**
   * Takes over the running watchers of unchanged endpoints. A changed endpoint gets a new watcher,
   * which serves the version being served now until its first poll answers, so a reload that only
   * touches settings never interrupts traffic.
   */
  adopt(previous: ModelEndpoints): void {
    for (const endpoint of this.list) {
      const old = previous.get(endpoint.name);
      if (!old) continue;
      if (old.liveKey === endpoint.liveKey) endpoint.watcher = old.watcher;
      else if (old.config.model.name === endpoint.config.model.name) endpoint.watcher.seed(old.watcher.current);
    }
  }

  start(log?: Logger): void {
    for (const { watcher } of this.list) {
      watcher.start(log);
      reportWatcher(watcher, true);
    }
  }

  /** Stops the watchers that `next` did not take over. */
  retire(next: ModelEndpoints): void {
    for (const { name, watcher } of this.list) if (next.get(name)?.watcher !== watcher) this.stopWatcher(watcher);
  }

  stop(): void {
    for (const { watcher } of this.list) this.stopWatcher(watcher);
  }

  private stopWatcher(watcher: VersionWatcher): void {
    watcher.stop();
    reportWatcher(watcher, false);
  }
}

/** Builds the runtime form of the config's mlflow-model endpoints; their limiters are added to `inUse`. */
export function buildModelEndpoints(config: GatewayConfig, limiters: LimiterRegistry, inUse: Set<WindowLimiter>): ModelEndpoints {
  if (config.model_endpoints.length === 0) return new ModelEndpoints([]);
  const settings = config.mlflow;
  if (!settings) throw new Error('mlflow-model endpoints need the mlflow: settings'); // filled in at load
  const connection = registryConnection(settings);
  return new ModelEndpoints(
    config.model_endpoints.map((endpoint) => {
      const limiter = endpoint.limit ? limiters.get(endpoint.name, endpoint.limit) : undefined;
      if (limiter) inUse.add(limiter);
      const serving = { template: endpoint.serving_url ?? settings.serving_url, tag: endpoint.serving_url_tag ?? settings.serving_url_tag };
      const interval = endpoint.poll_interval ?? settings.poll_interval;
      return {
        name: endpoint.name,
        config: endpoint,
        watcher: new VersionWatcher(endpoint.name, endpoint.model, connection, serving, interval, watcherMetrics),
        limiter,
        timeoutMs: endpoint.timeout,
        liveKey: JSON.stringify([endpoint, settings]),
        access: { kind: 'endpoint', name: endpoint.name, model: endpoint.model.name, type: MODEL_ENDPOINT_TYPE },
      };
    }),
  );
}
