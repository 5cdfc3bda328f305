import { isSafeType, unsafeTypeProblem } from './partitions';

/**
 * The rules an event line must pass to enter the lake (docs/lake.md, "Validation"), checked in
 * this order; the first that fails is the line's quarantine reason. line_too_long and
 * invalid_utf8 are checked on the bytes (lake/sourceLines.ts) before the line is text;
 * duplicate_key after this, when DuckDB reads the line (lake/ingest.ts).
 */
export const QUARANTINE_REASONS = [
  'line_too_long',
  'invalid_utf8',
  'not_json',
  'not_object',
  'missing_field',
  'wrong_type',
  'bad_id',
  'created_at_out_of_range',
  'unsafe_type',
  'type_mismatch',
  'duplicate_key',
] as const;

export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

export interface ValidEvent {
  ok: true;
  id: string;
  type: string;
  createdAtMs: number;
}

export interface Rejection {
  ok: false;
  reason: QuarantineReason;
  detail: string;
}

export const MAX_LINE_BYTES = 1024 * 1024;
export const MAX_ID_LENGTH = 256;
/** 2000-01-01T00:00:00Z: anything earlier is a unit mistake (epoch seconds read as milliseconds are January 1970). */
export const MIN_CREATED_AT_MS = Date.UTC(2000, 0, 1);
/** How far past the ingest's start an event may claim to have been created (clock skew, time zones). */
export const MAX_FUTURE_MS = 24 * 3600 * 1000;

export interface ValidationContext {
  /** The ingest's start, for the future bound of created_at. */
  nowMs: number;
  /** The <type> of a raw-event-<type> source, whose events must all be of that type. */
  expectedType?: string;
}

function reject(reason: QuarantineReason, detail: string): Rejection {
  return { ok: false, reason, detail };
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The first missing or mistyped required field, or undefined: data and meta present, then both
 * objects, then data.id, data.type, data.attributes and meta.created_at present, then of their types.
 */
function shapeProblem(event: Record<string, unknown>): Rejection | undefined {
  const { data, meta } = event;
  if (data === undefined) return reject('missing_field', 'data is missing');
  if (meta === undefined) return reject('missing_field', 'meta is missing');
  if (!isObject(data)) return reject('wrong_type', `data is ${kindOf(data)}, not an object`);
  if (!isObject(meta)) return reject('wrong_type', `meta is ${kindOf(meta)}, not an object`);
  for (const field of ['id', 'type', 'attributes'] as const) {
    if (data[field] === undefined) return reject('missing_field', `data.${field} is missing`);
  }
  if (meta.created_at === undefined) return reject('missing_field', 'meta.created_at is missing');
  if (typeof data.id !== 'string') return reject('wrong_type', `data.id is ${kindOf(data.id)}, not a string`);
  if (typeof data.type !== 'string') return reject('wrong_type', `data.type is ${kindOf(data.type)}, not a string`);
  if (!isObject(data.attributes)) {
    return reject('wrong_type', `data.attributes is ${kindOf(data.attributes)}, not an object`);
  }
  if (typeof meta.created_at !== 'number' || !Number.isSafeInteger(meta.created_at)) {
    const what = typeof meta.created_at === 'number' ? String(meta.created_at) : kindOf(meta.created_at);
    return reject('wrong_type', `meta.created_at is ${what}, not an integer of epoch milliseconds`);
  }
  return undefined;
}

/** Checks one line (UTF-8 text, not blank) against the rules, from not_json to type_mismatch. */
export function validateEventLine(line: string, context: ValidationContext): ValidEvent | Rejection {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch (error) {
    return reject('not_json', (error as Error).message);
  }
  if (!isObject(event)) return reject('not_object', `the line is ${kindOf(event)}, not a JSON object`);
  const problem = shapeProblem(event);
  if (problem !== undefined) return problem;
  const data = event.data as { id: string; type: string };
  const createdAtMs = (event.meta as { created_at: number }).created_at;
  if (data.id === '') return reject('bad_id', 'data.id is empty');
  if (data.id.length > MAX_ID_LENGTH) {
    return reject('bad_id', `data.id is ${data.id.length} characters long, more than ${MAX_ID_LENGTH}`);
  }
  if (createdAtMs < MIN_CREATED_AT_MS || createdAtMs > context.nowMs + MAX_FUTURE_MS) {
    return reject(
      'created_at_out_of_range',
      `meta.created_at ${createdAtMs} is ${createdAtMs < MIN_CREATED_AT_MS ? 'before 2000-01-01' : 'more than a day after the ingest started'} (epoch milliseconds expected)`,
    );
  }
  if (!isSafeType(data.type)) return reject('unsafe_type', unsafeTypeProblem(data.type));
  if (context.expectedType !== undefined && data.type !== context.expectedType) {
    return reject(
      'type_mismatch',
      `data.type is ${data.type}, but the source raw-event-${context.expectedType} holds ${context.expectedType} events`,
    );
  }
  return { ok: true, id: data.id, type: data.type, createdAtMs };
}
