// Prompts and responses for the request log, on endpoints with `log_bodies: true`. The request is
// the one sent upstream, after input guardrails redacted it. The response is the upstream's
// answer; when output guardrails ran it is the answer the client got, unless they restored masked
// values into it (mask_and_restore): then it is withheld, so a masked value never reaches the log.
import type { RequestContext } from '../core/context.js';
import type { OutputPlan } from '../guardrails/stage/input.js';

/** Longest body kept, in characters; longer ones are cut and marked. */
export const MAX_BODY_CHARS = 64 * 1024;

const WITHHELD = '[withheld: output guardrails restored masked values into the answer]';

function clip(text: string): string {
  return text.length <= MAX_BODY_CHARS ? text : `${text.slice(0, MAX_BODY_CHARS)}…[truncated ${text.length - MAX_BODY_CHARS} characters]`;
}

const restoredValues = (output: OutputPlan) => output.vault.size > 0;

export function captureBodies(ctx: RequestContext, request: unknown, upstream: unknown, answer: unknown, output: OutputPlan | undefined): void {
  const response = !output ? upstream : restoredValues(output) ? undefined : answer;
  ctx.loggedBodies = { request: clip(JSON.stringify(request)), response: response === undefined ? WITHHELD : clip(JSON.stringify(response)) };
}

/** Streams: the generated text as it came from upstream; with output guardrails, withheld (the client's text was changed on the way). */
export function captureStreamBodies(ctx: RequestContext, request: unknown, generated: string[], output: OutputPlan | undefined): void {
  const response = output ? '[withheld: output guardrails changed the streamed answer]' : clip(generated.join(''));
  ctx.loggedBodies = { request: clip(JSON.stringify(request)), response };
}
