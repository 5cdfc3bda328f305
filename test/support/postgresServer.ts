import path from 'node:path';
import { projectRoot } from '../../lib/sqlFiles';
import { startProcess, stopProcess, waitUntil, type Running } from './processes';

/**
 * A PostgreSQL server in a process of its own, which a fault test can stop and start again on
 * the same data folder and port (the shared test server must not be restarted under the other
 * test files). Started from the compiled lib/embeddedPostgres.js.
 */
export class RestartableServer {
  private process?: Running;

  constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {}

  async start(): Promise<void> {
    const module = JSON.stringify(path.join(projectRoot, 'dist/lib/embeddedPostgres.js'));
    const script = `
      require(${module})
        .startEmbeddedPostgres({ dataDir: ${JSON.stringify(this.dataDir)}, port: ${this.port}, password: 'test', persistent: true })
        .then((server) => {
          process.stdout.write('ready\\n');
          process.once('SIGTERM', () => server.stop().then(() => process.exit(0)));
        })
        .catch((error) => { process.stderr.write(String(error) + '\\n'); process.exit(1); });`;
    this.process = startProcess(['-e', script], {});
    await waitUntil(() => this.process!.output().includes('ready'), 30_000, this.process);
  }

  async stop(): Promise<void> {
    if (this.process !== undefined) await stopProcess(this.process, 'SIGTERM');
    this.process = undefined;
  }

  get database() {
    return { host: 'localhost', port: this.port, user: 'postgres', password: 'test', database: 'postgres' };
  }
}
