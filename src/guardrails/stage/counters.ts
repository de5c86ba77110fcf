// Process-wide guardrail firing counts, for the metrics exporter to read: one count per rule, rule
// type, stage, action and the endpoint or route the client named.

export interface GuardrailCount {
  rule: string;
  type: string;
  stage: 'input' | 'output';
  action: string;
  target: string;
  value: number;
}

const counts = new Map<string, GuardrailCount>();

export function countFiring(firing: Omit<GuardrailCount, 'value'>): void {
  const key = [firing.target, firing.rule, firing.type, firing.stage, firing.action].join('\u0000');
  const known = counts.get(key);
  if (known) known.value++;
  else counts.set(key, { ...firing, value: 1 });
}

/** The current counts (copies), in first-seen order. */
export function guardrailCounts(): GuardrailCount[] {
  return [...counts.values()].map((c) => ({ ...c }));
}
