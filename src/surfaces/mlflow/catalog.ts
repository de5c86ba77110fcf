// The JSON MLflow's REST API gives for endpoints and routes, built from the loaded config.
import type { EndpointConfig, RouteConfig } from '../../config/schema.js';
import type { ModelEndpoint } from '../../registry/endpoints.js';

/** MLflow advertises the /gateway/ form of the invocation URL, relative to the server. */
export const invocationUrl = (name: string) => `/gateway/${name}/invocations`;

/** What the listings show of an endpoint: a provider model, or a registry model with the version served now. */
export type Listed = { kind: 'provider'; config: EndpointConfig } | { kind: 'registry'; endpoint: ModelEndpoint };

function describeListed(listed: Listed) {
  const config = listed.kind === 'provider' ? listed.config : listed.endpoint.config;
  const limit = config.limit;
  return {
    name: config.name,
    type: config.endpoint_type,
    model:
      listed.kind === 'provider'
        ? { name: listed.config.model.name, provider: listed.config.model.provider }
        : { ...listed.endpoint.config.model, provider: config.endpoint_type, version: listed.endpoint.watcher.current?.version ?? null },
    // `key` shows how Gatehouse counts (client_ip or global); MLflow's field is free text and unused.
    limit: limit ? { calls: limit.calls, key: limit.key, renewal_period: limit.renewal_period } : null,
  };
}

/** An item of GET /api/2.0/endpoints/ (MLflow's `Endpoint`). */
export function endpointItem(listed: Listed) {
  const { name, type, model, limit } = describeListed(listed);
  return { name, endpoint_type: type, model, endpoint_url: invocationUrl(name), limit };
}

/** An item of the legacy GET /api/2.0/gateway/routes/ (MLflow's `Route`): the same endpoint, older field names. */
export function legacyRouteItem(listed: Listed) {
  const { name, type, model, limit } = describeListed(listed);
  return { name, route_type: type, route_url: invocationUrl(name), model, limit };
}

/** A traffic route as MLflow 3's GET /api/3.0/gateway/route/{name} shows it. */
export function trafficRouteItem(route: RouteConfig) {
  return {
    name: route.name,
    task_type: route.task_type,
    destinations: route.destinations.map((d) => ({ name: d.name, traffic_percentage: d.traffic_percentage })),
    routing_strategy: route.routing_strategy,
  };
}
