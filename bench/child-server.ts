// What every server the bench starts as a child process does: listen, announce its port on
// stdout as one JSON line, and never outlive the bench (SIGTERM, SIGINT or a closed stdin ends it).
import type http from 'node:http';

export function serveAsBenchChild(server: http.Server, port: number, host: string): void {
  server.listen(port, host, () => {
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : 0;
    process.stdout.write(`${JSON.stringify({ ready: true, port: bound })}\n`);
  });
  const shutdown = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
