import { InputError } from '../lib/errors';
import type { DuckDb } from './duckdb';

/**
 * Which lake files a query can need (docs/lake-query.md, "Pruning"), from DuckDB's own parse of
 * it (json_serialize_sql): for each place the statement reads the view `events`, the constraints
 * that the WHERE of that very SELECT puts on type, created_at, date and hour through conjuncts
 * (top-level ANDs) of a column compared with constants. Everything else — OR, NOT, functions,
 * parameters, joins, sampling, a table function — constrains nothing, so the plan can only ever
 * be too wide, never too narrow: the whole query still runs over the chosen files, and DuckDB
 * decides every row.
 */

/** What one reading of events can match; an absent field does not constrain. Bounds are inclusive. */
export interface EventsFilter {
  /** The type is one of these. */
  types?: string[];
  /** The type starts with each of these (from LIKE 'prefix%'). */
  typePrefixes?: string[];
  /** created_at in [fromMs, toMs], epoch milliseconds, rounded outwards. */
  fromMs?: number;
  toMs?: number;
  /** The partition date, YYYY-MM-DD. */
  fromDate?: string;
  toDate?: string;
  /** The partition hour is one of these. */
  hours?: number[];
}

export interface QueryPlan {
  /** One filter per reading of events ({} reads every file); empty when the statement never reads it. */
  events: EventsFilter[];
  /** The statement reads the quarantine view (which is never pruned). */
  quarantine: boolean;
  /** The columns that pruned, for the log; empty when nothing did. */
  prunedBy: string[];
  /** Why nothing was pruned, for the log. */
  notPruned?: string;
}

type Node = Record<string, unknown>;
type Column = 'type' | 'created_at' | 'date' | 'hour';

const COLUMNS: readonly Column[] = ['type', 'created_at', 'date', 'hour'];
const INTEGER_TYPES = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
]);
// The casts of a string whose value as created_at DuckDB's own cast gives (time_constant.sql); any other is left alone.
const TIME_CASTS = new Set(['TIMESTAMP WITH TIME ZONE', 'TIMESTAMP', 'DATE']);
type CompareOp = '=' | '<' | '<=' | '>' | '>=';
// Against a constant that is not NULL, IS NOT DISTINCT FROM is =.
const COMPARISONS: Record<string, CompareOp> = {
  COMPARE_EQUAL: '=',
  COMPARE_NOT_DISTINCT_FROM: '=',
  COMPARE_LESSTHAN: '<',
  COMPARE_LESSTHANOREQUALTO: '<=',
  COMPARE_GREATERTHAN: '>',
  COMPARE_GREATERTHANOREQUALTO: '>=',
};
// constant < column is column > constant.
const FLIPPED: Record<CompareOp, CompareOp> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
// Table references that may read something by a name the walk cannot see (query_table('events'),
// SHOW <table>): any table function but these, which only make rows of their arguments.
const OPAQUE_REFERENCE = 'the statement calls a table function or SHOW, which could read events by name';
const VALUE_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);

