import type { TypeDayCount } from './eventCounts';
import type { Reason } from './malformedLines';

/**
 * manifest.json, written into the output folder once every file is closed (docs/events-generator.md,
 * "The manifest"): the options of the run, what each file holds line by line, and the reference
 * counts a later ingest or KPI job is checked against. No manifest means no complete run.
 */

export const MANIFEST_FILE = 'manifest.json';

export interface ManifestOptions {
  out: string;
  events: number;
  types: number;
  users: number;
  seed: number;
  /** YYYY-MM-DDTHH, UTC. */
  start: string;
  hours: number;
  malformed: number;
  duplicates: number;
  late: number;
  late_max_hours: number;
  blank: number;
  gzip: boolean;
  per_type: boolean;
  lines_per_file: number | null;
}

export interface FileEntry {
  /** From the output folder, with / between folders. */
  path: string;
  /** The arrival hour of every line in it, YYYY-MM-DDTHH (UTC). */
  hour: string;
  /** Under --per-type: the type of its folder. */
  type?: string;
  /** Under --lines-per-file: its place among the files of its hour (and type), from 1. */
  part?: number;
  lines: number;
  /** First deliveries of valid events. */
  events: number;
  duplicates: number;
  blank: number;
  /** Events (first deliveries) created in an hour before this file's hour. */
  late: number;
  /** The line numbers (from 1) of the malformed lines, by the reason the validator must give. */
  malformed: Partial<Record<Reason, number[]>>;
  malformed_lines: number;
  /** The size of the file, compressed under --gzip, and the SHA-256 of those bytes. */
  bytes: number;
  sha256: string;
}

export interface TypeEntry {
  type: string;
  /** 1 for the busiest. */
  rank: number;
  service: string;
  user_id: boolean;
  /** Whether meta carries version (1, or 2 once the type drifted). */
  version: boolean;
  fields: string[];
  /** From `at` (created_at, UTC) on: field_added, or number_to_string of the field. */
  drift: { change: 'field_added' | 'number_to_string'; field: string; at: string } | null;
  events: number;
}

export interface Manifest {
  generated_by: string;
  options: ManifestOptions;
  /** The arrival hours: from the start of the first to the end of the last (ISO 8601, UTC). */
  span: { start: string; end: string };
  files: FileEntry[];
  totals: {
    files: number;
    lines: number;
    events: number;
    duplicates: number;
    blank: number;
    late: number;
    malformed: number;
    malformed_by_reason: Record<Reason, number>;
    bytes: number;
    /** Equal to events: ids are 122 random bits each, so two alike are not to be expected. */
    distinct_event_ids: number;
  };
  types: TypeEntry[];
  events_by_type_and_date: TypeDayCount[];
}

// An array of numbers, or of strings without quotes or backslashes, as JSON.stringify indents it.
const FLAT_ARRAY = /\[\s+((?:\d+|"[^"\\]*")(?:,\s+(?:\d+|"[^"\\]*"))*)\s+\]/g;

/**
 * JSON indented by two, but the arrays of line numbers and of field names on one line each: a
 * manifest of a big run lists thousands of them.
 */
export function formatManifest(manifest: Manifest): string {
  const text = JSON.stringify(manifest, null, 2).replace(
    FLAT_ARRAY,
    (_, items: string) => `[${items.replace(/,\s+/g, ', ')}]`,
  );
  return `${text}\n`;
}
