// The config of the context protocol: the top-level `context:` section (session storage, retriever
// webhooks) and the `context:` key of an endpoint or route (token budget, trimming strategy,
// summariser, template, retriever). schema.ts references both with one line each.
import { z } from 'zod';
import { duration } from '../config/duration.js';

export const WINDOW_STRATEGIES = ['truncate-oldest', 'keep-system-and-last-n', 'summarise'] as const;
export type WindowStrategy = (typeof WINDOW_STRATEGIES)[number];

const SessionsSchema = z
  .strictObject({
    ttl: duration('How long a session lives after its last turn (sliding). Default 24h.', { positive: true }).prefault('24h'),
    max_ttl: duration('The longest TTL a client may ask for with context.parameters.ttl_seconds. Default 720h (30 days).', { positive: true }).prefault('720h'),
    max_turns: z.int().min(2).max(10_000).default(200).meta({
      description: 'Messages kept per session; older ones are dropped when a turn is added (summarised ones are already gone). Default 200.',
    }),
    allow_anonymous: z.boolean().default(false).meta({
      description:
        'Whether callers without an identity (an open gateway, auth.open_endpoints) may use sessions. They all share one scope, where the session id is the only secret, so this is off by default: such requests are refused with 403 anonymous_sessions_disabled.',
    }),
    cache_size: z.int().min(1).default(10_000).meta({ description: 'Active sessions held in memory per process (least recently used are evicted). Default 10000.' }),
  })
  .meta({ description: 'Session memory: where turns are kept and for how long. Stored in storage.database; with storage.redis, Redis holds active sessions for every replica.' });

export const RetrieverSchema = z
  .strictObject({
    name: z.string().regex(/^[\w.-]+$/).meta({ description: 'The retriever\'s name, for `context.retriever` of an endpoint or route.' }),
    url: z.url().meta({ description: 'Webhook URL: POSTed {query, session_id, user_id, metadata, top_k, request_id}; answers {documents: [{id, text, title?, url?}]}.' }),
    timeout: duration('Upper bound on the webhook call. Default 2s.', { positive: true }).prefault('2s'),
    on_error: z.enum(['open', 'closed']).default('open').meta({
      description: 'A timeout, connection error, non-2xx or unreadable answer: open (default) serves the request without retrieved documents; closed refuses it with 502.',
    }),
    top_k: z.int().min(1).max(100).default(5).meta({ description: 'Documents asked for (and kept at most). Default 5.' }),
    headers: z.record(z.string(), z.string()).optional().meta({ description: 'Extra request headers (e.g. authorization: $RETRIEVER_TOKEN).' }),
  })
  .meta({ description: 'A retriever webhook: given the user turn, it returns documents to ground the answer.' });

export const ContextSectionSchema = z
  .strictObject({
    sessions: SessionsSchema.prefault({}),
    retrievers: z.array(RetrieverSchema).default([]).meta({ description: 'Retriever webhooks that endpoints and routes may name.' }),
  })
  .meta({ description: 'Model Context Protocol: session memory and document retrieval (see docs/context-protocol.md).' });

export const TargetContextSchema = z
  .strictObject({
    max_tokens: z.int().positive().optional().meta({
      description: 'Token budget of the assembled prompt (system, context, history, new turns). History is trimmed to fit by `strategy`; new turns never are.',
    }),
    strategy: z.enum(WINDOW_STRATEGIES).optional().meta({
      description:
        'How history is fitted to the budget: truncate-oldest (drop the oldest exchanges; the default with max_tokens), keep-system-and-last-n (keep system messages and the last `keep_last` history messages, then truncate), summarise (condense older exchanges with `summariser` into history_summary).',
    }),
    keep_last: z.int().min(1).optional().meta({ description: 'keep-system-and-last-n: history messages kept. Required with that strategy.' }),
    summariser: z.string().min(1).optional().meta({ description: 'summarise: the chat endpoint or route that writes summaries. Required with that strategy.' }),
    summary_max_tokens: z.int().min(16).default(300).meta({ description: 'summarise: max_tokens of the summariser\'s answer. Default 300.' }),
    template: z.string().min(1).optional().meta({
      description:
        'Mustache template of the context system message; view: instructions, user {id, profile, preferences, profile_text, preferences_text}, documents [{id, text, title, url}], has_documents, summary, metadata. Default: docs/context-protocol.md.',
    }),
    retriever: z.string().min(1).optional().meta({ description: 'A retriever of context.retrievers, called with each request\'s last user turn.' }),
  })
  .superRefine((c, ctx) => {
    if (c.strategy === 'keep-system-and-last-n' && c.keep_last === undefined) ctx.addIssue({ code: 'custom', path: ['keep_last'], message: 'strategy keep-system-and-last-n needs keep_last' });
    if (c.strategy === 'summarise' && c.summariser === undefined) ctx.addIssue({ code: 'custom', path: ['summariser'], message: 'strategy summarise needs summariser (a chat endpoint or route)' });
    if ((c.strategy === 'truncate-oldest' || c.strategy === 'summarise') && c.max_tokens === undefined) ctx.addIssue({ code: 'custom', path: ['max_tokens'], message: `strategy ${c.strategy} needs max_tokens` });
  })
  .meta({ description: 'Context-window management of requests that name this endpoint or route: a token budget and how history is fitted to it.' });

export type ContextSection = z.infer<typeof ContextSectionSchema>;
export type TargetContext = z.infer<typeof TargetContextSchema>;
export type RetrieverConfig = z.infer<typeof RetrieverSchema>;
