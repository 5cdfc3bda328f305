import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../lib/sqlFiles';

/** Reading the Markdown of README.md and docs/, for the tests that hold the docs to the code. */

/** A Markdown file of the project, by its path from the project folder. */
export function readDoc(file: string): string {
  return readFileSync(path.join(projectRoot, file), 'utf8');
}

/** The text with its fenced code blocks blanked out (line count kept): no heading or link is in them. */
export function withoutCodeBlocks(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line;
    })
    .join('\n');
}

/** The text of every heading (#, ##, …), in order, as written. */
export function headings(markdown: string): string[] {
  return [...withoutCodeBlocks(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => m[1]!);
}

/** The text a reader sees of a heading: links become their text, code spans and emphasis lose their marks. */
function headingText(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`/g, '')
    .replace(/\*\*|__|\*/g, '');
}

/**
 * The anchors GitHub gives the headings of a file: lower case, punctuation dropped (letters,
 * digits, spaces, hyphens and underscores stay), each space a hyphen; a repeated anchor gets -1, -2 ….
 */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const heading of headings(markdown)) {
    const base = headingText(heading)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** The first ```sql block after the heading `heading` of a Markdown file. */
export function sqlBlockUnder(file: string, heading: string): string {
  const lines = readDoc(file).split('\n');
  const at = lines.findIndex((line) => /^#{1,6}\s/.test(line) && line.replace(/^#+\s+/, '').trim() === heading);
  if (at < 0) throw new Error(`${file} has no heading ${JSON.stringify(heading)}`);
  const start = lines.findIndex((line, i) => i > at && line.trim() === '```sql');
  const end = lines.findIndex((line, i) => i > start && line.trim() === '```');
  if (start < 0 || end < 0) throw new Error(`${file}: no sql block under ${JSON.stringify(heading)}`);
  return lines.slice(start + 1, end).join('\n');
}
