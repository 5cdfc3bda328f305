import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { runningChildServer, startChildServer, type ChildServer, type RunningServer } from './childServer';

/**
 * The local SQS-compatible server of `npm start` and the tests: fauxqs (from npm) in a process
 * of its own (lib/localSqsServer.ts). It keeps its queues in memory: a restart of it loses the
 * messages not yet consumed (docs/stream.md says why that is acceptable for development). While
 * it runs, `<dataDir>/server.json` says where, and the other commands of this checkout use it
 * when no EVENTS_QUEUE_URL or AWS_ENDPOINT_URL_SQS says otherwise (lib/config.ts).
 */

/** fauxqs takes any key; these make the SDK sign its requests without asking the machine for one. */
export const LOCAL_SQS_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface LocalSqsOptions {
  dataDir: string;
  /** 0: any free port. */
  port: number;
  /** Write server.json, for the other commands of this checkout (npm start); tests leave it out. */
  announce?: boolean;
}

export async function startLocalSqs(options: LocalSqsOptions): Promise<ChildServer> {
  mkdirSync(options.dataDir, { recursive: true });
  return startChildServer({
    label: 'local SQS server',
    script: path.join('lib', 'localSqsServer.js'),
    args: ['127.0.0.1', String(options.port)],
    dataDir: options.dataDir,
    dirVariable: 'EMBEDDED_SQS_DIR',
    portVariable: 'EMBEDDED_SQS_PORT',
    port: options.port,
    ...(options.announce === undefined ? {} : { announce: options.announce }),
  });
}

/** The local SQS server running on dataDir now, or undefined when none does. */
export function runningLocalSqs(dataDir: string): RunningServer | undefined {
  return runningChildServer(dataDir, 'AWS_ENDPOINT_URL_SQS');
}
