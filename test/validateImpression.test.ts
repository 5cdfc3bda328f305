import { epochSecondsToTimestamp } from '../ads/epochSeconds';
import { CLOCK_SKEW_MS, validateImpression } from '../ads/validateImpression';

const receivedAt = new Date('2024-05-01T12:00:00Z');
const good = {
  ad_id: '3F2504E0-4F89-11D3-9A0C-0305E82C3301',
  ad_group: 'marketing',
  ad_campaign: 512,
  shown_at: 1714564800.1234567, // 2024-05-01T12:00:00.1234567Z, less than the clock skew after receivedAt
  ad_scheme: { origin: 'manual', approved: true },
};

function reason(changes: Record<string, unknown>, drop: string[] = []): string {
  const element: Record<string, unknown> = { ...good, ...changes };
  for (const field of drop) delete element[field];
  const verdict = validateImpression(element, receivedAt);
  if (verdict.ok) throw new Error(`accepted ${JSON.stringify(element)}`);
  return verdict.reason;
}

describe('epochSecondsToTimestamp', () => {
  test.each([
    [0, '1970-01-01T00:00:00.000000Z'],
    [1714564800, '2024-05-01T12:00:00.000000Z'],
    [1714564800.5, '2024-05-01T12:00:00.500000Z'],
    // Seven digits: rounded to six, half away from zero, on the decimal text, not on the binary value.
    [1714564800.1234567, '2024-05-01T12:00:00.123457Z'],
    [1714564800.1234565, '2024-05-01T12:00:00.123457Z'],
    [1714564800.1234574, '2024-05-01T12:00:00.123457Z'],
    [1714564800.9999995, '2024-05-01T12:00:01.000000Z'], // carries into the next second
    [1714564800.000001, '2024-05-01T12:00:00.000001Z'],
    // String(n) writes these with an exponent.
    [1e-7, '1970-01-01T00:00:00.000000Z'],
    [5e-7, '1970-01-01T00:00:00.000001Z'],
    [1.5e-6, '1970-01-01T00:00:00.000002Z'],
    [253402300799.999, '9999-12-31T23:59:59.999000Z'],
  ])('%s is %s', (seconds, text) => {
    expect(epochSecondsToTimestamp(seconds)).toBe(text);
  });

  test('where the float product is a microsecond off, the decimal text the API wrote is not', () => {
    // The text says ….8047504, which rounds to ….804750; n * 1e6 in binary rounds to ….804751.
    expect(Math.round(1686700278.8047504 * 1e6) % 1_000_000).toBe(804751);
    expect(epochSecondsToTimestamp(1686700278.8047504)).toBe('2023-06-13T23:51:18.804750Z');
  });

  test('refuses what is not a time from 1970 to 9999', () => {
    for (const bad of [-1, Infinity, NaN, 253402300800]) expect(() => epochSecondsToTimestamp(bad)).toThrow(RangeError);
  });
});

