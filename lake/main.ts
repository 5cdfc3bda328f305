import { runMain } from '../lib/main';
import { formatUsage, usageLine, type Usage } from '../lib/usage';
import { COMPACT_USAGE, compactCommand } from './commands/compact';
import { INGEST_USAGE, ingestCommand } from './commands/ingest';
import { MAINTAIN_USAGE, maintainCommand } from './commands/maintain';
import { KPIS_USAGE, kpisCommand } from './commands/kpis';
import { QUERY_USAGE, queryCommand } from './commands/query';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';

/** `npm run lake -- <command> …`: the event lake's commands, one file each under lake/commands/. */

type Command = {
  usage: Usage;
  run(args: readonly string[], config: Config, log: Logger, stop: AbortSignal): Promise<number>;
  /** Its stdout is its result: the log goes to stderr. */
  printsResult?: boolean;
};

const COMMANDS: Record<string, Command> = {
  ingest: { usage: INGEST_USAGE, run: ingestCommand },
  compact: { usage: COMPACT_USAGE, run: compactCommand },
  maintain: { usage: MAINTAIN_USAGE, run: maintainCommand },
  query: { usage: QUERY_USAGE, run: queryCommand, printsResult: true },
  kpis: { usage: KPIS_USAGE, run: kpisCommand, printsResult: true },
};

const HELP: Usage = {
  synopsis: Object.values(COMMANDS).flatMap((command) => command.usage.synopsis),
  description: [
    'The event lake (docs/lake.md): Parquet at LAKE_URI, a catalog in PostgreSQL.',
    ...Object.entries(COMMANDS).map(([name, command]) => `${name}: ${command.usage.description.split('\n')[0]}`),
    'npm run lake -- <command> --help: the options and environment of one command.',
  ].join('\n'),
  options: [],
  environment: [],
  examples: Object.values(COMMANDS).flatMap((command) => command.usage.examples.slice(0, 1)),
};

export function main(): void {
  const [name, ...args] = process.argv.slice(2);
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined) {
    if (name === undefined || name === '--help' || name === '-h') {
      process.stdout.write(formatUsage(HELP));
      process.exitCode = name === undefined ? 2 : 0;
      return;
    }
    process.stderr.write(`lake: unknown command ${JSON.stringify(name)}\n${usageLine(HELP.synopsis)}\n`);
    process.exitCode = 2;
    return;
  }
  runMain(`lake-${name}`, (config, logger, stop) => command.run(args, config, logger, stop), {
    usage: command.usage,
    logToStderr: command.printsResult === true,
  });
}

if (require.main === module) main();
