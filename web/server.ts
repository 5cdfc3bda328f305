import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Config } from '../lib/config';
import type { Pool } from '../lib/db';
import { ConfigError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { createApp, type WebOptions } from './app';

/** The dashboard on a port: `npm run web`, `npm start` and the `web` service under Compose. */

export interface RunningWeb {
  /** http://host:port/ */
  url: string;
  port: number;
  /** Stops listening and drops open connections (a browser's keep-alive ones too). */
  close(): Promise<void>;
}

function displayHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Listens on host:port (0: any free port); a port in use or a host not ours is a ConfigError naming WEB_HOST and WEB_PORT. */
export function startWeb(options: WebOptions & { host: string; port: number }): Promise<RunningWeb> {
  const app = createApp(options);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port });
    const fail = (error: NodeJS.ErrnoException): void =>
      reject(
        new ConfigError(
          `the dashboard cannot listen on ${options.host}:${options.port} (${error.code ?? error.message}): ` +
            'stop what listens there, or choose another WEB_HOST or WEB_PORT',
          { cause: error },
        ),
      );
    server.once('error', fail);
    server.once('listening', () => {
      server.off('error', fail);
      const port = (server.address() as AddressInfo).port;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://${displayHost(options.host === '0.0.0.0' ? '127.0.0.1' : options.host)}:${port}/`,
        port,
        close: () =>
          (closing ??= new Promise<void>((done, failed) => {
            server.close((error) => (error === undefined ? done() : failed(error)));
            if ('closeAllConnections' in server) server.closeAllConnections();
          })),
      });
    });
  });
}

/** The dashboard as the configuration says (WEB_*, CRON_LOG), reading through pool (createReaderPool). */
export function startDashboard(config: Config, pool: Pool, logger: Logger): Promise<RunningWeb> {
  return startWeb({
    pool,
    logger,
    cronLogPath: config.cronLogPath,
    refreshSeconds: config.web.refreshSeconds,
    host: config.web.host,
    port: config.web.port,
    ...(config.web.auth === undefined ? {} : { auth: config.web.auth }),
  });
}
