import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths that must never reach a log line, whatever a careless call passes in (S1).
 * The access log only writes chosen fields; this is the second line of defence.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'accessToken',
  '*.accessToken',
  'certificate',
  '*.certificate',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'bewit',
  '*.bewit',
];

export function createLogger(
  options: LoggerOptions = {},
  destination?: pino.DestinationStream,
): Logger {
  const merged: LoggerOptions = {
    level: process.env.BULWARK_LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    ...options,
  };
  return destination ? pino(merged, destination) : pino(merged);
}

export type { Logger };