function isOpaque(node: Node): boolean {
  if (node.type === 'SHOW_REF') return lower(node.table_name) !== '';
  if (node.type !== 'TABLE_FUNCTION') return false;
  const call = node.function;
  return !(isNode(call) && call.class === 'FUNCTION' && VALUE_TABLE_FUNCTIONS.has(lower(call.function_name)));
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lower(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase() : '';
}

/** Every object of the tree, depth first. */
function* nodes(value: unknown): Generator<Node> {
  if (Array.isArray(value)) {
    for (const item of value) yield* nodes(item);
  } else if (isNode(value)) {
    yield value;
    for (const child of Object.values(value)) yield* nodes(child);
  }
}

function isTable(node: Node, name: string): boolean {
  return node.type === 'BASE_TABLE' && lower(node.table_name) === name;
}

/** A string constant, bare or cast to VARCHAR. */
function stringConstant(expr: unknown): string | undefined {
  if (!isNode(expr)) return undefined;
  if (expr.class === 'CAST' && isNode(expr.cast_type) && expr.cast_type.id === 'VARCHAR')
    return stringConstant(expr.child);
  if (expr.class !== 'CONSTANT' || !isNode(expr.value) || expr.value.is_null !== false) return undefined;
  const type = expr.value.type;
  return isNode(type) && type.id === 'VARCHAR' && typeof expr.value.value === 'string' ? expr.value.value : undefined;
}

/** A string constant as DuckDB compares it with created_at: bare (cast to TIMESTAMPTZ), or cast explicitly. */
function timeConstant(expr: unknown): { text: string; cast: string } | undefined {
  if (!isNode(expr)) return undefined;
  if (expr.class === 'CAST' && isNode(expr.cast_type) && TIME_CASTS.has(String(expr.cast_type.id))) {
    const text = stringConstant(expr.child);
    return text === undefined ? undefined : { text, cast: String(expr.cast_type.id) };
  }
  const text = expr.class === 'CONSTANT' ? stringConstant(expr) : undefined;
  return text === undefined ? undefined : { text, cast: 'TIMESTAMP WITH TIME ZONE' };
}

/** A string constant compared with date: bare, or cast to DATE. */
function dateConstant(expr: unknown): string | undefined {
  if (isNode(expr) && expr.class === 'CAST' && isNode(expr.cast_type) && expr.cast_type.id === 'DATE') {
    return stringConstant(expr.child);
  }
  return isNode(expr) && expr.class === 'CONSTANT' ? stringConstant(expr) : undefined;
}

function integerConstant(expr: unknown): number | undefined {
  if (!isNode(expr) || expr.class !== 'CONSTANT' || !isNode(expr.value) || expr.value.is_null !== false)
    return undefined;
  const type = expr.value.type;
  if (!isNode(type) || !INTEGER_TYPES.has(String(type.id))) return undefined;
  const value = Number(expr.value.value);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** The ANDed parts of a WHERE. */
function conjuncts(where: unknown): Node[] {
  if (!isNode(where)) return [];
  if (where.class === 'CONJUNCTION' && where.type === 'CONJUNCTION_AND' && Array.isArray(where.children)) {
    return where.children.flatMap(conjuncts);
  }
  return [where];
}

/** A single comparison of one column with constants, as the planner understands it. */
type Condition =
  | { kind: 'compare'; column: Column; op: CompareOp; operand: unknown }
  | { kind: 'in'; column: Column; operands: unknown[] }
  | { kind: 'between'; column: Column; lower: unknown; upper: unknown }
  | { kind: 'like'; column: Column; operand: unknown };

function conditionOf(expr: Node, columnOf: (expr: unknown) => Column | undefined): Condition | undefined {
  const op = expr.class === 'COMPARISON' ? COMPARISONS[String(expr.type)] : undefined;
  if (op !== undefined) {
    const left = columnOf(expr.left);
    if (left !== undefined) return { kind: 'compare', column: left, op, operand: expr.right };
    const right = columnOf(expr.right);
    return right === undefined ? undefined : { kind: 'compare', column: right, op: FLIPPED[op], operand: expr.left };
  }
  if (expr.class === 'OPERATOR' && expr.type === 'COMPARE_IN' && Array.isArray(expr.children)) {
    const column = columnOf(expr.children[0]);
    return column === undefined ? undefined : { kind: 'in', column, operands: expr.children.slice(1) };
  }
  if (expr.class === 'BETWEEN' && expr.type === 'COMPARE_BETWEEN') {
    const column = columnOf(expr.input);
    return column === undefined ? undefined : { kind: 'between', column, lower: expr.lower, upper: expr.upper };
  }
  // LIKE is the operator ~~ with two arguments (LIKE … ESCAPE is another function, left alone).
  if (
    expr.class === 'FUNCTION' &&
    expr.function_name === '~~' &&
    Array.isArray(expr.children) &&
    expr.children.length === 2
  ) {
    const column = columnOf(expr.children[0]);
    return column === undefined ? undefined : { kind: 'like', column, operand: expr.children[1] };
  }
  return undefined;
}

/** The literal start of a LIKE pattern: up to its first wildcard or backslash (an escape, in some dialects). */
function likePrefix(pattern: string): string {
  const end = pattern.search(/[%_\\]/);
  return end === -1 ? pattern : pattern.slice(0, end);
}

function intersect<T>(current: T[] | undefined, next: readonly T[]): T[] {
  return current === undefined ? [...new Set(next)] : current.filter((value) => next.includes(value));
}

const ALL_HOURS = Array.from({ length: 24 }, (_, hour) => hour);
// created_at bounds outside years 0001 to 9999 constrain nothing: dates beyond them are not YYYY-MM-DD.
const FIRST_MS = Date.parse('0001-01-01T00:00:00Z');
const LAST_MS = Date.parse('9999-12-31T23:59:59.999Z');
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The day `days` after date, or undefined past year 9999 (or before 0001). */
function dayAfter(date: string, days: number): string | undefined {
  const ms = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return ms >= FIRST_MS && ms <= LAST_MS ? dayOf(ms) : undefined;
}

class FilterBuilder {
  readonly filter: EventsFilter = {};
  readonly used = new Set<Column>();

  constructor(private readonly duck: DuckDb) {}

  /** created_at's bound of a constant, in epoch microseconds, by DuckDB's own cast; undefined when it has none. */
  private async micros(operand: unknown): Promise<bigint | undefined> {
    const constant = timeConstant(operand);
    if (constant === undefined) return undefined;
    const [row] = await this.duck.rows<{ us: bigint | null }>('time_constant', [constant.text, constant.cast]);
    return row?.us ?? undefined;
  }

  private async day(operand: unknown): Promise<string | undefined> {
    const text = dateConstant(operand);
    if (text === undefined) return undefined;
    const [row] = await this.duck.rows<{ day: string | null }>('date_constant', [text]);
    const day = row?.day ?? undefined;
    return day !== undefined && DAY.test(day) ? day : undefined;
  }

  private from(ms: number): void {
    this.filter.fromMs = Math.max(this.filter.fromMs ?? -Infinity, ms);
    this.used.add('created_at');
  }

  private to(ms: number): void {
    this.filter.toMs = Math.min(this.filter.toMs ?? Infinity, ms);
    this.used.add('created_at');
  }

  private fromDay(day: string): void {
    if (this.filter.fromDate === undefined || day > this.filter.fromDate) this.filter.fromDate = day;
    this.used.add('date');
  }

  private toDay(day: string): void {
    if (this.filter.toDate === undefined || day < this.filter.toDate) this.filter.toDate = day;
    this.used.add('date');
  }

  private hours(allowed: readonly number[]): void {
    this.filter.hours = intersect(this.filter.hours, allowed);
    this.used.add('hour');
  }

  async add(condition: Condition): Promise<void> {
    switch (condition.column) {
      case 'type':
        return this.addType(condition);
      case 'created_at':
        return this.addCreatedAt(condition);
      case 'date':
        return this.addDate(condition);
      case 'hour':
        return this.addHour(condition);
    }
  }

  private addType(condition: Condition): void {
    if (condition.kind === 'like') {
      const pattern = stringConstant(condition.operand);
      const prefix = pattern === undefined ? '' : likePrefix(pattern);
      if (prefix === '') return;
      this.filter.typePrefixes = [...(this.filter.typePrefixes ?? []), prefix];
    } else if (condition.kind === 'in' || (condition.kind === 'compare' && condition.op === '=')) {
      const values = (condition.kind === 'in' ? condition.operands : [condition.operand]).map(stringConstant);
      if (values.some((value) => value === undefined)) return;
      this.filter.types = intersect(this.filter.types, values as string[]);
    } else {
      // A range of types would compare by PostgreSQL's collation in the catalog and by bytes in DuckDB.
      return;
    }
    this.used.add('type');
  }

  /** created_at's bounds of a constant: its instant in milliseconds, rounded down and up. */
  private async bounds(operand: unknown): Promise<{ low: number; high: number } | undefined> {
    const us = await this.micros(operand);
    if (us === undefined) return undefined;
    const low = Number(us / 1000n) - (us % 1000n < 0n ? 1 : 0);
    const high = us % 1000n === 0n ? low : low + 1;
    return low >= FIRST_MS && high <= LAST_MS ? { low, high } : undefined;
  }

  // A file whose created_at range touches a bound is kept: bounds are inclusive and rounded outwards.
  private async addCreatedAt(condition: Condition): Promise<void> {
    if (condition.kind === 'between') {
      const lower = await this.bounds(condition.lower);
      const upper = await this.bounds(condition.upper);
      if (lower !== undefined) this.from(lower.low);
      if (upper !== undefined) this.to(upper.high);
    } else if (condition.kind === 'in') {
      const all = await Promise.all(condition.operands.map((operand) => this.bounds(operand)));
      if (all.some((bound) => bound === undefined)) return;
      this.from(Math.min(...all.map((bound) => bound!.low)));
      this.to(Math.max(...all.map((bound) => bound!.high)));
    } else if (condition.kind === 'compare') {
      const bound = await this.bounds(condition.operand);
      if (bound === undefined) return;
      if (condition.op === '=' || condition.op === '>' || condition.op === '>=') this.from(bound.low);
      if (condition.op === '=' || condition.op === '<' || condition.op === '<=') this.to(bound.high);
    }
  }

  private async addDate(condition: Condition): Promise<void> {
    if (condition.kind === 'between') {
      const lower = await this.day(condition.lower);
      const upper = await this.day(condition.upper);
      if (lower !== undefined) this.fromDay(lower);
      if (upper !== undefined) this.toDay(upper);
    } else if (condition.kind === 'in') {
      const days = await Promise.all(condition.operands.map((operand) => this.day(operand)));
      if (days.some((day) => day === undefined)) return;
      const sorted = (days as string[]).sort();
      this.fromDay(sorted[0]!);
      this.toDay(sorted.at(-1)!);
    } else if (condition.kind === 'compare') {
      const day = await this.day(condition.operand);
      if (day === undefined) return;
      // Dates are whole days: date < D is date <= D - 1. Past the last day or before the first,
      // no date matches: left to DuckDB rather than made a special case.
      const next = dayAfter(day, 1);
      const previous = dayAfter(day, -1);
      if (condition.op === '=' || condition.op === '>=') this.fromDay(day);
      if (condition.op === '=' || condition.op === '<=') this.toDay(day);
      if (condition.op === '>' && next !== undefined) this.fromDay(next);
      if (condition.op === '<' && previous !== undefined) this.toDay(previous);
    }
  }

  private addHour(condition: Condition): void {
    if (condition.kind === 'between') {
      const lower = integerConstant(condition.lower);
      const upper = integerConstant(condition.upper);
      if (lower !== undefined) this.hours(ALL_HOURS.filter((hour) => hour >= lower));
      if (upper !== undefined) this.hours(ALL_HOURS.filter((hour) => hour <= upper));
    } else if (condition.kind === 'in') {
      const values = condition.operands.map(integerConstant);
      if (values.some((value) => value === undefined)) return;
      this.hours(ALL_HOURS.filter((hour) => values.includes(hour)));
    } else if (condition.kind === 'compare') {
      const value = integerConstant(condition.operand);
      if (value === undefined) return;
      const keep: Record<CompareOp, (hour: number) => boolean> = {
        '=': (hour) => hour === value,
        '<': (hour) => hour < value,
        '<=': (hour) => hour <= value,
        '>': (hour) => hour > value,
        '>=': (hour) => hour >= value,
      };
      this.hours(ALL_HOURS.filter(keep[condition.op]));
    }
  }

  /** The filter, with the dates created_at implies: a partition holds the events of its date only. */
  finish(): EventsFilter {
    const { fromMs, toMs, fromDate, toDate } = this.filter;
    if (fromMs !== undefined && (fromDate === undefined || dayOf(fromMs) > fromDate))
      this.filter.fromDate = dayOf(fromMs);
    if (toMs !== undefined && (toDate === undefined || dayOf(toMs) < toDate)) this.filter.toDate = dayOf(toMs);
    return this.filter;
  }
}

/** The filter of a SELECT whose FROM is events alone; nothing constrained when that reading is not plain. */
async function selectFilter(
  duck: DuckDb,
  select: Node,
  table: Node,
): Promise<{ filter: EventsFilter; used: Set<Column> }> {
  const none = { filter: {}, used: new Set<Column>() };
  // A sample is drawn before WHERE, from whatever the view holds; renamed columns are not the ones named here.
  const renamed = Array.isArray(table.column_name_alias) && table.column_name_alias.length > 0;
  if (select.sample != null || table.sample != null || table.at_clause != null || renamed) return none;
  const qualifier = lower(table.alias) || 'events';
  const columnOf = (expr: unknown): Column | undefined => {
    if (!isNode(expr) || expr.class !== 'COLUMN_REF' || !Array.isArray(expr.column_names)) return undefined;
    const names = expr.column_names.map(lower);
    // Unqualified, the name is the nearest FROM's: events', which has all four columns.
    const name = names.length === 1 ? names[0] : names.length === 2 && names[0] === qualifier ? names[1] : undefined;
    return COLUMNS.find((column) => column === name);
  };
  const builder = new FilterBuilder(duck);
  for (const expr of conjuncts(select.where_clause)) {
    const condition = conditionOf(expr, columnOf);
    if (condition !== undefined) await builder.add(condition);
  }
  return { filter: builder.finish(), used: builder.used };
}

/** Parses the statement with DuckDB and plans it; a statement DuckDB cannot parse is an InputError naming the problem. */
export async function planQuery(duck: DuckDb, sql: string): Promise<QueryPlan> {
  const [row] = await duck.rows<{ ast: string }>('parse_query', [sql]);
  const ast = JSON.parse(row!.ast) as Node;
  if (ast.error === true) {
    const message = String(ast.error_message);
    if (ast.error_type === 'not implemented') {
      throw new InputError(`query: only a SELECT statement can be run (DuckDB: ${message})`);
    }
    throw new InputError(`query: ${message}`);
  }
  const statements = Array.isArray(ast.statements) ? ast.statements : [];
  if (statements.length !== 1) throw new InputError(`query: give one SQL statement, not ${statements.length}`);

  const filters = new Map<Node, { filter: EventsFilter; used: Set<Column> }>();
  const reads: Node[] = [];
  let quarantine = false;
  let opaque = false;
  for (const node of nodes(statements)) {
    if (node.type === 'SELECT_NODE' && isNode(node.from_table) && isTable(node.from_table, 'events')) {
      filters.set(node.from_table, await selectFilter(duck, node, node.from_table));
    }
    if (isTable(node, 'events')) reads.push(node);
    if (isTable(node, 'quarantine')) quarantine = true;
    if (isOpaque(node)) opaque = true;
  }
  if (opaque) return { events: [{}], quarantine: true, prunedBy: [], notPruned: OPAQUE_REFERENCE };
  if (reads.length === 0)
    return { events: [], quarantine, prunedBy: [], notPruned: 'the statement does not read events' };
  const planned = reads.map((table) => filters.get(table) ?? { filter: {}, used: new Set<Column>() });
  if (planned.some(({ used }) => used.size === 0)) {
    return {
      events: [{}],
      quarantine,
      prunedBy: [],
      notPruned:
        'a read of events has no WHERE conjunct on type, created_at, date or hour that the planner understands',
    };
  }
  const used = new Set(planned.flatMap((p) => [...p.used]));
  return { events: planned.map((p) => p.filter), quarantine, prunedBy: COLUMNS.filter((c) => used.has(c)) };
}
