// The JSON MLflow's REST API gives for endpoints and routes, built from the loaded config.
import type { EndpointConfig, RouteConfig } from '../../config/schema.js';

/** MLflow advertises the /gateway/ form of the invocation URL, relative to the server. */
export const invocationUrl = (name: string) => `/gateway/${name}/invocations`;

function modelAndLimit(endpoint: EndpointConfig) {
  const limit = endpoint.limit;
  return {
    model: { name: endpoint.model.name, provider: endpoint.model.provider },
    // `key` shows how Gatehouse counts (client_ip or global); MLflow's field is free text and unused.
    limit: limit ? { calls: limit.calls, key: limit.key, renewal_period: limit.renewal_period } : null,
  };
}

/** An item of GET /api/2.0/endpoints/ (MLflow's `Endpoint`). */
export function endpointItem(endpoint: EndpointConfig) {
  const { model, limit } = modelAndLimit(endpoint);
  return { name: endpoint.name, endpoint_type: endpoint.endpoint_type, model, endpoint_url: invocationUrl(endpoint.name), limit };
}

/** An item of the legacy GET /api/2.0/gateway/routes/ (MLflow's `Route`): the same endpoint, older field names. */
export function legacyRouteItem(endpoint: EndpointConfig) {
  const { model, limit } = modelAndLimit(endpoint);
  return { name: endpoint.name, route_type: endpoint.endpoint_type, route_url: invocationUrl(endpoint.name), model, limit };
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
