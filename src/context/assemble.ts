// Context assembly, the pipeline's hook before input guardrails: session history, documents
// (sent and retrieved), instructions and the user's profile become one canonical chat request,
// fitted to the target's token budget. Requests without an envelope to targets without a
// `context:` key pass through untouched.
import type { RequestContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import type { Target } from '../core/runtime.js';
import type { ChatMessage, ChatRequest } from '../core/types.js';
import type { ContextDocument } from './envelope.js';
import type { ContextPolicy } from './policy.js';
import { DEFAULT_TEMPLATE, renderContext } from './render.js';
import { retrieve } from './retriever.js';
import { ContextRun } from './run.js';
import { sessionScope } from './scope.js';
import type { SessionData } from './session.js';
import { summarise, type ChatCall } from './summarise.js';
import { countMessages, loadCounter, messageText } from './tokens.js';
import { exchanges, keepLast, truncateOldest, type Fitted } from './window.js';

const isSystem = (m: ChatMessage) => m.role === 'system' || m.role === 'developer';

/**
 * `call` is the pipeline's provider call, for the summariser. Without it (counting tokens) the
 * request is assembled as it would be sent, except that history over the budget is truncated
 * instead of summarised: counting must not call a model or change the session.
 */
export async function assembleContext(ctx: RequestContext, target: Target, req: ChatRequest, call?: ChatCall): Promise<ChatRequest> {
  const policy = target.context;
  if (!ctx.context && !policy) return req;
  const run = (ctx.context ??= new ContextRun(undefined, undefined));
  const envelope = run.envelope;
  const system = req.messages.filter(isSystem);
  const conversation = req.messages.filter((m) => !isSystem(m));
  const session = await openSession(ctx, run, conversation);

  // The client's messages before its last user turn are history too (stateless clients send all of it).
  const lastUser = conversation.map((m) => m.role).lastIndexOf('user');
  let current = lastUser < 0 ? conversation : conversation.slice(lastUser);
  let history = [...(session?.turns.map((t) => t.message) ?? []), ...conversation.slice(0, Math.max(0, lastUser))];
  // Tool results continue the last exchange (the call they answer): it is current, never trimmed.
  if (current[0] && current[0].role !== 'user' && history.length > 0) {
    const last = exchanges(history).pop()!;
    history = history.slice(0, history.length - last.length);
    current = [...last, ...current];
  }
  let summary = session?.summary;
  const documents = await gatherDocuments(ctx, run, policy, current);
  run.documentIds = documents.map((d) => d.id);

  const template = policy?.template ?? DEFAULT_TEMPLATE;
  const contextMessage = (s: string | undefined): ChatMessage[] => {
    const text = renderContext(template, { envelope, documents, summary: s });
    return text ? [{ role: 'system', content: text }] : [];
  };
  let fixed = [...system, ...contextMessage(summary)];
  if (policy && (policy.config.max_tokens !== undefined || policy.config.strategy === 'keep-system-and-last-n')) {
    const fitted = await fit(ctx, target.name, run, policy, history, fixed, current, session, call, (s) => {
      summary = s;
      fixed = [...system, ...contextMessage(s)];
      return fixed;
    });
    history = fitted.kept;
    run.droppedMessages = fitted.dropped.length;
  }
  run.historyMessages = history.length;
  run.summary = summary;
  return { ...req, messages: [...fixed, ...history, ...current] };
}

/** Loads the session the envelope names (in the caller's scope) and notes what to store after the answer. */
async function openSession(ctx: RequestContext, run: ContextRun, conversation: ChatMessage[]): Promise<SessionData | undefined> {
  const id = run.envelope?.session_id;
  if (!id) return undefined;
  const service = run.service;
  if (!service) throw new GatewayError(503, 'Sessions need the gateway\'s storage, which this server was started without', { code: 'sessions_unavailable' });
  const settings = service.settings().sessions;
  const ttlSeconds = run.envelope?.parameters?.ttl_seconds;
  run.key = { scope: sessionScope(ctx.identity, settings.allow_anonymous), id };
  run.newTurns = conversation;
  run.ttlMs = ttlSeconds === undefined ? settings.ttl : Math.min(ttlSeconds * 1000, settings.max_ttl);
  run.maxTurns = settings.max_turns;
  ctx.sessionId = id;
  if (run.envelope?.parameters?.history === false) return undefined;
  return service.sessions.load(run.key);
}

async function gatherDocuments(ctx: RequestContext, run: ContextRun, policy: ContextPolicy | undefined, current: ChatMessage[]): Promise<ContextDocument[]> {
  const sent = run.envelope?.documents ?? [];
  if (!policy?.retriever || run.envelope?.parameters?.retrieve === false) return sent;
  const query = current.filter((m) => m.role === 'user').map(messageText).join('\n').trim();
  if (!query) return sent;
  return [...sent, ...(await retrieve(ctx, policy.retriever, query, run.envelope))];
}

/**
 * Fits history to the budget left by the fixed messages and the current turns. With summarise, the
 * oldest exchanges are condensed until the rest takes half the budget (so the next turns do not
 * summarise again at once); the summary is stored with the session. `withSummary` re-renders the
 * fixed messages around a new summary and returns them.
 */
async function fit(
  ctx: RequestContext,
  targetName: string,
  run: ContextRun,
  policy: ContextPolicy,
  history: ChatMessage[],
  fixed: ChatMessage[],
  current: ChatMessage[],
  session: SessionData | undefined,
  call: ChatCall | undefined,
  withSummary: (summary: string) => ChatMessage[],
): Promise<Fitted> {
  const count = await loadCounter();
  const { max_tokens: max, strategy = 'truncate-oldest', keep_last: keep } = policy.config;
  const room = (around: ChatMessage[]) => {
    if (max === undefined) return undefined;
    const left = max - countMessages(count, [...around, ...current]);
    if (left < 0) {
      throw new GatewayError(400, `The request needs ${max - left} tokens before any history, over the context budget of ${max} tokens of '${targetName}'`, {
        code: 'context_length_exceeded',
        param: 'messages',
      });
    }
    return left;
  };
  const budget = room(fixed);
  if (strategy === 'keep-system-and-last-n') return keepLast(count, history, keep!, budget);
  const fitted = truncateOldest(count, history, budget!);
  if (strategy !== 'summarise' || fitted.dropped.length === 0 || !call) return fitted;

  const older = truncateOldest(count, history, Math.floor(budget! / 2));
  const summary = await summarise(ctx, policy.summariser!, session?.summary, older.dropped, policy.config.summary_max_tokens, call);
  if (!summary) return fitted;
  if (session && run.key && run.service) {
    const stored = Math.min(older.dropped.length, session.turns.length);
    await run.service.sessions.summarise(run.key, session.base, stored, summary);
  }
  const rest = truncateOldest(count, older.kept, room(withSummary(summary))!);
  return { kept: rest.kept, dropped: [...older.dropped, ...rest.dropped] };
}
