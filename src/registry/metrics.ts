// Registry metrics, read from the running watchers at scrape time: which version each mlflow-model
// endpoint serves, whether its last registry poll succeeded, and how many polls failed.
import { Counter, Gauge } from 'prom-client';
import { registry } from '../telemetry/metrics.js';
import type { VersionWatcher, WatcherEvents } from './watcher.js';

const running = new Set<VersionWatcher>();

new Gauge({
  name: 'gatehouse_mlflow_model_version_info',
  help: 'The registry model version each mlflow-model endpoint serves (value 1; the version is a label).',
  labelNames: ['endpoint', 'model', 'version'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const w of running) if (w.current) this.set({ endpoint: w.endpoint, model: w.model.name, version: w.current.version }, 1);
  },
});

new Gauge({
  name: 'gatehouse_mlflow_registry_up',
  help: "1 when the endpoint's last registry poll succeeded, 0 when it failed (the last known version keeps serving).",
  labelNames: ['endpoint'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const w of running) this.set({ endpoint: w.endpoint }, w.lastError === undefined && w.current ? 1 : 0);
  },
});

const pollFailures = new Counter({
  name: 'gatehouse_mlflow_registry_poll_failures_total',
  help: 'Registry polls that failed, by endpoint.',
  labelNames: ['endpoint'] as const,
  registers: [registry],
});

const versionChanges = new Counter({
  name: 'gatehouse_mlflow_model_version_changes_total',
  help: 'Times an endpoint switched to another model version (promotions seen), by endpoint.',
  labelNames: ['endpoint'] as const,
  registers: [registry],
});

export const watcherMetrics: WatcherEvents = {
  changed: (w) => versionChanges.inc({ endpoint: w.endpoint }),
  failed: (w) => pollFailures.inc({ endpoint: w.endpoint }),
};

/** Watchers report in the gauges while they run. */
export const reportWatcher = (w: VersionWatcher, on: boolean) => void (on ? running.add(w) : running.delete(w));
