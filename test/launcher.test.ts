import { copyFileSync, mkdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../lib/sqlFiles';
import { tempDir } from './support/files';
import { killStarted, startProcess, stopProcess, waitUntil } from './support/processes';

/**
 * bin/run.js, which every npm command goes through, on a small project of its own (a copy of
 * the launcher beside two sources), so that its builds never rewrite the real dist/ under the
 * other test files.
 */

const project = tempDir('launcher-');
const source = (name: string) => path.join(project, 'lib', name);
const HELLO = (greeting: string) => `export function main(): void {
  process.stdout.write(\`${greeting} \${process.argv.slice(2).join(' ')} pid=\${process.pid} as \${process.argv[1]}\\n\`);
}
`;

beforeAll(() => {
  mkdirSync(path.join(project, 'bin'));
  mkdirSync(path.join(project, 'lib'));
  copyFileSync(path.join(projectRoot, 'bin/run.js'), path.join(project, 'bin/run.js'));
  symlinkSync(path.join(projectRoot, 'node_modules'), path.join(project, 'node_modules'));
  // Without @types/node, whose loading would make each build of these few lines take seconds.
  const compilerOptions = { target: 'ES2022', module: 'commonjs', lib: ['ES2022'], types: [], strict: true };
  writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { ...compilerOptions, skipLibCheck: true, outDir: 'dist', rootDir: '.' } }),
  );
  writeFileSync(
    source('node.d.ts'),
    `declare const process: {
      argv: string[];
      pid: number;
      stdout: { write(text: string): void };
      on(signal: string, handler: () => void): void;
      exit(code: number): never;
    };
    declare function setInterval(handler: () => void, ms: number): unknown;
    `,
  );
  writeFileSync(
    path.join(project, 'tsconfig.build.json'),
    JSON.stringify({ extends: './tsconfig.json', include: ['lib'] }),
  );
  writeFileSync(path.join(project, 'package-lock.json'), '{}\n');
  writeFileSync(source('hello.ts'), HELLO('hello'));
  writeFileSync(
    source('waitForSignal.ts'),
    `export function main(): void {
      process.on('SIGTERM', () => { process.stdout.write('stopping on SIGTERM\\n'); process.exit(0); });
      setInterval(() => undefined, 1000);
      process.stdout.write(\`ready pid=\${process.pid}\\n\`);
    }
    `,
  );
});
afterAll(() => killStarted());

async function launch(...args: string[]) {
  const running = startProcess([path.join(project, 'bin/run.js'), ...args], {});
  const code = await running.exited;
  return { code, stdout: running.stdout(), stderr: running.stderr(), pid: running.child.pid };
}

const compiled = (name: string) => path.join(project, 'dist/lib', name);
const COMPILING = /^[^\n]* changed since the last build: compiling \(tsc -p tsconfig.build.json\)\n$/;

test('a first run compiles, then runs main() with the arguments in the launcher process itself', async () => {
  const result = await launch('lib/hello', 'a', '--b');
  expect(result.stderr).toBe('dist/ was never built here: compiling (tsc -p tsconfig.build.json)\n');
  // The same pid: no child process stands between a signal and the program.
  expect(result.stdout).toBe(`hello a --b pid=${result.pid} as ${compiled('hello.js')}\n`);
  expect(result.code).toBe(0);
});

test('dist/ up to date: no compilation, only the program', async () => {
  const builtAt = statSync(compiled('hello.js')).mtimeMs;
  const result = await launch('lib/hello', 'again');
  expect(result.stderr).toBe('');
  expect(result.stdout).toMatch(/^hello again pid=/);
  expect(statSync(compiled('hello.js')).mtimeMs).toBe(builtAt);
});

test('an edited source is compiled before it runs', async () => {
  writeFileSync(source('hello.ts'), HELLO('bonjour'));
  const result = await launch('lib/hello');
  expect(result.stderr).toBe('lib/hello.ts changed since the last build: compiling (tsc -p tsconfig.build.json)\n');
  expect(result.stdout).toMatch(/^bonjour {2}pid=/);
});

