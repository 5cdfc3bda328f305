/**
 * The API's shown_at, epoch seconds as a float, as a timestamptz text exact to the microsecond
 * (docs/ads.md, "Rules of an impression"). No float is multiplied: 1714567890.1234567 * 1e6 is
 * not 1714567890123456.7 in binary. The shortest decimal text of the number (String(n), which
 * reads back as the same double) is taken as the value, its fraction rounded to 6 digits, half
 * away from zero as PostgreSQL's round(numeric, 6) does, in BigInt arithmetic.
 */

const DECIMAL = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

// 10000-01-01T00:00:00Z: toISOString and timestamptz agree on every instant before it.
const LIMIT_SECONDS = 253_402_300_800;

/** Microseconds since 1970-01-01 of the decimal text of a number >= 0, rounded half up. */
function microseconds(text: string): bigint {
  const match = DECIMAL.exec(text);
  if (match === null) throw new RangeError(`${text} is not a decimal number >= 0`);
  const fraction = match[2] ?? '';
  const digits = BigInt(match[1]! + fraction);
  // value = digits * 10^exponent; microseconds = digits * 10^(exponent + 6).
  const scale = Number(match[3] ?? 0) - fraction.length + 6;
  if (scale >= 0) return digits * 10n ** BigInt(scale);
  const divisor = 10n ** BigInt(-scale);
  const whole = digits / divisor;
  return (digits % divisor) * 2n >= divisor ? whole + 1n : whole;
}

/**
 * 2024-05-01T13:45:12.123457Z for 1714571112.1234567. Seconds must be finite, >= 0 and before
 * the year 10000 (the validator refuses the others with a reason).
 */
export function epochSecondsToTimestamp(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds >= LIMIT_SECONDS) {
    throw new RangeError(`${seconds} is not a number of seconds from 1970 to 9999`);
  }
  const micros = microseconds(String(seconds));
  const whole = micros / 1_000_000n;
  const fraction = (micros % 1_000_000n).toString().padStart(6, '0');
  // Whole seconds times 1000 is an exact integer (far below 2^53): no fraction goes through a float.
  const date = new Date(Number(whole) * 1000).toISOString().slice(0, 19);
  return `${date}.${fraction}Z`;
}
