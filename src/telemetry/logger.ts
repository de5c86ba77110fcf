// The process logger: pino JSON lines on stdout. Secrets are redacted by path, so a header or a
// provider key can never reach a log line even if a caller logs a whole object.
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  'headers["api-key"]',
  '*.headers["api-key"]',
  'headers["x-goog-api-key"]',
  '*.headers["x-goog-api-key"]',
  '*.openai_api_key',
  '*.*.openai_api_key',
  '*.config.*_api_key',
  'config.*.model.config',
];

export function createLogger(level: string, destination: pino.DestinationStream = pino.destination({ sync: false })): Logger {
  return pino(
    {
      level,
      base: { service: 'gatehouse' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
