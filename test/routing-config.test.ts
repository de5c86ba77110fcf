// Routing keys in the config: each strategy's keys are checked, with located reasons, and the
// combinations that cannot work are refused before they serve traffic.
import { describe, expect, it } from 'vitest';
import { issueAt, load } from './helpers/config.js';

const ENDPOINTS = `
endpoints:
  - name: a
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: a }
  - name: b
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: b }
`;

const withRoute = (route: string) => `${ENDPOINTS}routes:\n  - name: r\n    task_type: llm/v1/chat\n${route}`;

describe('routing config', () => {
  it('loads every strategy with its keys, and resilience keys on endpoints', () => {
    const yaml = `
endpoints:
  - name: a
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: a }
    retry: { attempts: 3, backoff: 100ms, on: [server_error, 503] }
    timeouts: { total: 60s, first_token: 5s }
    circuit_breaker: { failures: 5, window: 30s, cooldown: 10s }
    health_check: { interval: 15s, url: "http://localhost:8000/health" }
    price: { input_per_million: 0.15, output_per_million: 0.6 }
    capacity: { rpm: 600, tpm: 100000 }
  - name: b
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: b }
routes:
  - name: split
    task_type: llm/v1/chat
    sticky: { by: header, header: x-tenant }
    destinations: [{ name: a, traffic_percentage: 90 }, { name: b, traffic_percentage: 10 }]
  - name: fallback
    task_type: llm/v1/chat
    routing_strategy: FALLBACK
    fallback_on: [connection_error, timeout, context_length_exceeded, 404]
    destinations: [{ name: split }, { name: b }]
  - name: pool
    task_type: llm/v1/chat
    routing_strategy: LOAD_BALANCE
    balance: lowest_latency
    destinations: [{ name: a, weight: 2 }, { name: b }]
  - name: smart
    task_type: llm/v1/chat
    routing_strategy: CONDITIONAL
    destinations:
      - { name: pool, when: { header: { name: x-beta }, prompt_tokens: { over: 100 } } }
      - { name: fallback }
`;
    const result = load(yaml);
    expect(result.issues).toEqual([]);
    expect(result.config!.endpoints[0]).toMatchObject({
      retry: { attempts: 3, backoff: 100, max_backoff: 5000, max_retry_after: 30_000, on: ['server_error', 503] },
      timeouts: { total: 60_000, first_token: 5000 },
      circuit_breaker: { failures: 5, window: 30_000, cooldown: 10_000 },
      health_check: { interval: 15_000, timeout: 5000 },
    });
  });

  it('never falls back or retries on a 400: it would fail everywhere', () => {
    const result = load(withRoute('    routing_strategy: FALLBACK\n    fallback_on: [server_error, 400]\n    destinations: [{ name: a }, { name: b }]\n'));
    expect(issueAt(result, 'routes[0].fallback_on[1]').message).toMatch(/at least 401/);
  });

  it('needs traffic_percentage on TRAFFIC_SPLIT destinations, and refuses it elsewhere', () => {
    expect(issueAt(load(withRoute('    destinations: [{ name: a, traffic_percentage: 100 }, { name: b }]\n')), 'routes[0].destinations[1]').message).toMatch(
      /needs a traffic_percentage/,
    );
    const fallback = load(withRoute('    routing_strategy: FALLBACK\n    destinations: [{ name: a, traffic_percentage: 50 }, { name: b }]\n'));
    expect(issueAt(fallback, 'routes[0].destinations[0].traffic_percentage').message).toMatch(/applies to routing_strategy TRAFFIC_SPLIT only/);
  });

  it('refuses keys of another strategy', () => {
    const result = load(withRoute('    routing_strategy: FALLBACK\n    sticky: { by: user }\n    destinations: [{ name: a, weight: 2 }, { name: b, when: { tier: gold } }]\n'));
    expect(issueAt(result, 'routes[0].sticky').message).toMatch(/sticky applies to routing_strategy TRAFFIC_SPLIT only/);
    expect(issueAt(result, 'routes[0].destinations[0].weight').message).toMatch(/LOAD_BALANCE only/);
    expect(issueAt(result, 'routes[0].destinations[1].when').message).toMatch(/CONDITIONAL only/);
  });

  it('needs exactly one default destination, last, on a CONDITIONAL route', () => {
    const noDefault = load(withRoute('    routing_strategy: CONDITIONAL\n    destinations: [{ name: a, when: { tier: gold } }, { name: b, when: { tier: silver } }]\n'));
    expect(issueAt(noDefault, 'routes[0].destinations').message).toMatch(/must have no `when`/);
    const defaultFirst = load(withRoute('    routing_strategy: CONDITIONAL\n    destinations: [{ name: a }, { name: b, when: { tier: silver } }]\n'));
    expect(issueAt(defaultFirst, 'routes[0].destinations').message).toMatch(/must have no `when`/);
  });

  it('names the header of a header-sticky split', () => {
    const result = load(withRoute('    sticky: { by: header }\n    destinations: [{ name: a, traffic_percentage: 50 }, { name: b, traffic_percentage: 50 }]\n'));
    expect(issueAt(result, 'routes[0].sticky').message).toMatch(/sticky.header/);
  });

  it('loads an MLflow traffic route unchanged: no Gatehouse keys are added to it', () => {
    const result = load(withRoute('    destinations: [{ name: a, traffic_percentage: 50 }, { name: b, traffic_percentage: 50 }]\n'));
    expect(result.config!.routes[0]).toEqual({
      name: 'r',
      task_type: 'llm/v1/chat',
      routing_strategy: 'TRAFFIC_SPLIT',
      destinations: [
        { name: 'a', traffic_percentage: 50 },
        { name: 'b', traffic_percentage: 50 },
      ],
    });
  });
});
