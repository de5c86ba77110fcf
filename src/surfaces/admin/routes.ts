// The admin API under /admin: teams and keys (create, read, update, delete/revoke, rotate), spend,
// and the audit log. Every change is audited by the repository and announced to every replica.
// A key's secret appears once, in the answer that creates or rotates it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { periodStart } from '../../access/budgets.js';
import type { AccessControl } from '../../access/control.js';
import { Conflict, NotFound, type Actor } from '../../access/repository.js';
import type { Policy } from '../../config/schema-access.js';
import type { RequestContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import type { GatewayState } from '../../core/runtime.js';
import { beginRequest, sendError, sendJson } from '../http.js';
import { adminActor } from './auth.js';
import { durationMs, expiryOf, KeyBody, KeyPatch, parseBody, policyOf, RotateBody, TeamBody, TeamPatch } from './bodies.js';

type Params = { id: string };
type AdminHandler = (ctx: RequestContext, request: FastifyRequest, actor: Actor) => Promise<{ status?: number; body: unknown }>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Access control, read by every surface when a request begins. */
    gatehouseAccess?: AccessControl;
  }
}

export function registerAdmin(app: FastifyInstance, state: GatewayState, access: AccessControl, log: Logger): void {
  app.decorate('gatehouseAccess', access);
  const { repo } = access;
  const handle = (work: AdminHandler) => async (request: FastifyRequest, reply: FastifyReply) => {
    const ctx = beginRequest(request, reply, log);
    try {
      const actor = adminActor(request, state.current.config.auth.admin_key);
      const { status = 200, body } = await work(ctx, request, actor);
      sendJson(reply, ctx, body, status);
    } catch (err) {
      // A failure that is not the caller's (the database is down) is answered 500 and logged here.
      if (!(err instanceof GatewayError || err instanceof NotFound || err instanceof Conflict)) log.error({ err: (err as Error).message, path: request.routeOptions.url }, 'admin request failed');
      sendError(reply, ctx, asAdminError(err));
    }
  };
  const idOf = (request: FastifyRequest) => (request.params as Params).id;
  const changed = async <T>(result: T) => {
    await access.changed();
    return result;
  };

  app.get('/admin/teams', handle(async () => ({ body: { data: await teamList(access, state) } })));
  app.post('/admin/teams', handle(async (_ctx, request, actor) => {
    const body = parseBody(TeamBody, request.body);
    return { status: 201, body: await changed(await repo.createTeam(body.name, policyOf(body), actor)) };
  }));
  app.get('/admin/teams/:id', handle(async (_ctx, request) => ({ body: await repo.team(idOf(request)) })));
  app.patch('/admin/teams/:id', handle(async (_ctx, request, actor) => {
    const team = await repo.team(idOf(request));
    const patch = policyOf(parseBody(TeamPatch, request.body));
    return { body: await changed(await repo.updateTeam(team.id, { ...team.policy, ...patch }, actor)) };
  }));
  app.delete('/admin/teams/:id', handle(async (_ctx, request, actor) => {
    await changed(await repo.deleteTeam(idOf(request), actor));
    return { body: { deleted: true } };
  }));
  app.get('/admin/teams/:id/spend', handle(async (_ctx, request) => {
    const team = await repo.team(idOf(request));
    const policy = state.current.config.teams.find((t) => t.name === team.name) ?? team.policy;
    return { body: spendReport(access, `team:${team.name}`, policy) };
  }));

  app.get('/admin/keys', handle(async (_ctx, request) => {
    const { team } = request.query as { team?: string };
    return { body: { data: await repo.keys({ team }) } };
  }));
  app.post('/admin/keys', handle(async (_ctx, request, actor) => {
    const body = parseBody(KeyBody, request.body);
    const expiresAt = expiryOf(body) ?? undefined;
    const created = await repo.createKey({ name: body.name, team: body.team, tags: body.tags, policy: policyOf(body), expiresAt }, actor);
    return { status: 201, body: await changed({ ...created.key, secret: created.secret }) };
  }));
  app.get('/admin/keys/:id', handle(async (_ctx, request) => ({ body: await repo.key(idOf(request)) })));
  app.patch('/admin/keys/:id', handle(async (_ctx, request, actor) => {
    const current = await repo.key(idOf(request));
    const body = parseBody(KeyPatch, request.body);
    const policy = { ...current.policy, ...policyOf(body) };
    return { body: await changed(await repo.updateKey(current.id, { name: body.name, tags: body.tags, expiresAt: expiryOf(body), policy }, actor)) };
  }));
  app.delete('/admin/keys/:id', handle(async (_ctx, request, actor) => {
    await changed(await repo.revokeKey(idOf(request), actor));
    return { body: { revoked: true } };
  }));
  app.post('/admin/keys/:id/rotate', handle(async (_ctx, request, actor) => {
    const { grace } = parseBody(RotateBody, request.body);
    const rotated = await repo.rotateKey(idOf(request), grace === undefined ? 0 : durationMs(grace, 'grace'), actor);
    return { body: await changed({ ...rotated.key, secret: rotated.secret }) };
  }));
  app.get('/admin/keys/:id/spend', handle(async (_ctx, request) => {
    const key = await repo.key(idOf(request));
    return { body: spendReport(access, `key:${key.id}`, key.policy) };
  }));

  app.get('/admin/audit', handle(async (_ctx, request) => {
    const { limit, target } = request.query as { limit?: string; target?: string };
    const count = Math.min(1000, Math.max(1, Number(limit) || 100));
    return { body: { data: await repo.audit(count, { target }) } };
  }));
}

/** Teams from the database and from config (config ones are read-only here; edit them in Git). */
async function teamList(access: AccessControl, state: GatewayState) {
  const stored = await access.repo.teams();
  const inConfig = state.current.config.teams.map(({ name, ...policy }) => ({ name, policy, source: 'config' as const }));
  const names = new Set(inConfig.map((t) => t.name));
  return [...inConfig, ...stored.filter((t) => !names.has(t.name)).map((t) => ({ ...t, source: 'database' as const }))];
}

function spendReport(access: AccessControl, scope: string, policy: Policy) {
  const now = Date.now();
  const budgets = (policy.budgets ?? []).map((b) => {
    const since = periodStart(b, now);
    const spent = access.ledger.total(scope, since);
    return { period: b.period, window: b.window, usd: b.usd, since, spent_usd: spent, remaining_usd: Math.max(0, b.usd - spent) };
  });
  return { scope, by_day: access.ledger.byDay(scope), budgets };
}

function asAdminError(err: unknown): unknown {
  if (err instanceof NotFound) return new GatewayError(404, err.message, { code: 'not_found' });
  if (err instanceof Conflict) return new GatewayError(409, err.message, { code: 'conflict' });
  return err;
}
