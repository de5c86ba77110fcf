// Model-graded rubrics: the judge endpoint (any chat endpoint or route of the gateway) reads the
// conversation, the answer and the rubric, and replies with a score from 0 to 1 as JSON.
import type { EvalClient } from './client.js';

const INSTRUCTIONS = [
  'You grade an AI assistant\'s answer against a rubric.',
  'Reply with only a JSON object: {"score": <number from 0 to 1>, "reason": "<one short sentence>"}.',
  '1 means the answer fully meets the rubric, 0 means it does not at all.',
].join(' ');

export async function judgeAnswer(client: EvalClient, target: string, rubric: string, request: Record<string, unknown>, answer: string): Promise<{ score: number; reason: string }> {
  const conversation = JSON.stringify(request.messages ?? request.prompt ?? null);
  const reply = await client.chat({
    model: target,
    temperature: 0,
    messages: [
      { role: 'system', content: INSTRUCTIONS },
      { role: 'user', content: `Rubric:\n${rubric}\n\nConversation (JSON):\n${conversation}\n\nAnswer:\n${answer}` },
    ],
  });
  if (reply.status >= 400) return { score: 0, reason: `the judge ${target} answered ${reply.status}` };
  const text = String((reply.body.choices as { message?: { content?: unknown } }[] | undefined)?.[0]?.message?.content ?? '');
  return readVerdict(text);
}

/** The first JSON object in the judge's text, with a numeric score (0..1, or 0..10 scaled down). */
export function readVerdict(text: string): { score: number; reason: string } {
  const match = /\{[\s\S]*\}/.exec(text);
  try {
    const verdict = JSON.parse(match?.[0] ?? '') as { score?: unknown; reason?: unknown };
    const raw = Number(verdict.score);
    if (Number.isFinite(raw)) return { score: raw > 1 ? Math.min(1, raw / 10) : Math.max(0, raw), reason: String(verdict.reason ?? '') };
  } catch {
    // Answered below.
  }
  return { score: 0, reason: `the judge's answer has no JSON score: ${JSON.stringify(text.slice(0, 100))}` };
}
