// GET /admin/usage and GET /admin/logs: the request log, for finance and operators. Both take the
// filters from, to (ISO 8601 time or date), key, team, endpoint and model, and format=json|csv.
// /admin/usage totals requests, errors, tokens, cost and p50/p95 latency, by hour or day
// (group_by); /admin/logs lists requests newest first (limit, before, status, has_feedback), each
// with the latest feedback its tenant gave on it. Admin key required.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { badRequest } from '../../core/errors.js';
import type { RequestContext } from '../../core/context.js';
import type { GatewayState } from '../../core/runtime.js';
import type { Database } from '../../store/tables.js';
import { LOG_COLUMNS, logRows, USAGE_COLUMNS, usageBuckets, type Grouping, type LogFilter } from '../../telemetry/request-log/query.js';
import type { RequestLogWriter } from '../../telemetry/request-log/writer.js';
import { beginRequest, gatewayHeaders, sendError, sendJson } from '../http.js';
import { adminActor } from './auth.js';
import { toCsv } from './csv.js';

type Query = Record<string, string | undefined>;

const MAX_LOG_ROWS = 1000;
const GROUPINGS: Grouping[] = ['hour', 'day', 'total'];

/** A time filter: an ISO 8601 time, or a date (its midnight UTC); normalised to the stored form. */
function timeParam(query: Query, name: 'from' | 'to' | 'before'): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw badRequest(`${name}: "${value}" is not a time; write an ISO 8601 time (2026-11-22T10:00:00Z) or a date (2026-11-22)`, name);
  return new Date(ms).toISOString();
}

function booleanParam(query: Query, name: string): boolean | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (value !== 'true' && value !== 'false') throw badRequest(`${name} must be true or false`, name);
  return value === 'true';
}

export function filterOf(query: Query): LogFilter {
  return { from: timeParam(query, 'from'), to: timeParam(query, 'to'), key: query.key || undefined, team: query.team || undefined, endpoint: query.endpoint || undefined, model: query.model || undefined };
}

function formatOf(query: Query): 'json' | 'csv' {
  const format = query.format ?? 'json';
  if (format !== 'json' && format !== 'csv') throw badRequest('format must be json or csv', 'format');
  return format;
}

function sendCsv(reply: FastifyReply, ctx: RequestContext, name: string, csv: string): void {
  reply.raw.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${name}.csv"`,
    'content-length': Buffer.byteLength(csv),
    ...gatewayHeaders(ctx),
  });
  reply.raw.end(csv);
  reply.hijack();
}

export function registerUsageAdmin(app: FastifyInstance, state: GatewayState, db: Kysely<Database>, writer: RequestLogWriter, log: Logger): void {
  const handle = (work: (ctx: RequestContext, query: Query, reply: FastifyReply) => Promise<void>) => async (request: FastifyRequest, reply: FastifyReply) => {
    const ctx = beginRequest(request, reply, log);
    try {
      adminActor(request, state.current.config.auth.admin_key);
      // Rows still queued on this replica are written first, so a report includes the latest requests.
      await writer.flush();
      await work(ctx, request.query as Query, reply);
    } catch (err) {
      sendError(reply, ctx, err);
    }
  };

  app.get('/admin/usage', handle(async (ctx, query, reply) => {
    const filter = filterOf(query);
    const format = formatOf(query);
    const grouping = (query.group_by ?? 'day') as Grouping;
    if (!GROUPINGS.includes(grouping)) throw badRequest('group_by must be hour, day or total', 'group_by');
    const [data, [totals]] = await Promise.all([usageBuckets(db, filter, grouping), usageBuckets(db, filter, 'total')]);
    if (format === 'csv') return sendCsv(reply, ctx, 'usage', toCsv(data, USAGE_COLUMNS));
    sendJson(reply, ctx, { object: 'usage', group_by: grouping, filter, data, totals: totals ?? emptyTotals() });
  }));

  app.get('/admin/logs', handle(async (ctx, query, reply) => {
    const filter = filterOf(query);
    const format = formatOf(query);
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LOG_ROWS) throw badRequest(`limit must be a whole number from 1 to ${MAX_LOG_ROWS}`, 'limit');
    const status = query.status === undefined ? undefined : Number(query.status);
    if (status !== undefined && !Number.isInteger(status)) throw badRequest('status must be an HTTP status code', 'status');
    const rows = await logRows(db, { ...filter, status, before: timeParam(query, 'before'), hasFeedback: booleanParam(query, 'has_feedback') }, limit);
    if (format === 'csv') return sendCsv(reply, ctx, 'requests', toCsv(rows, LOG_COLUMNS));
    const last = rows.at(-1);
    sendJson(reply, ctx, { object: 'list', data: rows, next_before: rows.length === limit && last ? last.at : null });
  }));
}

function emptyTotals() {
  return { period: 'total', requests: 0, errors: 0, prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, estimated_requests: 0, cost_usd: 0, p50_latency_ms: null, p95_latency_ms: null };
}
