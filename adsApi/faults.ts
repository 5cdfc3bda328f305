/**
 * The faults a caller of GET /ads can ask for in its query (docs/ads-api.md, "Faults"), so that a
 * test or a demo picks them with ADS_API_URL alone. A parameter that is not understood is refused
 * (400, naming it), never ignored: a test that asked for a fault it did not get would pass for
 * the wrong reason.
 */

export const BODY_SHAPES = ['malformed', 'truncated', 'object'] as const;
export type BodyShape = (typeof BODY_SHAPES)[number];

export interface Faults {
  /** Wait this long before answering. */
  delayMs: number;
  /** Answer this status with a JSON error instead of impressions. */
  status?: number;
  /** The first this-many requests of the server that carry fail_first answer 500. */
  failFirst?: number;
  body?: BodyShape;
  /** Every this-many-th impression breaks one rule (ruleBreaks.ts). */
  badEvery?: number;
}

/** Two minutes: longer than any client timeout worth testing, short enough not to pile up requests. */
export const MAX_DELAY_MS = 120_000;

type Setter = (faults: Faults, value: string) => string | undefined;

/** Sets the value when it is a whole number from min to max; else says what is wrong with it. */
function wholeNumber(
  name: string,
  value: string,
  min: number,
  max: number,
  set: (n: number) => void,
): string | undefined {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    return `${name}=${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`;
  }
  set(n);
  return undefined;
}

const PARAMETERS: Record<string, Setter> = {
  delay_ms: (faults, value) => wholeNumber('delay_ms', value, 0, MAX_DELAY_MS, (n) => (faults.delayMs = n)),
  // 200 is no fault, and 1xx are not final answers.
  status: (faults, value) => wholeNumber('status', value, 201, 599, (n) => (faults.status = n)),
  fail_first: (faults, value) => wholeNumber('fail_first', value, 0, 1_000_000, (n) => (faults.failFirst = n)),
  bad_every: (faults, value) => wholeNumber('bad_every', value, 1, 100, (n) => (faults.badEvery = n)),
  body: (faults, value) => {
    if (!(BODY_SHAPES as readonly string[]).includes(value)) {
      return `body=${JSON.stringify(value)}: expected one of ${BODY_SHAPES.join(', ')}`;
    }
    faults.body = value as BodyShape;
    return undefined;
  },
};

/** The faults of a query, or every problem with it in one message. */
export function parseFaults(query: URLSearchParams): { faults: Faults } | { problem: string } {
  const faults: Faults = { delayMs: 0 };
  const problems: string[] = [];
  for (const name of new Set(query.keys())) {
    const values = query.getAll(name);
    const set = Object.hasOwn(PARAMETERS, name) ? PARAMETERS[name] : undefined;
    const problem =
      set === undefined
        ? `unknown parameter ${JSON.stringify(name)}: expected one of ${Object.keys(PARAMETERS).join(', ')}`
        : values.length > 1
          ? `${name} given ${values.length} times: give it once`
          : set(faults, values[0]!);
    if (problem !== undefined) problems.push(problem);
  }
  return problems.length === 0 ? { faults } : { problem: `${problems.join('; ')} (docs/ads-api.md, "Faults")` };
}
