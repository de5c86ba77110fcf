// Answers whose JSON is already at hand (a cache hit's stored text), so a surface sends that text
// instead of serialising the object again. Keyed by the object itself: whatever changes an answer on
// its way out makes a new object (output guardrails, the Anthropic surface), which has no entry here
// and is serialised as usual. An answer with known JSON must not be changed in place.
const known = new WeakMap<object, string>();

/** Records `json` as the serialised form of `value`; returns `value`. */
export function withKnownJson<T extends object>(value: T, json: string): T {
  known.set(value, json);
  return value;
}

/** The JSON of `value`: the recorded text when there is one, else JSON.stringify. */
export function jsonOf(value: unknown): string {
  return (typeof value === 'object' && value !== null && known.get(value)) || JSON.stringify(value);
}
