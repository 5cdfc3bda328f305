import { seededRandom } from '../data/generateLoans';
import { RowEncoder } from '../loader/rowEncoder';
import { validateRow } from '../loader/validateRow';
import { mapHeader } from '../loader/header';
import { HEADER } from './support/files';
import { throughTransform } from './support/streams';

/**
 * The encoder has a fast path for plain lines and a general one for everything else. These tests
 * check that the fast path never accepts what the general path (validateRow, csv-parse) refuses,
 * encodes what it accepts to the same values, and that where the input is cut into chunks does not
 * matter: line numbers, quoted records across chunks, CRLF, a byte order mark.
 */

interface Encoded {
  rows: string[];
  rejects: string[];
  counts: RowEncoder['counts'];
}

/** Keeps what the encoder gives the reject spool, in memory, as lines of COPY text. */
class CapturedRejects {
  private readonly buffer = Buffer.alloc(16 * 1024 * 1024);
  used = 0;

  add(line: string): void {
    this.used += this.buffer.write(line, this.used);
  }

  room(): Buffer {
    return this.buffer;
  }

  wrote(bytes: number): void {
    this.used += bytes;
  }

  lines(): string[] {
    return this.buffer
      .toString('utf8', 0, this.used)
      .split(/(?<=\n)/)
      .filter((line) => line !== '');
  }
}

/** Runs the encoder over content cut into the given chunk sizes (cycled); rows normalised to values. */
async function encode(content: Buffer, chunkSizes: number[] = [content.length]): Promise<Encoded> {
  const spool = new CapturedRejects();
  const encoder = new RowEncoder('test.csv', 7, spool);
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < content.length; i += 1) {
    const size = Math.max(1, chunkSizes[i % chunkSizes.length]!);
    chunks.push(content.subarray(at, at + size));
    at += size;
  }
  const rows = (await throughTransform(encoder, chunks))
    .toString()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [date, ...numbers] = line.split('\t');
      return [date, ...numbers.map((n) => String(Number(n)))].join('\t');
    });
  return { rows, rejects: spool.lines(), counts: { ...encoder.counts } };
}

function plainLines(count: number, seed: number): string[] {
  const next = seededRandom(seed);
  const pick = <T>(options: readonly T[]): T => options[Math.floor(next() * options.length)]!;
  const two = (from: number, to: number): string =>
    String(from + Math.floor(next() * (to - from + 1))).padStart(2, '0');
  // Mostly plain valid values, drawn from few enough days that some repeat.
  const goodDate = (): string =>
    `${pick(['1900', '2000', '2021', '2024', '0001', '9999'])}-${two(1, 12)}-${two(1, 31)}`;
  const goodCount = (): string => String(Math.floor(next() * 60));
  const oddDate = (): string =>
    pick([
      `${pick(['2021', '2024', '1900', '2000', '0000'])}-02-${two(28, 30)}`,
      `2021-${pick(['00', '13', '99'])}-01`,
      `2021-01-${pick(['00', '32'])}`,
      `${two(0, 99)}${two(0, 99)}-${two(0, 99)}-${two(0, 99)}`,
      `${two(0, 99)}1-01-01`,
      `1${two(0, 99)}11-01-01`,
      '2021-0101',
      '2021--1-01',
      '',
    ]);
  const oddCount = (): string =>
    pick(['2147483647', '2147483648', '99999999999', '0000000000007', '007', '', '-1', '1-', '0', '4294967296']);
  return Array.from({ length: count }, () => {
    const fields = [goodDate(), String(100 + Math.floor(next() * 100)), goodCount(), goodCount()];
    const odd = next();
    if (odd < 0.1) fields[0] = oddDate();
    else if (odd < 0.25) fields[1 + Math.floor(next() * 3)] = oddCount();
    else if (odd < 0.27) fields.push(goodCount());
    else if (odd < 0.29) fields.pop();
    return fields.join(',');
  });
}

/** What the general path makes of a line, computed without the encoder. */
function expected(lines: string[]): { rows: string[]; rejected: string[] } {
  const header = mapHeader(HEADER.split(','));
  const firstLine = new Map<number, number>();
  const rows: string[] = [];
  const rejected: string[] = [];
  lines.forEach((line, i) => {
    const result = validateRow(line.split(','), header);
    if (!result.ok) {
      rejected.push(`${i + 2}: ${result.problem}`);
      return;
    }
    const first = firstLine.get(result.value.dayNumber);
    if (first !== undefined) {
      rejected.push(
        `${i + 2}: repayment_date ${result.value.repaymentDate} repeats line ${first}; the first row of a day wins`,
      );
      return;
    }
    firstLine.set(result.value.dayNumber, i + 2);
    const row = result.value;
    rows.push([row.repaymentDate, row.numberOfLoans, row.defaults, row.liquidations, 7].join('\t'));
  });
  return { rows, rejected };
}

