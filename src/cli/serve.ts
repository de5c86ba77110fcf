// `gatehouse serve`: starts the gateway, prints where it listens and what it serves,
// reloads on SIGHUP, and drains in-flight requests on SIGTERM/SIGINT.
import { ConfigError, createGateway } from '../gateway.js';
import { formatIssue } from '../config/issues.js';

export interface ServeOptions {
  config: string;
  port?: string;
  host?: string;
  watch: boolean;
}

export async function serve(opts: ServeOptions): Promise<void> {
  let gateway;
  try {
    gateway = await createGateway({ configFile: opts.config, watch: opts.watch });
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const issue of err.issues) console.error(formatIssue(issue));
      console.error(`gatehouse: ${opts.config} is not a valid config; nothing started.`);
      process.exit(1);
    }
    throw err;
  }
  const port = Number(opts.port ?? process.env.GATEHOUSE_PORT ?? gateway.config.server.port);
  const host = opts.host ?? process.env.GATEHOUSE_HOST ?? gateway.config.server.host;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`gatehouse: port "${opts.port ?? process.env.GATEHOUSE_PORT}" is not a TCP port number`);
    process.exit(1);
  }
  try {
    await gateway.app.listen({ port, host });
  } catch (err) {
    console.error(`gatehouse: cannot listen on ${host}:${port}: ${(err as Error).message}`);
    process.exit(1);
  }
  const address = gateway.app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const { endpoints, routes } = gateway.config;
  const skipped = gateway.skipped.map((s) => `    ${s.name}  skipped: set ${s.missing.join(', ')} to serve it`);
  const lines = [
    `Gatehouse listening on http://${shownHost}:${boundPort}`,
    `  config: ${opts.config}${opts.watch ? ' (watched; SIGHUP reloads)' : ' (SIGHUP reloads)'}`,
    '  state: in memory in this process (rate-limit windows); nothing is written to disk',
    `  endpoints (${endpoints.length}):`,
    ...endpoints.map((e) => `    ${e.name}  ${e.endpoint_type}  ${e.model.provider}/${e.model.name}${e.path ? `  also at ${e.path}` : ''}`),
    ...skipped,
    `  routes (${routes.length}):`,
    ...routes.map((r) => `    ${r.name}  ${r.task_type}  ${r.destinations.map((d) => `${d.name} ${d.traffic_percentage}%`).join(', ')}`),
    `  try: curl http://${shownHost}:${boundPort}/v1/models`,
  ];
  process.stderr.write(`${lines.join('\n')}\n`);

  process.on('SIGHUP', () => gateway.reloader.reload('SIGHUP'));
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    gateway.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    await gateway.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
