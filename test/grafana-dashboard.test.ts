// deploy/grafana/gatehouse.json: every query names metrics the gateway exports (read from its own
// Prometheus registry, histograms with their _bucket/_sum/_count series), or one of the names the
// request log, cost and cache work adds; and every gateway metric has a panel.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registry } from '../src/telemetry/metrics.js';

/** Metrics exported by the request log, cost accounting and the response cache. */
const ADDED_ELSEWHERE = [
  'gatehouse_cost_usd_total',
  'gatehouse_request_log_queue_depth',
  'gatehouse_request_log_dropped_total',
  'gatehouse_cache_requests_total',
  'gatehouse_cache_saved_usd_total',
];

interface Panel {
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(new URL('../deploy/grafana/gatehouse.json', import.meta.url), 'utf8')) as { uid: string; title: string; panels: Panel[]; templating: { list: { name: string }[] } };
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');

async function exportedSeries(): Promise<Map<string, string>> {
  const series = new Map<string, string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    series.set(metric.name, metric.name);
    // prom-client types `type` as an enum, but reports the Prometheus type name.
    if (['histogram', 'summary'].includes(String(metric.type))) for (const suffix of ['_bucket', '_sum', '_count']) series.set(metric.name + suffix, metric.name);
  }
  for (const name of ADDED_ELSEWHERE) series.set(name, name);
  return series;
}

/** Brackets and quotes pair up: a typo in a hand-edited query fails here rather than in Grafana. */
function balanced(expr: string): boolean {
  const open: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  let quoted = false;
  for (const ch of expr) {
    if (ch === '"') quoted = !quoted;
    else if (quoted) continue;
    else if ('([{'.includes(ch)) open.push(ch);
    else if (ch in pairs && open.pop() !== pairs[ch]) return false;
  }
  return open.length === 0 && !quoted;
}

describe('Grafana dashboard', () => {
  it('is a dashboard with a data source variable and laid-out panels', () => {
    expect(dashboard.uid).toBe('gatehouse-overview');
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'endpoint']);
    expect(panels.length).toBeGreaterThan(20);
    for (const panel of panels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
  });

  it('queries only metrics that exist', async () => {
    const series = await exportedSeries();
    const unknown: string[] = [];
    for (const panel of panels) {
      for (const { expr } of panel.targets ?? []) {
        expect(balanced(expr), `${panel.title}: ${expr}`).toBe(true);
        const names = expr.match(/\bgatehouse_[a-z0-9_]+/g) ?? [];
        expect(names.length, `${panel.title}: ${expr}`).toBeGreaterThan(0);
        unknown.push(...names.filter((n) => !series.has(n)).map((n) => `${panel.title}: ${n}`));
      }
    }
    expect(unknown).toEqual([]);
  });

  it('shows every request, latency, token, limit, guardrail and routing metric', async () => {
    const used = new Set(panels.flatMap((p) => (p.targets ?? []).flatMap((t) => t.expr.match(/\bgatehouse_[a-z0-9_]+/g) ?? [])));
    const series = await exportedSeries();
    const shown = new Set([...used].map((n) => series.get(n)));
    const own = [...new Set(series.values())].filter((n) => !/^gatehouse_(process|nodejs)_/.test(n));
    expect(own.filter((n) => !shown.has(n))).toEqual([]);
  });
});
