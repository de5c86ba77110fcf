// The request bodies every target receives. They are identical across targets except for `model`,
// which names a Gatehouse endpoint ("chat") or the upstream model (direct and Portkey), so all
// targets parse, forward and return the same bytes. The Anthropic body is the same conversation in
// Anthropic's Messages shape, for the mock's /v1/messages. The guardrail scenario sends a 4 KB
// support ticket with personal data in it (supportPrompt).

const messages = [
  { role: 'system', content: 'You are a concise assistant used by a load benchmark.' },
  { role: 'user', content: 'In one paragraph, why should an AI gateway add as little latency as possible?' },
];

export function chatBody(model: string): string {
  return JSON.stringify({ model, messages, max_tokens: 64, temperature: 0 });
}

export function streamBody(model: string): string {
  return JSON.stringify({ model, messages, max_tokens: 64, temperature: 0, stream: true, stream_options: { include_usage: true } });
}

export function anthropicStreamBody(model: string): string {
  const [system, ...rest] = messages;
  return JSON.stringify({ model, system: system?.content, messages: rest, max_tokens: 64, temperature: 0, stream: true });
}

export function embeddingsBody(model: string): string {
  return JSON.stringify({ model, input: 'Gatehouse sends every embedding request to the configured upstream.' });
}

// Support-ticket prose with a few values of each kind (email, phone, card, IBAN, IP) and a code
// snippet, repeated to the size asked for: what the PII detectors and the injection scorer work on.
const TICKET =
  'Hello team, I am writing about order 88231-B which still has not arrived. You can reach me at ' +
  'maria.rossi@example.com or +39 06 6982 1234 during office hours. The payment went through on card ' +
  '4111 1111 1111 1111 and the refund should go to IT60X0542811101000000123456. Our server at 10.20.30.40 ' +
  'logs this error when calling the API:\n```\nconst client = new Client({ timeout: 30_000, retries: 3 });\n' +
  'await client.orders.get("88231-B"); // 404 since 2024-05-17 10:32\n```\nCould you please check why the ' +
  'shipment status page says version 2.14.1 and nothing else? Thanks a lot for your help, and have a nice day. ';

export function supportPrompt(bytes: number): string {
  return TICKET.repeat(Math.ceil(bytes / TICKET.length)).slice(0, bytes);
}

export const TICKET_BYTES = 4096;

/** A chat request whose user message is a TICKET_BYTES support ticket. */
export function ticketChatBody(model: string): string {
  const ticket = [{ role: 'system', content: 'You are a helpful support assistant.' }, { role: 'user', content: supportPrompt(TICKET_BYTES) }];
  return JSON.stringify({ model, messages: ticket, max_tokens: 64, temperature: 0 });
}
