import winston from 'winston';
import type { LogFormat, LogLevel } from './config';

/**
 * One logger for the stack: one line per event, to stdout (errors to stderr) and, for the
 * scheduler, to cron.log with size-based rotation. Fields that people grep for come first and in
 * a fixed order: job, run, status, rows, duration_ms; the error, when there is one, comes last.
 */

export type Logger = winston.Logger;

export interface LoggerOptions {
  component: string;
  format: LogFormat;
  level: LogLevel;
  filePath?: string;
  maxSizeBytes?: number;
  maxFiles?: number;
}

const LEADING_FIELDS = ['job', 'run', 'status', 'rows', 'duration_ms'];
const INTERNAL_FIELDS = new Set(['level', 'message', 'timestamp', 'component', 'error']);

function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

const textLine = winston.format.printf((info) => {
  const fields: Record<string, unknown> = info;
  const keys = [
    ...LEADING_FIELDS.filter((k) => fields[k] !== undefined),
    ...Object.keys(fields).filter((k) => !LEADING_FIELDS.includes(k) && !INTERNAL_FIELDS.has(k)),
  ];
  const parts = [String(fields.timestamp), info.level.toUpperCase().padEnd(5), String(fields.component)];
  for (const key of keys) parts.push(`${key}=${formatValue(fields[key])}`);
  if (info.message !== '') parts.push(String(info.message));
  if (fields.error !== undefined) parts.push(`error=${formatValue(fields.error)}`);
  return parts.join(' ');
});

export function createLogger(options: LoggerOptions): Logger {
  const lineFormat = options.format === 'json' ? winston.format.json() : textLine;
  const transports: winston.transport[] = [new winston.transports.Console({ stderrLevels: ['error'] })];
  if (options.filePath !== undefined) {
    transports.push(
      new winston.transports.File({
        filename: options.filePath,
        maxsize: options.maxSizeBytes,
        maxFiles: options.maxFiles,
        // Keeps the newest lines in cron.log itself, so `tail -f cron.log` goes on working after a rotation.
        tailable: true,
      }),
    );
  }
  return winston.createLogger({
    level: options.level,
    defaultMeta: { component: options.component },
    format: winston.format.combine(winston.format.timestamp(), lineFormat),
    transports,
  });
}

/** Flushes every transport, so the last lines (the failure that made us exit) reach cron.log. */
export function closeLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const files = logger.transports.filter((t) => t instanceof winston.transports.File);
    let pending = files.length;
    const done = (): void => {
      pending -= 1;
      if (pending <= 0) resolve();
    };
    for (const file of files) file.once('finish', done);
    setTimeout(resolve, 2000).unref();
    logger.end();
    if (files.length === 0) resolve();
  });
}
