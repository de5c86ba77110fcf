// The request bodies every target receives. They are identical across targets except for `model`,
// which names a Gatehouse endpoint ("chat") or the upstream model (direct and Portkey), so all
// targets parse, forward and return the same bytes. The Anthropic body is the same conversation in
// Anthropic's Messages shape, for the mock's /v1/messages.

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
