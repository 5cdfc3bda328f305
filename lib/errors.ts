/**
 * Errors typed by what the person running the stack must do about them. Every entry point maps
 * them to a one-line message and an exit code (docs/operations.md, "Exit codes"), so none of them should
 * ever reach the user as a stack trace.
 */

export abstract class AppError extends Error {
  abstract readonly exitCode: number;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An environment variable or command-line argument is wrong: fix the setting and start again. */
export class ConfigError extends AppError {
  readonly exitCode = 2;
}

/** The input file cannot be loaded as a whole: fix the file (or the path) and load it again. */
export class InputError extends AppError {
  readonly exitCode = 3;
}

/** PostgreSQL could not be reached in time: check that it runs and the PG* settings point at it. */
export class DatabaseUnavailableError extends AppError {
  readonly exitCode = 4;
}

/** A job ran but its result was refused (a failed audit, a timeout, an SQL error). */
export class JobFailedError extends AppError {
  readonly exitCode = 1;
}

/** The object store failed or refused: the message names the bucket, the key and the endpoint. */
export class ObjectStoreError extends AppError {
  readonly exitCode = 1;
}

/** PostgreSQL error codes the code reacts to, by name (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const PgErrorCode = {
  uniqueViolation: '23505',
  checkViolation: '23514',
  queryCanceled: '57014',
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  cannotConnectNow: '57P03',
  undefinedTable: '42P01',
  invalidPassword: '28P01',
  invalidAuthorization: '28000',
  invalidCatalogName: '3D000',
  insufficientPrivilege: '42501',
} as const;

/** The message of anything thrown, for a log line: never a stack trace, always one line. */
export function describeError(error: unknown): string {
  // Duck-typed rather than instanceof: errors from another realm (a VM context, jest) count too.
  const candidate = (error as { message?: unknown } | null)?.message;
  const message = typeof candidate === 'string' ? candidate : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const oneLine = message.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
  return typeof code === 'string' && !oneLine.includes(code) && /^[0-9A-Z]{5}$/.test(code)
    ? `${oneLine} (SQLSTATE ${code})`
    : oneLine;
}

/** The queue failed or refused: the message names the queue and the endpoint. */
export class QueueError extends AppError {
  readonly exitCode = 1;
}
