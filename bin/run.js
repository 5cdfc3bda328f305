'use strict';
/**
 * `node bin/run.js <entry> [args…]`, what every `npm run <command>` calls: compiles dist/ when a
 * source changed since the last build, then runs dist/<entry>.js's main() in this very process,
 * so that signals reach the program as if it had been started as `node dist/<entry>.js`.
 * `node bin/run.js --build` only compiles when needed (npm's prepare, pretest, `npm run build`).
 *
 * Deciding costs about 10 ms (one stat per source file and folder), where a `tsc` run that
 * finds nothing to do costs two seconds. Plain CommonJS with no dependencies: it runs before
 * anything is compiled.
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
// Its mtime is the moment the last successful build started: a source saved during a build is
// newer, so the next command builds again.
const stamp = path.join(dist, '.build-stamp');
const lock = path.join(dist, '.build-lock');
const TSCONFIG = 'tsconfig.build.json';
// Generated output inside a folder of "include" (data/): no source lives there, and its mtime moves
// with every npm run events -- generate, which would make the next command compile again.
const OUTPUT_FOLDERS = new Set([path.join(root, 'data', 'events')]);

/** The newest source, folder or build setting, as [mtimeMs, path]. */
function newestInput() {
  let newest = [0, ''];
  const consider = (file, stats) => {
    if (stats.mtimeMs > newest[0]) newest = [stats.mtimeMs, file];
  };
  const walk = (dir) => {
    let stats;
    try {
      stats = fs.statSync(dir);
    } catch {
      return; // a folder of "include" that does not exist (yet)
    }
    // A folder's mtime moves when a file is added, removed or renamed in it.
    consider(dir, stats);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!OUTPUT_FOLDERS.has(file)) walk(file);
      } else if (entry.name.endsWith('.ts')) consider(file, fs.statSync(file));
    }
  };
  for (const folder of JSON.parse(fs.readFileSync(path.join(root, TSCONFIG), 'utf8')).include) {
    walk(path.join(root, folder));
  }
  for (const name of fs.readdirSync(root)) {
    if (/^tsconfig.*\.json$/.test(name) || name === 'package-lock.json') {
      consider(path.join(root, name), fs.statSync(path.join(root, name)));
    }
  }
  return newest;
}

/** Why dist/ must be compiled before `entry` runs, or undefined when it is up to date. */
function staleBecause(entry) {
  let built;
  try {
    built = fs.statSync(stamp).mtimeMs;
  } catch {
    return 'dist/ was never built here';
  }
  if (entry !== undefined && !fs.existsSync(path.join(dist, `${entry}.js`))) return `dist/${entry}.js is missing`;
  const [mtimeMs, file] = newestInput();
  // Equal counts as newer: file times tick coarsely, and a file saved in the tick the build
  // started may not be in it. The worst case is one build too many.
  return mtimeMs >= built ? `${path.relative(root, file)} changed since the last build` : undefined;
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** 'alive', 'dead' (its builder was killed, e.g. Ctrl-C during a build) or 'gone' (released). */
function lockHolder() {
  try {
    const pid = fs.readFileSync(lock, 'utf8');
    // Empty for the instant between its creation and the write of the pid.
    if (pid === '') return 'alive';
    process.kill(Number(pid), 0);
    return 'alive';
  } catch (error) {
    if (error.code === 'ENOENT') return 'gone';
    return error.code === 'EPERM' ? 'alive' : 'dead';
  }
}

/**
 * Two commands started together after an edit must not both write dist/ (one could load a file
 * the other is half-way through writing): the second waits for the first, then finds it fresh.
 */
function withBuildLock(body) {
  fs.mkdirSync(dist, { recursive: true });
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const holder = lockHolder();
    if (holder === 'alive') sleep(100);
    else if (holder === 'dead') fs.rmSync(lock, { force: true });
  }
  try {
    return body();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Compiles when needed; why it could not, when the build failed. */
function buildIfStale(entry) {
  if (staleBecause(entry) === undefined) return undefined;
  return withBuildLock(() => {
    const why = staleBecause(entry);
    if (why === undefined) return undefined; // built by the command we waited for
    let tsc;
    try {
      tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
    } catch {
      return `${why}, and typescript is not installed to compile it (npm ci installs it)`;
    }
    process.stderr.write(`${why}: compiling (tsc -p ${TSCONFIG})\n`);
    const started = `${stamp}.next`;
    fs.writeFileSync(started, '');
    // tsc prints its errors on stdout; stdout belongs to the program (npm run -s generate-data > file).
    const result = require('node:child_process').spawnSync(process.execPath, [tsc, '-p', TSCONFIG], {
      cwd: root,
      stdio: ['ignore', 2, 2],
    });
    if (result.status !== 0) {
      fs.rmSync(started, { force: true });
      return "the build failed (tsc's errors above)";
    }
    fs.renameSync(started, stamp);
    return undefined;
  });
}

function main(args) {
  const [entry, ...rest] = args;
  if (entry === undefined || (entry.startsWith('-') && entry !== '--build')) {
    process.stderr.write('usage: node bin/run.js <entry, e.g. scheduler/cli> [arguments…] | --build\n');
    process.exit(2);
  }
  const target = entry === '--build' ? undefined : entry;
  const failure = buildIfStale(target);
  if (failure !== undefined) {
    process.stderr.write(`${failure}${target ? `: not running ${target}` : ''}\n`);
    process.exit(1);
  }
  if (target === undefined) return;
  const file = path.join(dist, `${target}.js`);
  if (!fs.existsSync(file)) {
    process.stderr.write(`no entry point ${target}: dist/${target}.js is not built from any source\n`);
    process.exit(2);
  }
  // What the program would see had it been started as `node dist/<entry>.js …`.
  process.argv = [process.argv[0], file, ...rest];
  require(file).main();
}

main(process.argv.slice(2));
