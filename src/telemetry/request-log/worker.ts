// The request log's writer thread: it owns its own connection to the database and does all the
// writing (SQLite's inserts and commits are synchronous, and would otherwise stop the gateway's event
// loop for every batch). The gateway thread sends rows in small groups; this thread batches them.
// Protocol: see worker-channel.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../../store/database.js';
import { RowBatcher, type BatcherSettings } from './batcher.js';
import { rowSink } from './sink.js';
import type { ToWorker, WorkerData } from './worker-channel.js';

const port = parentPort!;
const data = workerData as WorkerData;
let settings: BatcherSettings = data.settings;

const store = await openStore(data.url, { migrate: false });
const batcher = new RowBatcher(rowSink(store), () => settings, data.flushIntervalMs, {
  settled: (written, dropped) => port.postMessage({ t: 'settled', written, dropped }),
  report: (level, fields, msg) => port.postMessage({ t: 'report', level, fields, msg }),
});

port.on('message', async (message: ToWorker) => {
  switch (message.t) {
    case 'rows':
      if (message.settings) settings = message.settings;
      batcher.add(message.rows);
      return;
    case 'flush':
      await batcher.flush();
      return port.postMessage({ t: 'reply', id: message.id, value: 0 });
    case 'purge':
      return port.postMessage({ t: 'reply', id: message.id, value: await batcher.purge(message.now) });
    case 'close': {
      const unwritten = await batcher.close();
      await store.close();
      port.postMessage({ t: 'reply', id: message.id, value: unwritten });
      return port.close();
    }
  }
});
