import { parseIsoDate } from './validateRow';

/**
 * Maps a CSV header to the loans columns by name, not by position. Names are compared after
 * normalising case, spaces, punctuation and quotes, and after taking off an "(as of YYYY-MM-DD)"
 * suffix, whose date is kept as metadata of the load.
 */

export const LOAN_COLUMNS = ['repayment_date', 'number_of_loans', 'defaults', 'liquidations'] as const;
export type LoanColumn = (typeof LOAN_COLUMNS)[number];

/** The names each column is known by in files, after normalisation. */
const ALIASES: Record<string, LoanColumn> = {
  date_of_repayment: 'repayment_date',
  repayment_date: 'repayment_date',
  number_of_loans: 'number_of_loans',
  loans: 'number_of_loans',
  default: 'defaults',
  defaults: 'defaults',
  liquidation: 'liquidations',
  liquidations: 'liquidations',
};

export const EXPECTED_HEADER =
  'Date of Repayment,Number of Loans,Default (as of YYYY-MM-DD),Liquidation (as of YYYY-MM-DD)';

export interface HeaderMapping {
  /** Position of each loans column in a record. */
  index: Record<LoanColumn, number>;
  /** How many fields every record must have. */
  fieldCount: number;
  /** The "(as of …)" dates of the header, by column. */
  asOf: Partial<Record<LoanColumn, string>>;
}

export class HeaderError extends Error {}

const AS_OF = /\(\s*as\s+of\s+([^)]*?)\s*\)/i;

export function normaliseColumnName(raw: string): {
  name: string;
  asOf?: string;
} {
  let text = raw.replace(/^\uFEFF/, '').trim();
  let asOf: string | undefined;
  const match = AS_OF.exec(text);
  if (match) {
    asOf = match[1];
    text = text.replace(AS_OF, ' ');
  }
  const name = text
    .toLowerCase()
    .replace(/["'`]/g, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return asOf === undefined ? { name } : { name, asOf };
}

export function mapHeader(fields: readonly string[]): HeaderMapping {
  if (fields.every((field) => field.trim() === '')) {
    throw new HeaderError(`the header line is empty; expected ${EXPECTED_HEADER}`);
  }
  if (parseIsoDate(fields[0]?.trim() ?? '').ok) {
    throw new HeaderError(`the first line looks like data, not a header; add the header line ${EXPECTED_HEADER}`);
  }
  if (fields.length === 1) {
    const delimiter = [';', '\t', '|'].find((d) => fields[0]?.includes(d));
    if (delimiter !== undefined) {
      throw new HeaderError(
        `the header has one column and contains ${JSON.stringify(delimiter)}: fields must be separated by commas`,
      );
    }
  }

  const problems: string[] = [];
  const index: Partial<Record<LoanColumn, number>> = {};
  const asOf: Partial<Record<LoanColumn, string>> = {};
  fields.forEach((raw, position) => {
    const { name, asOf: date } = normaliseColumnName(raw);
    const column = ALIASES[name];
    if (column === undefined) {
      problems.push(`unknown column ${JSON.stringify(raw.trim())} (field ${position + 1})`);
      return;
    }
    if (index[column] !== undefined) {
      problems.push(`column ${column} appears twice (fields ${index[column] + 1} and ${position + 1})`);
      return;
    }
    index[column] = position;
    if (date !== undefined) {
      if (!parseIsoDate(date).ok) {
        problems.push(
          `column ${JSON.stringify(raw.trim())}: "as of" date ${JSON.stringify(date)} is not a YYYY-MM-DD date`,
        );
      } else {
        asOf[column] = date;
      }
    }
  });
  const missing = LOAN_COLUMNS.filter((column) => index[column] === undefined);
  if (missing.length > 0) problems.push(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  if (problems.length > 0) {
    throw new HeaderError(`bad header: ${problems.join('; ')}; expected ${EXPECTED_HEADER}`);
  }
  return {
    index: index as Record<LoanColumn, number>,
    fieldCount: fields.length,
    asOf,
  };
}
