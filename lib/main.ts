import { readConfig, type Config } from './config';
import { AppError, describeError } from './errors';
import { closeLogger, createLogger, type Logger } from './logger';

/**
 * The frame of every entry point: configuration read once, one logger, and any error turned into
 * one log line and an exit code (README, "Exit codes") instead of a stack trace.
 */
export function runMain(
  component: string,
  body: (config: Config, logger: Logger) => Promise<number>,
  options: { logToFile?: boolean } = {},
): void {
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
        ...(options.logToFile === true
          ? { filePath: config.cronLogPath, maxSizeBytes: config.logMaxSizeBytes, maxFiles: config.logMaxFiles }
          : {}),
      });
    } catch (error) {
      process.stderr.write(`${component}: ${describeError(error)}\n`);
      process.exit(error instanceof AppError ? error.exitCode : 1);
    }
    try {
      await finish(await body(config, logger));
    } catch (error) {
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
