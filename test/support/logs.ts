import { Writable } from 'node:stream';
import winston from 'winston';
import type { Logger } from '../../lib/logger';

export type LogEntry = Record<string, unknown> & { level: string; message: string };

/** A logger that keeps what it is given, so tests can assert on the lines a run writes. */
export function captureLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const stream = new Writable({
    objectMode: true,
    write(entry: LogEntry, _encoding, done) {
      entries.push(entry);
      done();
    },
  });
  const logger = winston.createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream })] });
  return { logger, entries };
}
