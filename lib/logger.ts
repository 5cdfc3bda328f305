import winston from 'winston';
import type { LogFormat, LogLevel } from './config';
import { RotatingFileTransport } from './rotatingFile';

/**
 * One logger for the stack: one line per event, to stdout (errors to stderr) and, for every run
 * of a workflow, to cron.log with size-based rotation (rotatingFile.ts). Fields that people grep for come first and in
 * a fixed order: job, run, status, rows, duration_ms; the error, when there is one, comes last.
 */

export type Logger = winston.Logger;

export interface LogFileOptions {
  filePath: string;
  maxSizeBytes?: number;
  maxFiles?: number;
}

export interface LoggerOptions extends Partial<LogFileOptions> {
  component: string;
  format: LogFormat;
  level: LogLevel;
  /** Every line to stderr: for a command whose stdout is its result (npm run lake -- query). */
  stderr?: boolean;
}

const LEADING_FIELDS = ['job', 'run', 'task', 'status', 'rows', 'duration_ms'];
const INTERNAL_FIELDS = new Set(['level', 'message', 'timestamp', 'component', 'error']);

/** key=value as is when it is one word, quoted otherwise; a flat object as k:v,k:v. */
function formatValue(value: unknown): string {
  const isFlatObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  const text =
    typeof value === 'string'
      ? value
      : isFlatObject
        ? Object.entries(value)
            .map(([k, v]) => `${k}:${String(v)}`)
            .join(',')
        : JSON.stringify(value);
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
  // Last on the line and never quoted: everything after "error=" is the message, as a person reads it.
  if (fields.error !== undefined) parts.push(`error=${String(fields.error)}`);
  return parts.join(' ');
});

export function createLogger(options: LoggerOptions): Logger {
  const lineFormat = options.format === 'json' ? winston.format.json() : textLine;
  const logger = winston.createLogger({
    level: options.level,
    defaultMeta: { component: options.component },
    format: winston.format.combine(winston.format.timestamp(), lineFormat),
    transports: [
      new winston.transports.Console({
        stderrLevels: options.stderr === true ? ['error', 'warn', 'info', 'debug'] : ['error'],
      }),
    ],
  });
  if (options.filePath !== undefined) addLogFile(logger, { ...options, filePath: options.filePath });
  return logger;
}

/** From now on, also to this file: the job adds cron.log once it knows it will run a workflow. */
export function addLogFile(logger: Logger, options: LogFileOptions): void {
  logger.add(new RotatingFileTransport(options.filePath, options.maxSizeBytes ?? 10 * 1048576, options.maxFiles ?? 5));
}

/** Lets the last lines (the failure that made us exit) reach the console before the process exits. */
export function closeLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    logger.once('finish', () => resolve());
    setTimeout(resolve, 1000).unref();
    logger.end();
  });
}
