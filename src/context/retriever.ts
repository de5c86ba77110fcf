// Retriever webhooks: POSTs the user's last turn to a configured service and takes the documents
// it answers with. A failure (timeout, connection error, non-2xx, unreadable answer) serves the
// request without them (on_error: open) or refuses it with 502 (on_error: closed).
import { GatewayError } from '../core/errors.js';
import type { RequestContext } from '../core/context.js';
import type { RetrieverConfig } from './config.js';
import type { ContextDocument, Envelope } from './envelope.js';

export async function retrieve(ctx: RequestContext, retriever: RetrieverConfig, query: string, envelope: Envelope | undefined): Promise<ContextDocument[]> {
  const timeout = AbortSignal.timeout(retriever.timeout);
  const payload = {
    query,
    top_k: retriever.top_k,
    session_id: envelope?.session_id ?? null,
    user_id: envelope?.user_id ?? null,
    metadata: envelope?.metadata ?? {},
    request_id: ctx.id,
  };
  let failure: string;
  try {
    const res = await ctx.upstream(
      fetch(retriever.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...retriever.headers },
        body: JSON.stringify(payload),
        signal: AbortSignal.any([ctx.signal, timeout]),
      }),
    );
    if (res.ok) {
      const docs = readDocuments(await ctx.upstream(res.json()));
      if (docs) return docs.slice(0, retriever.top_k);
      failure = 'an answer without a documents list';
    } else {
      await res.body?.cancel();
      failure = `status ${res.status}`;
    }
  } catch {
    failure = timeout.aborted ? 'a timeout' : 'a connection error';
  }
  ctx.log?.warn({ request_id: ctx.id, retriever: retriever.name, failure }, 'retriever failed');
  if (retriever.on_error === 'open') return [];
  throw new GatewayError(502, `The retriever '${retriever.name}' failed (${failure}), and it is configured to fail closed`, { code: 'retriever_failed' });
}

function readDocuments(body: unknown): ContextDocument[] | undefined {
  const list = (body as { documents?: unknown } | null)?.documents;
  if (!Array.isArray(list)) return undefined;
  return list.flatMap((d: Record<string, unknown>) =>
    d && (typeof d.id === 'string' || typeof d.id === 'number') && typeof d.text === 'string'
      ? [{ id: String(d.id), text: d.text, title: typeof d.title === 'string' ? d.title : undefined, url: typeof d.url === 'string' ? d.url : undefined }]
      : [],
  );
}
