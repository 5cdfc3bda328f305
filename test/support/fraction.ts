/**
 * Exact rational numbers, so that expected values are compared with PostgreSQL's numerics
 * without the rounding of floating point standing in between.
 */
export interface Fraction {
  num: bigint;
  den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let [x, y] = [a < 0n ? -a : a, b < 0n ? -b : b];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export function fraction(num: bigint | number, den: bigint | number = 1n): Fraction {
  let [n, d] = [BigInt(num), BigInt(den)];
  if (d === 0n) throw new Error('division by zero');
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d) || 1n;
  return { num: n / g, den: d / g };
}

export const add = (a: Fraction, b: Fraction): Fraction => fraction(a.num * b.den + b.num * a.den, a.den * b.den);
export const divide = (a: Fraction, k: number): Fraction => fraction(a.num, a.den * BigInt(k));

/** "27/5", "3", "-1/4" or a decimal such as "5.4000000000000000" (PostgreSQL's numeric output). */
export function parseFraction(text: string): Fraction {
  const ratio = /^(-?\d+)\/(\d+)$/.exec(text);
  if (ratio) return fraction(BigInt(ratio[1]!), BigInt(ratio[2]!));
  const decimal = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!decimal) throw new Error(`not a number: ${text}`);
  const digits = decimal[3] ?? '';
  const value = BigInt(`${decimal[2]}${digits}`);
  return fraction(decimal[1] === '-' ? -value : value, 10n ** BigInt(digits.length));
}

/** |a - b| <= 1e-15 · max(1, |b|): PostgreSQL divides numerics to a finite (16+ significant digits) precision. */
export function closeTo(a: Fraction, b: Fraction): boolean {
  const diff = a.num * b.den - b.num * a.den;
  const absDiff = diff < 0n ? -diff : diff;
  const scaleNum = b.num < 0n ? -b.num : b.num;
  const scale = scaleNum > b.den ? scaleNum : b.den; // max(1, |b|) · b.den
  return absDiff * 10n ** 15n <= scale * a.den;
}

export function show(f: Fraction | null): string {
  return f === null ? 'NULL' : f.den === 1n ? String(f.num) : `${f.num}/${f.den}`;
}
