// Starts a real gateway on a random loopback port from a YAML string, for HTTP-level tests.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createGateway, type Gateway } from '../../src/gateway.js';

export interface TestGateway {
  url: string;
  gateway: Gateway;
  configFile: string;
  /** Replaces the config file's contents (for reload tests). */
  writeConfig(yaml: string): void;
  /** Access-log and gateway log lines written so far, parsed. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startGateway(yaml: string, opts: { env?: NodeJS.ProcessEnv; watch?: boolean } = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const configFile = join(dir, 'gatehouse.yaml');
  writeFileSync(configFile, yaml);
  const logs: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info', redact: { paths: (await import('../../src/telemetry/logger.js')).REDACT_PATHS, censor: '[redacted]' } },
    { write: (line: string) => void logs.push(JSON.parse(line)) },
  );
  // Each test gateway gets its own in-memory database unless the test names one.
  const env = { GATEHOUSE_DATABASE_URL: 'sqlite://:memory:', ...(opts.env ?? process.env) };
  const gateway = await createGateway({ configFile, env, logger, watch: opts.watch ?? false });
  await gateway.app.listen({ port: 0, host: '127.0.0.1' });
  const address = gateway.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    gateway,
    configFile,
    logs,
    writeConfig: (text) => writeFileSync(configFile, text),
    close: () => gateway.close(),
  };
}

/** A minimal config serving the mock provider on chat, completions and embeddings endpoints. */
export const MOCK_CONFIG = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat }
  - name: completions
    endpoint_type: llm/v1/completions
    model: { provider: mock, name: mock-complete }
  - name: embeddings
    endpoint_type: llm/v1/embeddings
    model: { provider: mock, name: mock-embed, config: { embedding_dimensions: 8 } }
`;
