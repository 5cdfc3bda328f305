import { ConfigError } from '../../lib/errors';

/**
 * The flags of the events commands that take values (send, consume): each parsed by its own
 * function, given at most once; a flag not listed, or an argument, is an error that says where
 * the list is.
 */

export type FlagParser<T> = (flag: string, raw: string) => T;

export function parseFlags<P extends Record<string, FlagParser<unknown>>>(
  args: readonly string[],
  parsers: P,
  seeHelp: string,
): { [flag in keyof P]?: ReturnType<P[flag]> } {
  const values: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (!Object.hasOwn(parsers, arg)) {
      const what = arg.startsWith('-') ? `unknown option ${arg}` : `unexpected argument ${JSON.stringify(arg)}`;
      throw new ConfigError(`${what}; ${seeHelp}`);
    }
    const raw = args[i + 1];
    if (raw === undefined || raw.startsWith('--')) throw new ConfigError(`${arg} needs a value; ${seeHelp}`);
    if (values[arg] !== undefined) throw new ConfigError(`${arg} given twice`);
    values[arg] = parsers[arg]!(arg, raw);
    i += 1;
  }
  return values as { [flag in keyof P]?: ReturnType<P[flag]> };
}

export const wholeNumber =
  (min: number, max: number): FlagParser<number> =>
  (flag, raw) => {
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new ConfigError(`${flag}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return Number(raw);
  };

export const rate: FlagParser<number> = (flag, raw) => {
  if (!/^(\d+\.?\d*|\.\d+)$/.test(raw) || Number(raw) > 1) {
    throw new ConfigError(`${flag}: expected a rate from 0 to 1 such as 0.01, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
};
