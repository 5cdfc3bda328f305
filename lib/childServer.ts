import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, describeError } from './errors';
import { projectRoot } from './sqlFiles';

/**
 * A local server of `npm start` and the tests (S3, SQS) in a node process of its own, started
 * from a compiled script under dist/ that prints `ready <port>` once it listens and exits when
 * its stdin closes, so that no orphan keeps the port after the parent dies, even by SIGKILL.
 * While it runs, `<dataDir>/server.json` says where, for the other commands of this checkout.
 */

export interface ChildServerSpec {
  /** For messages: "local S3 server". */
  label: string;
  /** The script under dist/, such as lib/localS3Server.js. */
  script: string;
  nodeArgs?: readonly string[];
  /** Given to the script after its file name; the port is the script's business. */
  args: readonly string[];
  dataDir: string;
  /** The variables a user changes when the folder or the port is taken. */
  dirVariable: string;
  portVariable: string;
  port: number;
  /** Write server.json, for the other commands of this checkout (npm start); tests leave it out. */
  announce?: boolean;
}

export interface ChildServer {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

export interface RunningServer {
  file: string;
  pid: number;
  endpoint: string;
}

const STATE_FILE = 'server.json';
const START_TIMEOUT_MS = 15_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The port the child prints once it listens; a child that exits first says why. */
function readyPort(child: ReturnType<typeof spawn>, spec: ChildServerSpec): Promise<number> {
  let output = '';
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the ${spec.label} did not start within ${START_TIMEOUT_MS / 1000} s: ${output.trim()}`));
    }, START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /^ready (\d+)$/m.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(Number(ready[1]));
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      const why = /EADDRINUSE/.test(output)
        ? `port ${spec.port} is taken (${spec.portVariable})`
        : output.trim() || `exit code ${code}`;
      reject(new ConfigError(`the ${spec.label} on ${spec.dataDir} could not start: ${why}`));
    });
  });
}

export async function startChildServer(spec: ChildServerSpec): Promise<ChildServer> {
  const running = runningChildServer(spec.dataDir, spec.dirVariable);
  if (running !== undefined) {
    throw new ConfigError(
      `a ${spec.label} (pid ${running.pid}) already runs on ${spec.dataDir} (${spec.dirVariable}), at ${running.endpoint}: ` +
        `stop the npm start that owns it, or set ${spec.dirVariable} to another folder`,
    );
  }
  const script = path.join(projectRoot, 'dist', spec.script);
  const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), script, ...spec.args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const port = await readyPort(child, spec);
  const endpoint = `http://127.0.0.1:${port}`;
  const stateFile = path.join(spec.dataDir, STATE_FILE);
  if (spec.announce === true) {
    writeFileSync(stateFile, `${JSON.stringify({ pid: child.pid!, endpoint })}\n`);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    endpoint,
    pid: child.pid!,
    async stop() {
      if (spec.announce === true) rmSync(stateFile, { force: true });
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The server npm start runs on dataDir now, or undefined when none does. `override` names the
 * variable that points a command elsewhere, for the message when server.json cannot be read.
 */
export function runningChildServer(dataDir: string, override: string): RunningServer | undefined {
  const file = path.join(dataDir, STATE_FILE);
  let record: Partial<RunningServer>;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunningServer>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(
      `cannot read ${file} (${describeError(error)}): run the command as the user who ran npm start, or set ${override}`,
    );
  }
  if (typeof record.pid !== 'number' || typeof record.endpoint !== 'string') {
    throw new ConfigError(`${file} is not what npm start writes: delete it, or set ${override}`);
  }
  // Left by an npm start that was killed: nothing runs there any more.
  if (!isAlive(record.pid)) return undefined;
  return { file, pid: record.pid, endpoint: record.endpoint };
}
