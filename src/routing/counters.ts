// Process-wide routing counters, for the metrics exporter to read: attempts, retries, fallbacks,
// breaker transitions and traffic-split variants, each with its labels. Only routed requests
// (routes, and endpoints with retries, timeouts, a breaker or health checks) are counted here;
// plain endpoint requests are one attempt each and are counted by the request metrics.

type CounterName = 'attempts' | 'retries' | 'fallbacks' | 'breaker_transitions' | 'variants';

export interface CounterSample {
  name: CounterName;
  labels: Record<string, string>;
  value: number;
}

const samples = new Map<string, CounterSample>();

/** Adds one to the counter with these labels. */
export function count(name: CounterName, labels: Record<string, string>): void {
  let key = name;
  for (const label in labels) key += `\u0000${label}=${labels[label]}`;
  const sample = samples.get(key);
  if (sample) sample.value++;
  else samples.set(key, { name, labels, value: 1 });
}

/** The current values (copies), in first-seen order. */
export function snapshot(): CounterSample[] {
  return [...samples.values()].map((s) => ({ ...s, labels: { ...s.labels } }));
}
