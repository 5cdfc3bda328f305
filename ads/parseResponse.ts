import { describeError, InputError } from '../lib/errors';
import { jsonArrayElements } from './jsonArrayElements';
import { validateImpression, type Impression } from './validateImpression';

/**
 * A stored response of the ads API read as impressions: the rows to load, and the elements that
 * break a rule with their position and text (docs/ads.md, "Rejects"). A body that is not a JSON
 * array is refused as a whole.
 */

export interface Reject {
  /** Index in the response's array, from 0. */
  position: number;
  reason: string;
  /** The element as the API wrote it. */
  raw: string;
}

export interface ParsedResponse {
  /** In the order of the array. */
  impressions: Impression[];
  rejects: Reject[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a JSON object';
  return `a JSON ${typeof value}`;
}

/** The elements of the array the body holds, as values and as text; InputError when it holds none. */
function readArray(body: Buffer): { values: unknown[]; texts: string[] } {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new InputError('the response is not UTF-8 text');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`the response is not JSON (${describeError(error)})`);
  }
  if (!Array.isArray(value)) throw new InputError(`the response is ${describeJson(value)}, not a JSON array`);
  const texts = jsonArrayElements(text);
  if (texts.length !== value.length) {
    throw new Error(`found ${texts.length} element texts in an array of ${value.length} elements`);
  }
  return { values: value, texts };
}

/**
 * The impressions of one response; receivedAt is when it arrived (for "not in the future"). An
 * ad_id seen earlier in the same response is a reject too: one statement cannot upsert a row
 * twice, and which of the two is right cannot be known.
 */
export function parseResponse(body: Buffer, receivedAt: Date): ParsedResponse {
  const { values, texts } = readArray(body);
  const impressions: Impression[] = [];
  const rejects: Reject[] = [];
  const seen = new Map<string, number>();
  values.forEach((element, position) => {
    const verdict = validateImpression(element, receivedAt);
    const first = verdict.ok ? seen.get(verdict.impression.ad_id) : undefined;
    if (!verdict.ok) rejects.push({ position, reason: verdict.reason, raw: texts[position]! });
    else if (first !== undefined) {
      rejects.push({ position, reason: `ad_id: the same as at position ${first}`, raw: texts[position]! });
    } else {
      seen.set(verdict.impression.ad_id, position);
      impressions.push(verdict.impression);
    }
  });
  return { impressions, rejects };
}
