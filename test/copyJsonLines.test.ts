import { JsonLinesFromCopy, JsonLinesToCopy } from '../ads/copyJsonLines';
import { throughTransform } from './support/streams';

/** JSON Lines through COPY's text format: backslashes undone and redone exactly, across any chunking. */

/** The text cut into chunks of `size` bytes: every boundary, including between the two bytes of `\\`. */
function chunked(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

// JSON as to_json writes it, with backslashes (escaped quotes, \n, \u00e9, a literal backslash) and UTF-8.
const lines = [
  JSON.stringify({ ad_id: 'a', backup_key: 'back\\slash "quoted" tab\t newline\n end\\' }),
  JSON.stringify({ ad_id: 'b', ad_group: 'é 😀 \\\\ \u0001', ad_scheme: null }),
  '{"ad_id":"c"}',
];
const jsonLines = `${lines.join('\n')}\n`;
// What COPY … TO STDOUT (text format) sends for those lines: each backslash doubled.
const copyText = jsonLines.replace(/\\/g, '\\\\');

test.each([1, 2, 3, 7, 64, 100_000])(
  'COPY text back to JSON Lines in chunks of %i bytes, rows counted',
  async (size) => {
    const decoder = new JsonLinesFromCopy();
    const out = await throughTransform(decoder, chunked(copyText, size));
    expect(out.toString()).toBe(jsonLines);
    expect(
      out
        .toString()
        .split('\n')
        .slice(0, -1)
        .map((line) => JSON.parse(line)),
    ).toEqual(lines.map((line) => JSON.parse(line)));
    expect(decoder.rows).toBe(3);
  },
);

test.each([1, 2, 5, 100_000])('JSON Lines to COPY text in chunks of %i bytes', async (size) => {
  expect((await throughTransform(new JsonLinesToCopy(), chunked(jsonLines, size))).toString()).toBe(copyText);
});

test.each([
  ['a control character escaped by COPY', 'abc\\n\n'],
  ['a NULL', '\\N\n'],
  ['an escape split across chunks', ['ab\\', 't\n']],
])('anything but \\\\ is not JSON text and stops the stream: %s', async (_what, input) => {
  const chunks = (Array.isArray(input) ? input : [input]).map((text) => Buffer.from(text));
  await expect(throughTransform(new JsonLinesFromCopy(), chunks)).rejects.toThrow(/COPY wrote the escape \\[ntN]/);
});

test('a stream cut between the two backslashes of an escape is an error, not a lost byte', async () => {
  await expect(throughTransform(new JsonLinesFromCopy(), [Buffer.from('{"a":"\\\\\\')])).rejects.toThrow(
    /ended inside an escape/,
  );
});
