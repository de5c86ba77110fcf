// Active health checks: an endpoint with `health_check` is probed every `interval`, with a GET of
// its `url` or else a one-token request to its model. A failed probe marks it unhealthy (routes
// skip it); a successful one marks it healthy again.
import type { EndpointRuntime } from '../core/runtime.js';
import { discardBody, upstreamRequest } from '../providers/http.js';
import type { CallOptions } from '../providers/types.js';
import type { LiveState } from './live.js';

interface HealthCheckSpec {
  interval: number;
  timeout: number;
  url?: string;
}

export class HealthChecker {
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly live: LiveState,
    private readonly endpoint: EndpointRuntime,
    private readonly spec: HealthCheckSpec,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.probe(), this.spec.interval);
    // Probes alone must not keep the process alive.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async probe(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const signal = AbortSignal.timeout(this.spec.timeout);
    try {
      await this.request(signal);
      this.live.setHealthy(true);
    } catch (err) {
      this.live.setHealthy(false, (err as Error).message);
    } finally {
      this.running = false;
    }
  }

  private async request(signal: AbortSignal): Promise<void> {
    const { spec, endpoint } = this;
    if (spec.url) {
      const res = await upstreamRequest({ url: spec.url, method: 'GET', headers: {}, signal, timeoutMs: spec.timeout, provider: endpoint.provider, secrets: [] });
      discardBody(res.body);
      return;
    }
    const opts: CallOptions = {
      model: endpoint.model,
      signal,
      timeoutMs: spec.timeout,
      requestId: 'health-check',
      unsupported: () => undefined,
      exposeHeader: () => undefined,
    };
    const { client } = endpoint;
    if (endpoint.type === 'llm/v1/embeddings') await client.embeddings?.({ input: 'ping' }, opts);
    else if (endpoint.type === 'llm/v1/moderations') await client.moderations?.({ input: 'ping' }, opts);
    else if (endpoint.type === 'llm/v1/completions' && client.completions) await client.completions({ prompt: 'ping', max_tokens: 1 }, opts);
    else await client.chat({ messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 }, opts);
  }
}
