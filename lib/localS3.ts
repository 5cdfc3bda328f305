import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { runningChildServer, startChildServer, type RunningServer } from './childServer';

/**
 * The local S3-compatible server of `npm start` and the tests: s3rver (from npm) in a process
 * of its own (lib/localS3Server.ts says why; lib/childServer.ts how), its objects in files
 * under `<dataDir>/buckets`, so they survive a restart. While it runs, the other commands of
 * this checkout use it when no AWS_ENDPOINT_URL says otherwise (lib/config.ts).
 */

/** s3rver's one built-in account: it accepts requests signed with this key only. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalS3 {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  pid: number;
  /** Stops the server (its objects stay in the folder). */
  stop(): Promise<void>;
}

export interface LocalS3Options {
  dataDir: string;
  /** 0: any free port. */
  port: number;
  /** Created at start when missing. */
  buckets: readonly string[];
  /** Write server.json, for the other commands of this checkout (npm start); tests leave it out. */
  announce?: boolean;
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const bucketsDir = path.join(options.dataDir, 'buckets');
  mkdirSync(bucketsDir, { recursive: true });
  const server = await startChildServer({
    label: 'local S3 server',
    script: path.join('lib', 'localS3Server.js'),
    nodeArgs: ['--openssl-legacy-provider'],
    args: [bucketsDir, '127.0.0.1', String(options.port), ...options.buckets],
    dataDir: options.dataDir,
    dirVariable: 'EMBEDDED_S3_DIR',
    portVariable: 'EMBEDDED_S3_PORT',
    port: options.port,
    ...(options.announce === undefined ? {} : { announce: options.announce }),
  });
  return { ...server, credentials: { ...LOCAL_S3_CREDENTIALS } };
}

/** The local S3 server running on dataDir now, or undefined when none does. */
export function runningLocalS3(
  dataDir: string,
): (RunningServer & { credentials: { accessKeyId: string; secretAccessKey: string } }) | undefined {
  const running = runningChildServer(dataDir, 'AWS_ENDPOINT_URL_S3');
  return running === undefined ? undefined : { ...running, credentials: { ...LOCAL_S3_CREDENTIALS } };
}