describe('validateImpression', () => {
  test('a good impression becomes a row: the ad_id in lower case, the time to the microsecond', () => {
    expect(validateImpression(good, receivedAt)).toEqual({
      ok: true,
      impression: {
        ad_id: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
        ad_group: 'marketing',
        ad_campaign: 512,
        shown_at: '2024-05-01T12:00:00.123457Z',
        ad_scheme: { origin: 'manual', approved: true },
      },
    });
  });

  test('"__unknown" is a NULL campaign; no or a null ad_scheme is NULL; other fields are ignored', () => {
    const verdict = validateImpression(
      { ...good, ad_campaign: '__unknown', ad_scheme: null, extra: [1, 2] },
      receivedAt,
    );
    expect(verdict).toMatchObject({ ok: true, impression: { ad_campaign: null, ad_scheme: null } });
    const withoutScheme: Record<string, unknown> = { ...good };
    delete withoutScheme.ad_scheme;
    expect(validateImpression(withoutScheme, receivedAt)).toMatchObject({ ok: true, impression: { ad_scheme: null } });
  });

  test('the integer range of ad_campaign is PostgreSQL integer', () => {
    expect(validateImpression({ ...good, ad_campaign: -2147483648 }, receivedAt).ok).toBe(true);
    expect(validateImpression({ ...good, ad_campaign: 2147483647 }, receivedAt).ok).toBe(true);
    expect(reason({ ad_campaign: 2147483648 })).toBe(
      'ad_campaign: 2147483648 is outside the integer range (-2147483648 to 2147483647)',
    );
  });

  test('shown_at up to the clock skew after the arrival is accepted; later is in the future', () => {
    const latest = (receivedAt.getTime() + CLOCK_SKEW_MS) / 1000;
    expect(validateImpression({ ...good, shown_at: latest }, receivedAt).ok).toBe(true);
    expect(reason({ shown_at: latest + 0.001 })).toBe(
      `shown_at: ${latest + 0.001} is in the future: later than the arrival of the response (2024-05-01T12:00:00.000Z) plus 5 minutes`,
    );
  });

  test.each([
    [{}, ['ad_id'], 'ad_id: missing'],
    [{ ad_id: 42 }, [], 'ad_id: 42 (a number) is not a string'],
    [
      { ad_id: '3f2504e0-4f89-11d3-9a0c-0305e82c330z' },
      [],
      'ad_id: "3f2504e0-4f89-11d3-9a0c-0305e82c330z" is not a UUID',
    ],
    [{ ad_id: '3f2504e04f8911d39a0c0305e82c3301' }, [], 'ad_id: "3f2504e04f8911d39a0c0305e82c3301" is not a UUID'],
    [{}, ['ad_group'], 'ad_group: missing'],
    [{ ad_group: 2 }, [], 'ad_group: 2 (a number) is not a string'],
    [{ ad_group: '  ' }, [], 'ad_group: is empty'],
    [{ ad_group: 'a\u0000b' }, [], 'ad_group: holds a NUL character or a lone surrogate, which PostgreSQL text cannot'],
    [{ ad_group: 'a\ud800' }, [], 'ad_group: holds a NUL character or a lone surrogate, which PostgreSQL text cannot'],
    [{}, ['ad_campaign'], 'ad_campaign: missing'],
    [{ ad_campaign: 'unknown' }, [], 'ad_campaign: "unknown" (a string) is neither an integer nor "__unknown"'],
    [{ ad_campaign: 12.5 }, [], 'ad_campaign: 12.5 (a number) is neither an integer nor "__unknown"'],
    [{ ad_campaign: null }, [], 'ad_campaign: null is neither an integer nor "__unknown"'],
    [{}, ['shown_at'], 'shown_at: missing'],
    [{ shown_at: '1714564800.5' }, [], 'shown_at: "1714564800.5" (a string) is not a number'],
    [{ shown_at: Infinity }, [], 'shown_at: Infinity is not a finite number'],
    [{ shown_at: -0.5 }, [], 'shown_at: -0.5 is before 1970-01-01'],
    [{ ad_scheme: 'manual' }, [], 'ad_scheme: "manual" (a string) is not an object'],
    [{ ad_scheme: [] }, [], 'ad_scheme: [] (an array) is not an object'],
    [
      { ad_scheme: { origin: 'robot', approved: 'yes' } },
      [],
      'ad_scheme: origin "robot" (a string) is not "manual" or "automatic", approved "yes" (a string) is not true or false',
    ],
    [{ ad_scheme: { approved: false } }, [], 'ad_scheme: origin is missing'],
    [{ ad_scheme: { origin: 'automatic', approved: false, by: 'x' } }, [], 'ad_scheme: unexpected field "by"'],
  ])('%j without %j: %s', (changes, drop, expected) => {
    expect(reason(changes, drop)).toBe(expected);
  });

  test('every broken rule of an element is named, in the order of the columns', () => {
    expect(reason({ ad_id: 'x', shown_at: null }, ['ad_group'])).toBe(
      'ad_id: "x" is not a UUID; ad_group: missing; shown_at: null is not a number',
    );
  });

  test('an element that is not an object', () => {
    for (const [element, what] of [
      [5, '5 (a number)'],
      [null, 'null'],
      [[good], '[{"ad_id":"3F2504E0-4F89-11D3-9A0C-0305E… (an array)'],
      ['ad', '"ad" (a string)'],
    ] as const) {
      expect(validateImpression(element, receivedAt)).toEqual({
        ok: false,
        reason: `the impression is ${what}, not an object`,
      });
    }
  });
});
