// MLflow's REST API for reading the configured endpoints: the 2.x endpoints API, the legacy
// gateway routes API, MLflow 3's getters, and the limits API (which MLflow never implemented: 501).
// Like MLflow, the listings show endpoints only; traffic routes are read one at a time through
// /api/3.0/gateway/route/{name}.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { GatewayError } from '../../core/errors.js';
import type { GatewayState, Runtime } from '../../core/runtime.js';
import { sendJson } from '../http.js';
import { endpointItem, legacyRouteItem, trafficRouteItem, type Listed } from './catalog.js';
import { registerInvocations } from './invocations.js';
import { page, type PageQuery } from './paging.js';
import { endpointNotFound, MLFLOW_ROUTE, mlflowHandler, nameParam, routeNotFound } from './respond.js';

interface Catalog {
  base: string;
  key: string;
  item: (listed: Listed) => unknown;
  missing: (name: string) => GatewayError;
}

export function registerMlflow(app: FastifyInstance, state: GatewayState, log: Logger): void {
  const catalogs: Catalog[] = [
    { base: '/api/2.0/endpoints', key: 'endpoints', item: endpointItem, missing: endpointNotFound },
    { base: '/api/2.0/gateway/routes', key: 'routes', item: legacyRouteItem, missing: routeNotFound },
  ];
  const getEndpoint = ({ item, missing }: Catalog) =>
    mlflowHandler(log, (ctx, request, reply) => {
      const name = nameParam(request);
      const target = state.current.targets.get(name);
      const model = state.current.models.get(name);
      const found: Listed | undefined = target?.kind === 'endpoint' ? { kind: 'provider', config: target.config } : model && { kind: 'registry', endpoint: model };
      if (!found) throw missing(name);
      sendJson(reply, ctx, item(found));
    });

  for (const catalog of catalogs) {
    const { base, key, item } = catalog;
    const list = mlflowHandler(log, (ctx, request, reply) => {
      const { items, next_page_token } = page(listed(state.current), request.query as PageQuery);
      sendJson(reply, ctx, { [key]: items.map(item), next_page_token });
    });
    // MLflow redirects the form without the slash; serving both spares clients the round trip.
    app.get(`${base}/`, MLFLOW_ROUTE, list);
    app.get(base, MLFLOW_ROUTE, list);
    app.get(`${base}/:name`, MLFLOW_ROUTE, getEndpoint(catalog));
  }

  app.get('/api/3.0/gateway/endpoint/:name', MLFLOW_ROUTE, getEndpoint(catalogs[0]));
  app.get(
    '/api/3.0/gateway/route/:name',
    MLFLOW_ROUTE,
    mlflowHandler(log, (ctx, request, reply) => {
      const name = nameParam(request);
      const route = state.current.config.routes.find((r) => r.name === name);
      if (!route) throw routeNotFound(name);
      sendJson(reply, ctx, trafficRouteItem(route));
    }),
  );

  const notAvailable = (api: string) =>
    mlflowHandler(log, () => {
      throw new GatewayError(501, `The ${api} API is not available yet.`, { code: 'not_implemented' });
    });
  for (const base of ['/api/2.0/endpoints/limits/', '/api/2.0/gateway/limits/']) {
    app.get(`${base}:name`, MLFLOW_ROUTE, notAvailable('get_limits'));
    app.post(base, MLFLOW_ROUTE, notAvailable('set_limits'));
  }

  registerInvocations(app, state, log);
}

/** The endpoints the listings show, in config order: provider models, then registry models. */
function listed(runtime: Runtime): Listed[] {
  return [
    ...runtime.config.endpoints.map((config): Listed => ({ kind: 'provider', config })),
    ...runtime.models.list.map((endpoint): Listed => ({ kind: 'registry', endpoint })),
  ];
}
