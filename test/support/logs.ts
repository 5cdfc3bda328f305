import winston from 'winston';
import type { Logger } from '../../lib/logger';

export type LogEntry = Record<string, unknown> & { level: string; message: string };

/** A logger that keeps what it is given, so tests can assert on the lines a run writes. */
export function captureLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  class Capture extends winston.Transport {
    override log(info: LogEntry, next: () => void): void {
      entries.push(info);
      next();
    }
  }
  const logger = winston.createLogger({ level: 'debug', transports: [new Capture()] });
  return { logger, entries };
}
