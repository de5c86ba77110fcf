// Assembles a running gateway from a config file: load, build the runtime, build the server,
// watch for changes. Used by `gatehouse serve` and by the tests.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AccessControl } from './access/control.js';
import { LimiterRegistry } from './access/window-limiter.js';
import { ResponseCache } from './cache/service.js';
import { formatIssue, type ConfigIssue } from './config/issues.js';
import { loadConfigFile } from './config/load.js';
import { ConfigReloader } from './config/reloader.js';
import { ContextService } from './context/service.js';
import type { GatewayConfig } from './config/schema.js';
import { buildRuntime, GatewayState } from './core/runtime.js';
import { startRollout, type ConfigRollout } from './gitops/rollout/index.js';
import { buildServer } from './server.js';
import { AlertEngine } from './telemetry/alerts/engine.js';
import { createLogger } from './telemetry/logger.js';
import { startTracing } from './telemetry/tracing/index.js';
import { RequestLogWriter } from './telemetry/request-log/writer.js';
import { registerUsageAdmin } from './surfaces/admin/usage.js';

export interface GatewayOptions {
  configFile: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Watch the config file for changes (default true). */
  watch?: boolean;
}

export interface Gateway {
  app: FastifyInstance;
  state: GatewayState;
  reloader: ConfigReloader;
  /** Applied config versions (PUT /admin/config), shared by every replica on one database. */
  rollout: ConfigRollout;
  config: GatewayConfig;
  access: AccessControl;
  /** The request log's writer (src/telemetry/request-log). */
  requestLog: RequestLogWriter;
  /** Endpoints left out because their `requires_env` variables are not set. */
  skipped: { name: string; missing: string[] }[];
  log: Logger;
  close(): Promise<void>;
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid config:\n${issues.map(formatIssue).join('\n')}`);
  }
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const env = options.env ?? process.env;
  const loaded = loadConfigFile(options.configFile, env);
  if (!loaded.config) throw new ConfigError(loaded.issues);
  const config = loaded.config;
  const log = options.logger ?? createLogger(env.GATEHOUSE_LOG_LEVEL ?? config.server.log_level);
  const limiters = new LimiterRegistry();
  const cache = new ResponseCache();
  const state = new GatewayState(buildRuntime(config, options.configFile, limiters, { cache, prompts: loaded.prompts }), log);
  const access = await AccessControl.open(state, env, log);
  try {
    cache.attach(access.shared, config);
  } catch (err) {
    await access.close();
    throw err;
  }
  const tracing = await startTracing(config.telemetry.tracing, env, log);
  const alerts = new AlertEngine({ config: () => state.current.config.telemetry.alerts, log, spend: (scope, from) => access.ledger.total(scope, from), shared: access.shared });
  const requestLog = new RequestLogWriter(access.store, () => state.current.config.request_log, log);
  const observers = tracing ? [requestLog.observe, tracing.observer, alerts.observer] : [requestLog.observe, alerts.observer];
  const context = new ContextService(access.store, access.shared, state, log);
  const app = buildServer({ state, log, bodyLimit: config.server.body_limit, trustProxy: config.server.trust_proxy, access, observers, tracing, cache, context });
  registerUsageAdmin(app, state, access.store.db, requestLog, log);
  const reloader = new ConfigReloader(options.configFile, state, limiters, log, env, cache);
  const rollout = await startRollout({ app, state, reloader, access, log, configFile: options.configFile });
  if (options.watch !== false) reloader.watch();
  return {
    app,
    state,
    reloader,
    rollout,
    config,
    access,
    requestLog,
    skipped: loaded.skipped ?? [],
    log,
    async close() {
      reloader.close();
      rollout.close();
      state.close();
      // Connections of requests still in flight go idle only once they are answered; close()
      // closes the idle ones just once, so keep closing them or keep-alive clients hold it open.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
      await app.close().finally(() => clearInterval(sweep));
      // After the server has finished its requests, so every one of them is written.
      await requestLog.close();
      await alerts.close();
      await tracing?.shutdown();
      // Session turns written behind the responses are saved before the store closes.
      await context.close();
      await access.close();
      log.flush?.();
    },
  };
}
