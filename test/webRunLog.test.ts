import { readRunLog } from '../web/runLog';
import { tempDir, writeFile } from './support/files';

/** A run's lines of cron.log, read backwards and bounded (web/runLog.ts), on files written here. */

const dir = tempDir('web-run-log-');
const START = Date.parse('2026-12-01T12:00:00Z');

function line(offsetMs: number, run: string, text = 'status=succeeded'): string {
  return `${new Date(START + offsetMs).toISOString()} INFO  scheduler job=wf run=${run} ${text}`;
}

test('its lines only, oldest first, across the current file and a rotated one, in text and JSON', async () => {
  const file = `${dir}/cron.log`;
  writeFile(dir, 'cron.log.1', [
    line(-200_000, 'r1', 'not reached'),
    line(-120_000, 'other'),
    line(0, 'other'),
    line(1, 'r1', 'task=a'),
    '',
  ]);
  writeFile(dir, 'cron.log', [
    JSON.stringify({ timestamp: new Date(START + 2).toISOString(), run: 'r1', status: 'succeeded' }),
    line(3, 'r10'),
    line(4, 'r1', 'status=succeeded — ünïcode'),
    '',
  ]);
  const log = await readRunLog(file, 'r1', new Date(START));
  // Another run's line two minutes before the run's start (beyond a minute of slack) stops the reading.
  expect(log.lines).toEqual([
    line(1, 'r1', 'task=a'),
    JSON.stringify({ timestamp: new Date(START + 2).toISOString(), run: 'r1', status: 'succeeded' }),
    line(4, 'r1', 'status=succeeded — ünïcode'),
  ]);
  expect(log).toMatchObject({ found: true, truncated: false });
});

test('a big file is read from its end only, as far as the limits allow', async () => {
  const lines = [line(0, 'big', 'status=started')];
  // About 8 MB of other runs' lines after the run started, multi-byte characters across chunk ends.
  for (let i = 1; i <= 100_000; i += 1) lines.push(line(i, `o${i}`, `é${'x'.repeat(i % 13)}`));
  lines.push(line(100_001, 'big', 'status=succeeded'), '');
  const file = writeFile(dir, 'big.log', lines);
  const bounded = await readRunLog(file, 'big', new Date(START), { maxBytes: 256 * 1024, maxLines: 100 });
  expect(bounded.lines).toEqual([line(100_001, 'big', 'status=succeeded')]);
  expect(bounded.truncated).toBe(true);
  expect(bounded.bytesRead).toBe(256 * 1024);
  const whole = await readRunLog(file, 'big', new Date(START), { maxBytes: 64 * 1024 * 1024, maxLines: 100 });
  expect(whole.lines).toEqual([line(0, 'big', 'status=started'), line(100_001, 'big', 'status=succeeded')]);
  expect(whole.truncated).toBe(false);
  const few = await readRunLog(file, 'big', new Date(START), { maxBytes: 64 * 1024 * 1024, maxLines: 1 });
  expect(few).toMatchObject({ lines: [line(100_001, 'big', 'status=succeeded')], truncated: true });
});

test('no log file here: said so, not an error', async () => {
  expect(await readRunLog(`${dir}/none.log`, 'r1', new Date(START))).toEqual({
    file: `${dir}/none.log`,
    lines: [],
    truncated: false,
    bytesRead: 0,
    found: false,
  });
});
