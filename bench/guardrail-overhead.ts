// The guardrail scenario of `npm run bench`: what the default guardrail set adds to a request, in
// the same run and the same Gatehouse process as everything else. The open Gatehouse target serves
// two chat endpoints on the same mock upstream: `chat` (no guardrails) and `chat-guarded` (the
// default set, DEFAULT_GUARDRAILS_CONFIG: PII masked with restore on input, prompt injection
// blocked at 0.5, PII masked on output). One connection sends the same 4 KB support ticket (emails,
// phone, card, IBAN, IP, code) to each in turn, alternating which goes first, one request in flight:
// each pair's difference is the guardrails' cost, with the machine's drift cancelled out.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Client } from 'undici';
import { parse } from 'yaml';
import { DEFAULT_GUARDRAILS_CONFIG } from '../src/guardrails/config/build.js';
import { timedChat, type Timed } from './latency.js';
import { ticketChatBody, TICKET_BYTES } from './requests.js';
import { summarize, type Summary } from './stats.js';
import { ROOT, type Target } from './targets.js';

export const GUARDED_MODEL = 'chat-guarded';

export interface GuardrailOverheadResult {
  promptBytes: number;
  /** The rules of the guarded endpoint, as name (type, stage, action). */
  rules: string[];
  pairs: number;
  /** Round trips without and with guardrails. */
  plainMs: Summary;
  guardedMs: Summary;
  /** Per pair: guarded minus plain round trip. */
  addedMs: Summary;
  /** Per pair: guarded minus plain x-gatehouse-overhead-ms (the gateway's own time, upstream excluded). */
  addedOverheadMs: Summary;
  failures: number;
  lastError?: string;
}

export interface GuardrailOverheadOptions {
  pairs: number;
  warmupPairs: number;
  maxSeconds: number;
}

/** Refuses to measure when the bench config's guarded endpoint is not the documented default set. */
function defaultRules(): string[] {
  const config = parse(readFileSync(path.join(ROOT, 'bench', 'gatehouse.bench.yaml'), 'utf8')) as { endpoints: { name: string; guardrails?: unknown }[] };
  const guarded = config.endpoints.find((e) => e.name === GUARDED_MODEL)?.guardrails;
  if (!isDeepStrictEqual(guarded, DEFAULT_GUARDRAILS_CONFIG)) {
    throw new Error(`bench/gatehouse.bench.yaml: the guardrails of "${GUARDED_MODEL}" must equal DEFAULT_GUARDRAILS_CONFIG (src/guardrails/config/build.ts)`);
  }
  return (DEFAULT_GUARDRAILS_CONFIG.rules ?? []).map((r) => `${r.name} (${r.type}, ${r.stage}, ${r.action})`);
}

export async function measureGuardrailOverhead(target: Target, options: GuardrailOverheadOptions): Promise<GuardrailOverheadResult> {
  const rules = defaultRules();
  const client = new Client(target.origin, { pipelining: 1, keepAliveTimeout: 60_000 });
  const plainBody = ticketChatBody(target.chatModel);
  const guardedBody = ticketChatBody(GUARDED_MODEL);
  const plain: number[] = [];
  const guarded: number[] = [];
  const added: number[] = [];
  const addedOverhead: number[] = [];
  let failures = 0;
  let lastError: string | undefined;
  const deadline = performance.now() + options.maxSeconds * 1000;
  try {
    for (let i = 0; i < options.warmupPairs + options.pairs && performance.now() < deadline; i++) {
      try {
        let without: Timed;
        let withRules: Timed;
        if (i % 2 === 0) {
          without = await timedChat(client, target, plainBody);
          withRules = await timedChat(client, target, guardedBody);
        } else {
          withRules = await timedChat(client, target, guardedBody);
          without = await timedChat(client, target, plainBody);
        }
        if (i < options.warmupPairs) continue;
        plain.push(without.ms);
        guarded.push(withRules.ms);
        added.push(withRules.ms - without.ms);
        if (without.overheadHeader !== null && withRules.overheadHeader !== null) addedOverhead.push(withRules.overheadHeader - without.overheadHeader);
      } catch (err) {
        failures++;
        lastError = err instanceof Error ? err.message : String(err);
        if (failures > 50) break;
      }
    }
  } finally {
    await client.close().catch(() => undefined);
  }
  return {
    promptBytes: TICKET_BYTES,
    rules,
    pairs: added.length,
    plainMs: summarize(plain),
    guardedMs: summarize(guarded),
    addedMs: summarize(added),
    addedOverheadMs: summarize(addedOverhead),
    failures,
    lastError,
  };
}
