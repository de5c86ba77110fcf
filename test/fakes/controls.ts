// The test-side handle every fake upstream returns: the requests it recorded, behaviours queued for
// the next requests (each request takes the next one, or a plain answer when none is left), a reset
// between tests and a shutdown that does not wait for idle keep-alive connections.
import type { Server } from 'node:http';

export interface FakeControls<R, B> {
  requests: R[];
  last(): R;
  next(...behaviours: B[]): void;
  reset(): void;
  close(): Promise<void>;
}

/** `queue` is the fake's own list (it shifts from it per request); `onReset` clears any other state it keeps. */
export function fakeControls<R, B>(server: Server, requests: R[], queue: B[], onReset?: () => void): FakeControls<R, B> {
  return {
    requests,
    last: () => {
      if (requests.length === 0) throw new Error('the fake upstream has received no request');
      return requests[requests.length - 1];
    },
    next: (...behaviours) => void queue.push(...behaviours),
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      onReset?.();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