test('the fast path accepts exactly what the general path accepts, with the same values', async () => {
  const lines = plainLines(20_000, 11);
  const result = await encode(Buffer.from(`${HEADER}\n${lines.join('\n')}\n`));
  const want = expected(lines);
  // Both kinds happen, or the test proves nothing.
  expect(want.rows.length).toBeGreaterThan(1000);
  expect(want.rejected.length).toBeGreaterThan(1000);
  expect(result.rows).toEqual(want.rows);
  expect(
    result.rejects.map((line) => {
      const [, number, , reason] = line.slice(0, -1).split('\t');
      return `${number}: ${reason}`;
    }),
  ).toEqual(want.rejected);
  expect(want.rejected.filter((reject) => reject.includes('repeats line')).length).toBeGreaterThan(100);
  expect(result.counts).toEqual({
    read: lines.length,
    loaded: want.rows.length,
    rejected: want.rejected.length,
    blank: 0,
  });
});

const MIXED = Buffer.concat([
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from(
    [
      '"Date of Repayment","Number of Loans",Default,Liquidation',
      '2021-01-01,10,1,1',
      '"2021-01-02",10,1,1',
      '"2021-01-03","1\r\n0",1,1',
      '2021-01-04,10,1,1',
      '',
      '  ',
      '"2021-01-05","",1,1',
      ' 2021-01-06 , +10 ,1,1',
      '2021-01-01,10,1,1',
      '2021-01-07,1"0,1,1',
      '2021-01-08,10,2,9',
      '"2021-01-09","x',
      'y",1,1',
      '2021-01-10,10,1,1',
    ].join('\r\n'),
  ),
]);

test('where the input is cut does not matter, quoted records across lines included', async () => {
  const whole = await encode(MIXED);
  expect(whole.counts).toEqual({ read: 13, loaded: 5, rejected: 6, blank: 2 });
  expect(whole.rows.map((row) => row.split('\t')[0])).toEqual([
    '2021-01-01',
    '2021-01-02',
    '2021-01-04',
    '2021-01-06',
    '2021-01-10',
  ]);
  // Lines counted by the encoder itself: the quoted CRLF of line 4 does not shift the rest.
  expect(whole.rejects.map((line) => line.split('\t').slice(1, 2)[0])).toEqual(['4', '9', '11', '12', '13', '14']);
  for (const sizes of [[1], [2], [3], [7, 1, 13], [64]]) {
    expect(await encode(MIXED, sizes)).toEqual(whole);
  }
});

test('a quoted field is kept whole in the reject, with its line break escaped', async () => {
  const { rejects } = await encode(MIXED, [5]);
  expect(rejects.find((line) => line.split('\t')[1] === '14')).toBe(
    '7\t14\t"2021-01-09","x\\r\\ny",1,1\tnumber_of_loans "x\\\\r\\\\ny" is not a whole number\n',
  );
});

test('a record of exactly 64 KiB before its CRLF is accepted wherever the chunk ends, even between CR and LF', async () => {
  const record = `2021-01-01,${'1'.repeat(65_536 - '2021-01-01,'.length - 4)},0,0`;
  expect(record).toHaveLength(65_536);
  const content = Buffer.from(`${HEADER}\r\n${record}\r\n2021-01-02,1,0,0\r\n`);
  const crAt = content.indexOf('\r\n2021-01-02');
  for (const sizes of [[content.length], [crAt + 1, content.length], [crAt, content.length], [64 * 1024]]) {
    const { counts, rejects } = await encode(content, sizes);
    expect(counts).toEqual({ read: 2, loaded: 1, rejected: 1, blank: 0 });
    // (Checked as booleans: a failure would print the 64 KiB line.)
    expect(rejects[0]!.startsWith('7\t2\t2021-01-01,111')).toBe(true);
    expect(rejects[0]!.endsWith(' is larger than 2147483647\n')).toBe(true);
  }
  // One byte more is a broken file, again wherever the chunk ends.
  const tooLong = Buffer.from(`${HEADER}\r\n${record}1\r\n`);
  for (const sizes of [[tooLong.length], [tooLong.indexOf('\r\n', 100) + 1, tooLong.length]]) {
    await expect(encode(tooLong, sizes)).rejects.toThrow(/test\.csv:2: a record longer than 65536 bytes/);
  }
});
