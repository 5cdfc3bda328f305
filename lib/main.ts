import { readConfig, type Config } from './config';
import { AppError, describeError } from './errors';
import { closeLogger, createLogger, type LogFileOptions, type Logger } from './logger';
import { printUsageIfAsked, type Usage } from './usage';

/**
 * The frame of every entry point: `--help` answered before anything else, configuration read
 * once, one logger, SIGTERM/SIGINT turned into an AbortSignal from the very start (waiting for
 * the database included), and any error turned into one log line and an exit code
 * (docs/operations.md, "Exit codes") instead of a stack trace.
 */
export interface MainOptions {
  /** What `--help` prints. */
  usage: Usage;
  /** Also write the log to CRON_LOG from the start. */
  logToFile?: boolean;
  /** Log to stderr only, leaving stdout to the command's result. */
  logToStderr?: boolean;
  /** Exit code when a signal stopped the program before it finished its work. */
  exitCodeWhenStopped?: number;
}

export function runMain(
  component: string,
  body: (config: Config, logger: Logger, stop: AbortSignal) => Promise<number>,
  options: MainOptions,
): void {
  if (printUsageIfAsked(options.usage)) return;
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    // A second Ctrl-C means "now": no more waiting for a graceful end.
    if (stop.signal.aborted) process.exit(130);
    stop.abort(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let logger: Logger | undefined;
  const finish = async (code: number): Promise<void> => {
    if (logger !== undefined) await closeLogger(logger);
    process.exit(code);
  };
  (async () => {
    let config: Config;
    try {
      config = readConfig();
      logger = createLogger({
        component,
        format: config.logFormat,
        level: config.logLevel,
        ...(options.logToStderr === true ? { stderr: true } : {}),
        ...(options.logToFile === true ? cronLog(config) : {}),
      });
    } catch (error) {
      process.stderr.write(`${component}: ${describeError(error)}\n`);
      process.exit(error instanceof AppError ? error.exitCode : 1);
    }
    try {
      await finish(await body(config, logger, stop.signal));
    } catch (error) {
      if (stop.signal.aborted && !(error instanceof AppError)) {
        logger.warn(`stopped by ${String(stop.signal.reason)} before finishing`);
        await finish(options.exitCodeWhenStopped ?? 1);
        return;
      }
      logger.error('failed', { error: describeError(error) });
      if (!(error instanceof AppError) && config.logLevel === 'debug' && error instanceof Error) {
        logger.debug('stack', { stack: error.stack });
      }
      await finish(error instanceof AppError ? error.exitCode : 1);
    }
  })().catch((error: unknown) => {
    process.stderr.write(`${component}: ${describeError(error)}\n`);
    process.exit(1);
  });
}

/** cron.log as configured (CRON_LOG, LOG_MAX_SIZE_MB, LOG_MAX_FILES). */
export function cronLog(config: Config): LogFileOptions {
  return { filePath: config.cronLogPath, maxSizeBytes: config.logMaxSizeBytes, maxFiles: config.logMaxFiles };
}

/** Resolves when the stop signal fires (at once if it already has). */
export function stopped(stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stop.aborted) resolve();
    else stop.addEventListener('abort', () => resolve(), { once: true });
  });
}
