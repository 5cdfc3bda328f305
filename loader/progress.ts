import type { Logger } from '../lib/logger';

/**
 * Progress of a long load: a bar redrawn on a terminal, or a log line every few seconds when
 * the output goes to a file or a container log. Short loads (under 2 s) show nothing.
 */
export function createProgress(
  file: string,
  logger: Logger,
  stream: Pick<NodeJS.WriteStream, 'isTTY' | 'write'> = process.stderr,
  now: () => number = Date.now,
) {
  const startedMs = now();
  const intervalMs = stream.isTTY === true ? 200 : 10_000;
  let lastMs = startedMs;
  let drawn = false;

  return {
    update(bytesRead: number, totalBytes: number): void {
      const at = now();
      if (at - startedMs < 2000 || at - lastMs < intervalMs) return;
      lastMs = at;
      const share = totalBytes > 0 ? bytesRead / totalBytes : 0;
      const mb = (bytes: number): string => (bytes / 1048576).toFixed(1);
      if (stream.isTTY === true) {
        const width = 30;
        const filled = Math.round(share * width);
        stream.write(
          `\r${file} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0)}% ${mb(bytesRead)}/${mb(totalBytes)} MB`,
        );
        drawn = true;
      } else {
        logger.info('loading', {
          file,
          percent: Math.round(share * 100),
          mb_read: mb(bytesRead),
          mb_total: mb(totalBytes),
        });
      }
    },
    done(): void {
      if (drawn) stream.write('\n');
    },
  };
}
