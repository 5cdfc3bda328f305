import { InputError } from '../lib/errors';
import { jsonArrayElements } from '../ads/jsonArrayElements';
import { parseResponse } from '../ads/parseResponse';

const receivedAt = new Date('2024-05-01T12:00:00Z');
const impression = (id: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  ad_id: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
  ad_group: 'brand',
  ad_campaign: 700,
  shown_at: 1714560000.25,
  ...extra,
});

describe('jsonArrayElements', () => {
  test('the text of each element as written, whatever it holds', () => {
    const elements = [
      '{"a":[1,{"b":"]}[,\\"\\\\"}],"c":{}}',
      '1e400',
      '"x,y]"',
      '[ ]',
      'null',
      '{ "shown_at" : 1714560000.2500 }',
    ];
    expect(jsonArrayElements(`[\n  ${elements.join(' ,\n\t')}  \r\n]`)).toEqual(elements);
  });

  test('an empty array has none', () => {
    expect(jsonArrayElements('[]')).toEqual([]);
    expect(jsonArrayElements(' [ \n ] ')).toEqual([]);
  });
});

describe('parseResponse', () => {
  test('valid impressions become rows in order; a broken one is a reject with its position and its text', () => {
    const raw = '{"ad_id":"nope","ad_group":"brand","ad_campaign":700,"shown_at":1e400}';
    const body = Buffer.from(`[${JSON.stringify(impression(1))},${raw}, ${JSON.stringify(impression(2))}]`);
    const parsed = parseResponse(body, receivedAt);
    expect(parsed.impressions.map((i) => i.ad_id)).toEqual([
      '00000000-0000-4000-8000-000000000001',
      '00000000-0000-4000-8000-000000000002',
    ]);
    expect(parsed.impressions[0]!.shown_at).toBe('2024-05-01T10:40:00.250000Z');
    expect(parsed.rejects).toEqual([
      { position: 1, reason: 'ad_id: "nope" is not a UUID; shown_at: Infinity is not a finite number', raw },
    ]);
  });

  test('an ad_id seen earlier in the response is a reject naming where', () => {
    const first = impression(7);
    const again = impression(7, { ad_group: 'marketing' });
    const parsed = parseResponse(Buffer.from(JSON.stringify([first, again])), receivedAt);
    expect(parsed.impressions).toHaveLength(1);
    expect(parsed.rejects).toEqual([
      { position: 1, reason: 'ad_id: the same as at position 0', raw: JSON.stringify(again) },
    ]);
  });

  test.each([
    ['[{"ad_id":', /^the response is not JSON \(.+\)$/],
    ['{"ads":[]}', /^the response is a JSON object, not a JSON array$/],
    ['"ads"', /^the response is a JSON string, not a JSON array$/],
    ['null', /^the response is null, not a JSON array$/],
    ['', /^the response is not JSON/],
  ])('%j is refused as a whole', (text, message) => {
    expect(() => parseResponse(Buffer.from(text), receivedAt)).toThrow(InputError);
    expect(() => parseResponse(Buffer.from(text), receivedAt)).toThrow(message);
  });

  test('bytes that are not UTF-8 are refused as a whole', () => {
    expect(() => parseResponse(Buffer.from([0x5b, 0xff, 0x5d]), receivedAt)).toThrow('the response is not UTF-8 text');
  });
});