test('a touched source, a new file, a removed file and a changed tsconfig each make a build', async () => {
  const now = new Date();
  utimesSync(source('hello.ts'), now, now);
  expect((await launch('lib/hello')).stderr).toMatch(COMPILING);

  writeFileSync(source('extra.ts'), 'export const extra = 1;\n');
  expect((await launch('lib/hello')).stderr).toMatch(COMPILING);
  expect(statSync(compiled('extra.js')).isFile()).toBe(true);

  rmSync(source('extra.ts'));
  expect((await launch('lib/hello')).stderr).toMatch(/^lib changed since the last build/);

  utimesSync(path.join(project, 'tsconfig.json'), new Date(), new Date());
  expect((await launch('lib/hello')).stderr).toMatch(/^tsconfig.json changed since the last build/);
  expect((await launch('lib/hello')).stderr).toBe('');
});

test('a compile error: tsc says what, the program does not run, exit 1; the next run builds again', async () => {
  writeFileSync(source('hello.ts'), `${HELLO('broken')}const count: number = 'seven';\n`);
  const failed = await launch('lib/hello');
  expect(failed.code).toBe(1);
  expect(failed.stdout).toBe('');
  expect(failed.stderr).toMatch(
    /lib\/hello\.ts\(4,7\): error TS2322: Type 'string' is not assignable to type 'number'/,
  );
  expect(failed.stderr).toMatch(/\nthe build failed \(tsc's errors above\): not running lib\/hello\n$/);

  writeFileSync(source('hello.ts'), HELLO('fixed'));
  const fixed = await launch('lib/hello');
  expect(fixed.stderr).toMatch(COMPILING);
  expect(fixed.stdout).toMatch(/^fixed {2}pid=/);
});

test('--build compiles only when needed and runs nothing', async () => {
  expect(await launch('--build')).toEqual(expect.objectContaining({ code: 0, stdout: '', stderr: '' }));
  writeFileSync(source('hello.ts'), HELLO('built'));
  const built = await launch('--build');
  expect(built.stderr).toMatch(COMPILING);
  expect(built.stdout).toBe('');
});

test('an entry point that no source builds: one line, exit 2', async () => {
  const result = await launch('lib/nothing');
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/no entry point lib\/nothing: dist\/lib\/nothing\.js is not built from any source\n$/);
});

test('SIGTERM reaches the program, which handles it as it would under node dist/…', async () => {
  const running = startProcess([path.join(project, 'bin/run.js'), 'lib/waitForSignal'], {});
  await waitUntil(() => running.output().includes('ready'), 30_000, running);
  expect(running.output()).toContain(`ready pid=${running.child.pid}`);
  expect((await stopProcess(running, 'SIGTERM')).code).toBe(0);
  expect(running.output()).toContain('stopping on SIGTERM');
});

test('a stale dist/ without typescript installed (npm ci --omit=dev): one line, exit 1, nothing run', async () => {
  const modules = path.join(project, 'node_modules');
  rmSync(modules);
  try {
    writeFileSync(source('hello.ts'), HELLO('uncompiled'));
    const result = await launch('lib/hello');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'lib/hello.ts changed since the last build, and typescript is not installed to compile it (npm ci installs it): not running lib/hello\n',
    );
  } finally {
    symlinkSync(path.join(projectRoot, 'node_modules'), modules);
  }
});

test('two commands started together after an edit: one compiles, the other waits for it', async () => {
  writeFileSync(source('hello.ts'), HELLO('together'));
  const results = await Promise.all([launch('lib/hello', 'one'), launch('lib/hello', 'two')]);
  expect(results.map((r) => r.stdout.replace(/ pid=.*\n$/, ''))).toEqual(['together one', 'together two']);
  expect(results.map((r) => r.stderr).sort()).toEqual(['', expect.stringMatching(COMPILING)]);
});

test('files written into data/events/, the event generator’s output, make no build; a file beside it does', async () => {
  writeFileSync(
    path.join(project, 'tsconfig.build.json'),
    JSON.stringify({ extends: './tsconfig.json', include: ['lib', 'data'] }),
  );
  mkdirSync(path.join(project, 'data/events'), { recursive: true });
  expect((await launch('lib/hello')).stderr).toMatch(/: compiling /);

  writeFileSync(path.join(project, 'data/events/events-2026-12-01T00.ndjson'), '{}\n');
  mkdirSync(path.join(project, 'data/events/raw-event-user_created'));
  writeFileSync(path.join(project, 'data/events/raw-event-user_created/events-2026-12-01T00.ndjson'), '{}\n');
  expect((await launch('lib/hello')).stderr).toBe('');

  writeFileSync(path.join(project, 'data/notes.txt'), 'a folder that changed\n');
  expect((await launch('lib/hello')).stderr).toMatch(/^data changed since the last build/);
});
