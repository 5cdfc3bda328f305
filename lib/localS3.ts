import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, describeError } from './errors';
import { projectRoot } from './sqlFiles';

/**
 * The local S3-compatible server of `npm start` and the tests: s3rver (from npm) in a process
 * of its own (lib/localS3Server.ts says why), its objects in files under `<dataDir>/buckets`,
 * so they survive a restart. While it runs, `<dataDir>/server.json` says where, and the other
 * commands of this checkout use it when no AWS_ENDPOINT_URL says otherwise (lib/config.ts).
 */

/** s3rver's one built-in account: it accepts requests signed with this key only. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const STATE_FILE = 'server.json';
const START_TIMEOUT_MS = 15_000;

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

interface StateRecord {
  pid: number;
  endpoint: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const bucketsDir = path.join(options.dataDir, 'buckets');
  mkdirSync(bucketsDir, { recursive: true });
  const running = runningLocalS3(options.dataDir);
  if (running !== undefined) {
    throw new ConfigError(
      `a local S3 server (pid ${running.pid}) already runs on ${options.dataDir} (EMBEDDED_S3_DIR), at ${running.endpoint}: ` +
        'stop the npm start that owns it, or set EMBEDDED_S3_DIR to another folder',
    );
  }
  const script = path.join(projectRoot, 'dist', 'lib', 'localS3Server.js');
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', script, bucketsDir, '127.0.0.1', String(options.port), ...options.buckets],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the local S3 server did not start within ${START_TIMEOUT_MS / 1000} s: ${output.trim()}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /^ready (\d+)$/m.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(Number(ready[1]));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      const why = /EADDRINUSE/.test(output)
        ? `port ${options.port} is taken (EMBEDDED_S3_PORT)`
        : output.trim() || `exit code ${code}`;
      reject(new ConfigError(`the local S3 server on ${options.dataDir} could not start: ${why}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const stateFile = path.join(options.dataDir, STATE_FILE);
  if (options.announce === true) {
    writeFileSync(stateFile, `${JSON.stringify({ pid: child.pid!, endpoint } satisfies StateRecord)}\n`);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    endpoint,
    credentials: { ...LOCAL_S3_CREDENTIALS },
    pid: child.pid!,
    async stop() {
      if (options.announce === true) rmSync(stateFile, { force: true });
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The local S3 server running on dataDir now, or undefined when none does. */
export function runningLocalS3(
  dataDir: string,
):
  | { file: string; pid: number; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } }
  | undefined {
  const file = path.join(dataDir, STATE_FILE);
  let record: Partial<StateRecord>;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as Partial<StateRecord>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(
      `cannot read ${file} (${describeError(error)}): run the command as the user who ran npm start, or set AWS_ENDPOINT_URL_S3`,
    );
  }
  if (typeof record.pid !== 'number' || typeof record.endpoint !== 'string') {
    throw new ConfigError(`${file} is not what npm start writes: delete it, or set AWS_ENDPOINT_URL_S3`);
  }
  // Left by an npm start that was killed: nothing runs there any more.
  if (!isAlive(record.pid)) return undefined;
  return { file, pid: record.pid, endpoint: record.endpoint, credentials: { ...LOCAL_S3_CREDENTIALS } };
}
