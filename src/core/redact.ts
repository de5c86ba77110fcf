// Keeps secrets out of anything a client or a log can see.

// Shapes of common provider keys (and Gatehouse's own virtual keys, ghk_…), scrubbed even when the exact value is not known to us.
const KEY_PATTERNS = /\b(ghk_[A-Za-z0-9_-]{8,}|sk-[A-Za-z0-9_-]{8,}|sk-ant-[A-Za-z0-9_-]{8,}|AIza[0-9A-Za-z_-]{20,}|AKIA[0-9A-Z]{16})\b/g;

export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out.replace(KEY_PATTERNS, '[redacted]');
}
