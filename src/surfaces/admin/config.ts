// The config rollout API under /admin/config: apply a config (PUT, YAML or JSON body), roll back to
// an earlier version, read the history. Callers are the admin key's holder or a CI job whose OIDC
// token a `gitops.deployers` entry admits. Answers never carry config text (it may hold literal
// secrets); the history carries versions, hashes and who applied what.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { OidcVerifier } from '../../access/oidc.js';
import { formatIssue } from '../../config/issues.js';
import type { RequestContext } from '../../core/context.js';
import { badRequest, GatewayError, notFound } from '../../core/errors.js';
import type { GatewayState } from '../../core/runtime.js';
import { configApplier, type Applier } from '../../gitops/rollout/deployer.js';
import { ConfigRefused, type ConfigRollout } from '../../gitops/rollout/rollout.js';
import { beginRequest, sendError, sendJson } from '../http.js';

type Handler = (request: FastifyRequest, applier: Applier, ctx: RequestContext) => Promise<{ status?: number; body: unknown }>;

interface ApplyQuery {
  message?: string;
  file?: string;
  dry_run?: string;
}

export function registerConfigAdmin(app: FastifyInstance, state: GatewayState, rollout: ConfigRollout, log: Logger): void {
  const verifier = new OidcVerifier();
  const handle = (work: Handler) => async (request: FastifyRequest, reply: FastifyReply) => {
    const ctx = beginRequest(request, reply, log);
    try {
      const applier = await configApplier(request, state.current.config, verifier);
      const { status = 200, body } = await work(request, applier, ctx);
      sendJson(reply, ctx, body, status);
    } catch (err) {
      if (err instanceof ConfigRefused) return refuse(reply, ctx, err);
      if (!(err instanceof GatewayError)) log.error({ err: (err as Error).message, path: request.routeOptions.url }, 'config admin request failed');
      sendError(reply, ctx, err);
    }
  };

  // Bodies here are config text (YAML or JSON) or a small JSON object: read as text, parsed below.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

    scope.get('/admin/config', handle(async () => {
      const { version, record, overridesFile } = await rollout.current();
      return { body: { version, overrides_file: overridesFile, loaded_at: state.current.loadedAt.toISOString(), ...record, identity: identityOf(record) } };
    }));

    scope.get('/admin/config/versions', handle(async (request) => {
      const { limit } = request.query as { limit?: string };
      const count = Math.min(1000, Math.max(1, Number(limit) || 50));
      const versions = await rollout.history(count);
      return { body: { object: 'list', current: (await rollout.current()).version, data: versions.map((v) => ({ ...v, identity: identityOf(v) })) } };
    }));

    scope.put('/admin/config', handle(async (request, applier) => {
      const text = typeof request.body === 'string' ? request.body : '';
      if (text.trim() === '') throw badRequest('The request body is empty; send the config as YAML or JSON', null, 'invalid_body');
      const query = request.query as ApplyQuery;
      const dryRun = query.dry_run === 'true' || query.dry_run === '1';
      const label = query.file?.trim() || 'config';
      const result = await rollout.apply({ text, label, applier, source: 'api', message: query.message, dryRun });
      if (!result.version) return { body: { valid: true, dry_run: true, unchanged: result.unchanged } };
      return { body: { ...result.version, text: undefined, identity: applier.identity, unchanged: result.unchanged } };
    }));

    scope.post('/admin/config/rollback', handle(async (request, applier) => {
      const body = parseJsonObject(request.body);
      const version = body.version;
      if (!Number.isInteger(version) || (version as number) < 1) throw badRequest('version must be a whole number of at least 1 (see GET /admin/config/versions)', 'version');
      const message = typeof body.message === 'string' ? body.message : undefined;
      const result = await rollout.rollback(version as number, applier, message);
      if (!result?.version) throw notFound(`There is no config version ${String(version)}`, 'version_not_found');
      return { body: { ...result.version, text: undefined, identity: applier.identity, unchanged: result.unchanged } };
    }));
  });
}

/** 400 with every problem: in the message as `gatehouse validate` prints them, and as a list. */
function refuse(reply: FastifyReply, ctx: RequestContext, err: ConfigRefused): void {
  ctx.errorCode = 'invalid_config';
  const message = `The config is not valid; the running config stays:\n${err.issues.map(formatIssue).join('\n')}`;
  sendJson(reply, ctx, { error: { message, type: 'invalid_request_error', code: 'invalid_config', param: null }, issues: err.issues }, 400);
}

function parseJsonObject(body: unknown): Record<string, unknown> {
  try {
    const value: unknown = typeof body === 'string' && body.trim() !== '' ? JSON.parse(body) : {};
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Answered below.
  }
  throw badRequest('The request body must be a JSON object, e.g. {"version": 3}', null, 'invalid_json');
}

const identityOf = (record: { identity: string } | undefined) => (record ? (JSON.parse(record.identity) as unknown) : undefined);
