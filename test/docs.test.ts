import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../lib/sqlFiles';
import { anchors, headings, readDoc, withoutCodeBlocks } from './support/docs';

/**
 * The README and docs/ held to the project: the README stays a quick start, every link leads
 * somewhere, every setting the code reads is documented, and every "docs/….md, "Heading"" that the
 * code names exists.
 */

const DOCS = readdirSync(path.join(projectRoot, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .sort()
  .map((name) => `docs/${name}`);
const MARKDOWN = ['README.md', ...DOCS];

/** The relative link targets of a Markdown file, outside code: `file`, `file#anchor` or `#anchor`. */
function relativeLinks(markdown: string): string[] {
  const prose = withoutCodeBlocks(markdown).replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

test('the README is a quick start: at most 150 lines', () => {
  expect(readDoc('README.md').split('\n').length - 1).toBeLessThanOrEqual(150);
});

describe.each(MARKDOWN)('%s', (file) => {
  test('every relative link reaches a file, and a heading of it for #…', () => {
    const broken: string[] = [];
    for (const target of relativeLinks(readDoc(file))) {
      const [linked, anchor] = target.split('#') as [string, string | undefined];
      const resolved = linked === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), linked));
      const absolute = path.join(projectRoot, resolved);
      if (!existsSync(absolute)) {
        broken.push(`${target}: no file ${resolved}`);
      } else if (anchor !== undefined) {
        if (!resolved.endsWith('.md') || statSync(absolute).isDirectory())
          broken.push(`${target}: an anchor into a non-Markdown file`);
        else if (!anchors(readDoc(resolved)).has(anchor))
          broken.push(`${target}: ${resolved} has no heading #${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

test('every file of docs/ is linked from the README and from the docs index', () => {
  const linkedFrom = (file: string): Set<string> =>
    new Set(
      relativeLinks(readDoc(file)).map((target) =>
        path.posix.normalize(path.posix.join(path.posix.dirname(file), target.split('#')[0]!)),
      ),
    );
  const fromReadme = linkedFrom('README.md');
  const fromIndex = linkedFrom('docs/README.md');
  expect(DOCS.filter((doc) => !fromReadme.has(doc))).toEqual([]);
  expect(DOCS.filter((doc) => doc !== 'docs/README.md' && !fromIndex.has(doc))).toEqual([]);
});

describe('docs/operations.md, "Configuration"', () => {
  const operations = readDoc('docs/operations.md');
  const documented = (name: string): boolean => operations.includes(`\`${name}`);

  test('names every variable lib/config.ts reads', () => {
    const source = readFileSync(path.join(projectRoot, 'lib', 'config.ts'), 'utf8');
    const read = [
      ...source.matchAll(/read\.(?:string|integer|boolean|oneOf|optional)\(\s*'([A-Z][A-Z0-9_]*)'/g),
      ...source.matchAll(/(?:readUrl|readCronSchedule)\(read, '([A-Z][A-Z0-9_]*)'/g),
    ];
    const pg = source.match(/PG_VARIABLES = \[([^\]]*)\]/)?.[1] ?? '';
    const prefixes = [...source.matchAll(/startsWith\('([A-Z][A-Z0-9_]*)'\)/g)];
    const names = [
      ...read.map((m) => m[1]!),
      ...[...pg.matchAll(/'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]!),
      ...prefixes.map((m) => m[1]!),
    ];
    // The patterns above must keep finding what config.ts reads: DATABASE_URL, PG*, WORKFLOW_ …
    expect(names).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'PGHOST', 'PGDATABASE', 'WORKFLOW_', 'EMBEDDED_PG_DIR']),
    );
    expect(names.length).toBeGreaterThanOrEqual(20);
    expect(names.filter((name) => !documented(name))).toEqual([]);
  });

  test('names every variable of .env.example', () => {
    const example = readFileSync(path.join(projectRoot, '.env.example'), 'utf8');
    const names = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((name) => !documented(name))).toEqual([]);
  });
});

/** Every file of the project that may name a doc: code, SQL, scripts. */
function codeFiles(): string[] {
  const files: string[] = ['Makefile', 'Dockerfile', 'docker-compose.yml', '.env.example', 'package.json'];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(projectRoot, dir), { withFileTypes: true })) {
      const file = path.posix.join(dir, entry.name);
      // npm run events -- generate's output (gigabytes of NDJSON, maybe), not code.
      if (file === 'data/events') continue;
      if (entry.isDirectory()) walk(file);
      else if (!file.endsWith('.md') && !file.endsWith('.csv') && !file.endsWith('.txt')) files.push(file);
    }
  };
  for (const dir of [
    'lib',
    'loader',
    'scheduler',
    'embedded',
    'ads',
    'adsApi',
    'events',
    'web',
    'bench',
    'bin',
    'data',
    'docker',
    'sql',
    'test',
    '.ci',
  ]) {
    walk(dir);
  }
  return files.filter((file) => file !== 'test/docs.test.ts');
}

test('every doc and heading the code names exists', () => {
  const missing: string[] = [];
  let references = 0;
  for (const file of codeFiles()) {
    const text = readFileSync(path.join(projectRoot, file), 'utf8');
    // `docs/x.md`, optionally followed by `, "Heading"`, which a comment may carry over to its next line.
    for (const m of text.matchAll(/docs\/([a-z0-9-]+\.md)(?:,(?:\s|--|\*|\/\/|#)*"([^"]+)")?/g)) {
      references += 1;
      const doc = `docs/${m[1]!}`;
      if (!DOCS.includes(doc)) {
        missing.push(`${file}: ${doc}`);
        continue;
      }
      if (m[2] === undefined) continue;
      const heading = m[2].replace(/\s*\n\s*(?:--|\*|\/\/|#)?\s*/g, ' ').trim();
      if (!headings(readDoc(doc)).includes(heading)) missing.push(`${file}: ${doc}, "${heading}"`);
    }
  }
  expect(references).toBeGreaterThan(10);
  expect(missing).toEqual([]);
});
