import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ConfigError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { parseFaults, type Faults } from './faults';
import { generateImpressions, IMPRESSIONS_PER_CALL } from './impressions';
import { adsBody } from './responseBody';

/**
 * The ads API on node:http (docs/ads-api.md): GET /ads answers the next call of the seed, GET
 * /health answers {"status":"ok"} for healthchecks, anything else a JSON error. One log line per
 * request, once its answer is sent or its client has gone.
 */

export interface AdsApiOptions {
  /** 127.0.0.1 unless given. */
  host?: string;
  /** 0: any free port. */
  port: number;
  /** A whole number from 0 to 2^32 - 1: what the impressions are made of. */
  seed: number;
  /** The clock of shown_at; tests fix it. */
  now?: () => Date;
  /** Without one, nothing is logged. */
  log?: Logger;
}

export interface AdsApi {
  /** http://host:port/ads */
  url: string;
  port: number;
  /** GET /ads requests accepted so far (valid parameters), faulty answers and gone clients included. */
  calls(): number;
  /** Stops listening and drops every open connection, a delayed answer included. */
  close(): Promise<void>;
}

/** What the log line of a request says besides method, path and duration. */
interface Outcome {
  impressions: number;
  call?: number;
  error?: string;
}

/** Per server: call numbers, and how many requests carried fail_first. */
interface Counters {
  calls: number;
  failFirstSeen: number;
}

function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendError(
  res: ServerResponse,
  outcome: Outcome,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  outcome.error = message;
  sendJson(res, status, JSON.stringify({ error: message }), headers);
}

/** Resolves after ms, or early with false when the client goes away (or close() drops it). */
function delay(res: ServerResponse, ms: number): Promise<boolean> {
  if (ms === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const gone = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', gone);
      resolve(true);
    }, ms);
    res.once('close', gone);
  });
}

async function answerAds(
  res: ServerResponse,
  faults: Faults,
  call: number,
  failFirstNumber: number,
  options: AdsApiOptions,
  outcome: Outcome,
): Promise<void> {
  if (!(await delay(res, faults.delayMs))) return;
  if (faults.status !== undefined) {
    sendError(res, outcome, faults.status, `status ${faults.status}, as the status parameter asked`);
  } else if (faults.failFirst !== undefined && failFirstNumber <= faults.failFirst) {
    sendError(res, outcome, 500, `request ${failFirstNumber} with fail_first=${faults.failFirst} fails on purpose`);
  } else {
    const now = (options.now ?? (() => new Date()))();
    outcome.impressions = faults.body === 'malformed' ? 0 : IMPRESSIONS_PER_CALL;
    sendJson(res, 200, adsBody(generateImpressions(options.seed, call, now), faults, now));
  }
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  counters: Counters,
  options: AdsApiOptions,
  outcome: Outcome,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://ads-api');
  if (url.pathname !== '/ads' && url.pathname !== '/health') {
    sendError(res, outcome, 404, `no ${url.pathname} here: the API serves GET /ads and GET /health`);
  } else if (req.method !== 'GET') {
    sendError(res, outcome, 405, `${req.method} ${url.pathname}: only GET is served`, { Allow: 'GET' });
  } else if (url.pathname === '/health') {
    sendJson(res, 200, '{"status":"ok"}');
  } else {
    const parsed = parseFaults(url.searchParams);
    if ('problem' in parsed) {
      sendError(res, outcome, 400, parsed.problem);
      return;
    }
    outcome.call = ++counters.calls;
    const failFirstNumber = parsed.faults.failFirst === undefined ? 0 : ++counters.failFirstSeen;
    await answerAds(res, parsed.faults, outcome.call, failFirstNumber, options, outcome);
  }
}

function logRequest(log: Logger, req: IncomingMessage, res: ServerResponse, outcome: Outcome, startedMs: number): void {
  const answered = res.writableFinished;
  // A 4xx is a request we refused (or one that asked for a 4xx with status=): worth a look.
  const level = answered && res.statusCode >= 400 && res.statusCode < 500 ? 'warn' : 'info';
  log.log(level, answered ? '' : 'the client went away before the answer', {
    status: answered ? res.statusCode : 'aborted',
    duration_ms: Date.now() - startedMs,
    method: req.method,
    path: req.url,
    impressions: answered ? outcome.impressions : 0,
    ...(outcome.call === undefined ? {} : { call: outcome.call }),
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
  });
}

function displayHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Resolves with the port once the server listens; a port taken or a host not ours is a ConfigError. */
function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException): void =>
      reject(
        new ConfigError(
          `the ads API cannot listen on ${host}:${port} (${error.code ?? error.message}): ` +
            'stop what listens there, or choose another ADS_API_HOST or ADS_API_PORT',
          { cause: error },
        ),
      );
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

export async function startAdsApi(options: AdsApiOptions): Promise<AdsApi> {
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
    throw new ConfigError(`ads API seed ${options.seed}: expected a whole number from 0 to 4294967295`);
  }
  const host = options.host ?? '127.0.0.1';
  const counters: Counters = { calls: 0, failFirstSeen: 0 };
  const server = createServer((req, res) => {
    const startedMs = Date.now();
    const outcome: Outcome = { impressions: 0 };
    const log = options.log;
    if (log !== undefined) res.once('close', () => logRequest(log, req, res, outcome, startedMs));
    route(req, res, counters, options, outcome).catch((error: unknown) => res.destroy(error as Error));
  });
  const port = await listen(server, host, options.port);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${displayHost(host)}:${port}/ads`,
    port,
    calls: () => counters.calls,
    close: () =>
      (closing ??= new Promise<void>((done, fail) => {
        server.close((error) => (error === undefined ? done() : fail(error)));
        server.closeAllConnections();
      })),
  };
}
