// A fake external guardrail service for the webhook rule: records each POST and answers with the
// queued reply (default {"allowed": true}); `startSilentServer` accepts connections and never answers.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRecordingServer, type RecordingServer, type Reply } from './recording-server.js';

export function startFakeGuardrailService(): Promise<RecordingServer<Reply>> {
  return startRecordingServer<Reply>((_req, reply) => (reply.status || reply.json ? reply : { json: { allowed: true } }));
}

export async function startSilentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
