// `gatehouse serve`: starts the gateway, prints where it listens and what it serves, reloads the
// config on SIGHUP, and finishes in-flight requests before exiting on SIGTERM/SIGINT.
import type { RouteConfig } from '../config/schema.js';
import { formatIssue } from '../config/issues.js';
import { ConfigError, createGateway, type Gateway } from '../gateway.js';
import { describeRegisteredModel } from '../registry/schema.js';

export interface ServeOptions {
  config: string;
  /** From --port or GATEHOUSE_PORT; the config's server.port otherwise. */
  port?: string;
  /** From --host or GATEHOUSE_HOST; the config's server.host otherwise. */
  host?: string;
  watch: boolean;
}

/** Longest wait for in-flight requests on shutdown before the process exits anyway. */
const DRAIN_LIMIT_MS = 30_000;

export async function serve(opts: ServeOptions): Promise<void> {
  const port = opts.port === undefined ? undefined : parsePort(opts.port);
  if (port === null) exitWith(`port "${opts.port}" is not a TCP port number (0 to 65535)`);

  let gateway: Gateway;
  try {
    gateway = await createGateway({ configFile: opts.config, watch: opts.watch });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const issue of err.issues) console.error(formatIssue(issue));
    exitWith(`${opts.config} is not a valid config; nothing started.`);
  }
  // From here on a SIGHUP reloads: its default action would end the process.
  handleSignals(gateway);

  const host = opts.host ?? gateway.config.server.host;
  try {
    await gateway.app.listen({ port: port ?? gateway.config.server.port, host });
  } catch (err) {
    exitWith(`cannot listen on ${host}:${port ?? gateway.config.server.port}: ${(err as Error).message}`);
  }
  process.stderr.write(banner(gateway, opts, host));
}

function handleSignals(gateway: Gateway): void {
  process.on('SIGHUP', () => gateway.reloader.reload('SIGHUP'));
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    gateway.log.info({ signal }, 'shutting down: finishing in-flight requests');
    setTimeout(() => process.exit(1), DRAIN_LIMIT_MS).unref();
    await gateway.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** What a person starting the gateway wants to see: where it answers, what it serves, where state lives. */
function banner(gateway: Gateway, opts: ServeOptions, host: string): string {
  const address = gateway.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const everywhere = host === '0.0.0.0' || host === '::';
  const url = `http://${everywhere ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${port}`;
  const { endpoints, routes, model_endpoints } = gateway.config;
  return [
    `Gatehouse listening on ${url}${everywhere ? ` (all interfaces, ${host})` : ''}`,
    `  config: ${opts.config} (${opts.watch ? 'reloaded when it changes and on SIGHUP' : 'reloaded on SIGHUP'})`,
    `  data: ${gateway.access.describe().data} (keys, teams, audit log, spend, request log)`,
    `  shared state: ${gateway.access.describe().shared}`,
    `  endpoints (${endpoints.length + model_endpoints.length}):`,
    ...endpoints.map((e) => `    ${e.name}  ${e.endpoint_type}  ${e.model.provider}/${e.model.name}${e.path ? `  also at ${e.path}` : ''}`),
    ...gateway.skipped.map((s) => `    ${s.name}  skipped: set ${s.missing.join(', ')} to serve it`),
    ...model_endpoints.map((e) => `    ${e.name}  mlflow-model  ${describeRegisteredModel(e.model)}${e.path ? `  also at ${e.path}` : ''}`),
    `  routes (${routes.length}):`,
    ...routes.map((r) => `    ${r.name}  ${r.task_type}  ${describeDestinations(r)}`),
    `  try: curl ${url}/v1/models`,
    '',
  ].join('\n');
}

/** A whole number 0..65535 (0: any free port), or null. */
function parsePort(text: string): number | null {
  if (!/^\s*\d+\s*$/.test(text)) return null;
  const port = Number(text);
  return port <= 65535 ? port : null;
}

function exitWith(message: string): never {
  console.error(`gatehouse: ${message}`);
  process.exit(1);
}

/** "chat 90%, chat-next 10%" for a split; "FALLBACK: primary -> backup" for the other strategies. */
function describeDestinations(route: RouteConfig): string {
  if (route.routing_strategy === 'TRAFFIC_SPLIT') return route.destinations.map((d) => `${d.name} ${d.traffic_percentage}%`).join(', ');
  return `${route.routing_strategy}: ${route.destinations.map((d) => d.name).join(' -> ')}`;
}
