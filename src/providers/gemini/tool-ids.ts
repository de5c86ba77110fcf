// Tool-call ids for Gemini. Gemini's function calls carry no id (OpenAI's clients need one to answer
// a call), and thinking models attach a `thoughtSignature` to each call that must come back unchanged
// with the call in the next request, or Gemini 3 answers 400 ("missing a thought_signature").
// The signature travels inside the id the client echoes back, so no gateway state is needed and any
// replica can rebuild the call: `call_<random hex>` or `call_<random hex>_ts_<signature, base64url>`.
import { randomBytes } from 'node:crypto';

const SIGNED = /^call_[0-9a-f]+_ts_([A-Za-z0-9_-]+)$/;

export function toolCallId(thoughtSignature?: string): string {
  const id = `call_${randomBytes(12).toString('hex')}`;
  return thoughtSignature ? `${id}_ts_${Buffer.from(thoughtSignature, 'base64').toString('base64url')}` : id;
}

/** The thought signature carried by an id made by `toolCallId`, as Gemini sent it (base64). */
export function thoughtSignatureOf(id: string | undefined): string | undefined {
  const match = id ? SIGNED.exec(id) : null;
  return match ? Buffer.from(match[1], 'base64url').toString('base64') : undefined;
}
