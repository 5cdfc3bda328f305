import { runMain } from '../lib/main';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { LOG_ENVIRONMENT, printUsageIfAsked, usageLine, type Usage } from '../lib/usage';
import { consumeCommand } from './commands/consume';
import { generateCommand } from './commands/generate';
import { sendCommand } from './commands/send';
import { statusCommand } from './commands/status';

/**
 * `npm run events -- <command>`: the event lake's commands, one file each under events/commands/
 * (docs/events-generator.md). Each has its own --help; this one lists them.
 */

export interface EventsCommand {
  name: string;
  usage: Usage;
  /** Its result goes to stdout: the log lines to stderr. */
  logToStderr?: boolean;
  /** The arguments after the command's name; resolves to the exit code. */
  run(args: readonly string[], logger: Logger, stop: AbortSignal, config: Config): Promise<number>;
}

const COMMANDS: readonly EventsCommand[] = [generateCommand, sendCommand, consumeCommand, statusCommand];

const SYNOPSIS = [`npm run events -- <${COMMANDS.map((command) => command.name).join('|')}> [options]`];

const HELP: Usage = {
  synopsis: SYNOPSIS,
  description: [
    'The event lake. generate: a seeded set of NDJSON event files with a manifest (docs/events-generator.md);',
    'send, consume, status: events over a queue into the lake (docs/stream.md).',
    '`npm run events -- <command> --help` describes a command and its options.',
  ].join('\n'),
  options: COMMANDS.map((command) => [command.name, command.usage.description.split('\n')[0]!] as const),
  environment: [...LOG_ENVIRONMENT],
  examples: ['npm run events -- generate --help'],
};

export function main(): void {
  const [name, ...args] = process.argv.slice(2);
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    if (printUsageIfAsked(HELP)) return;
    const got = name === undefined ? 'no command' : `unknown command ${JSON.stringify(name)}`;
    process.stderr.write(`events: ${got}; ${usageLine(SYNOPSIS)}\n`);
    process.exit(2);
  }
  runMain(`events ${command.name}`, (config, logger, stop) => command.run(args, logger, stop, config), {
    usage: command.usage,
    ...(command.logToStderr === true ? { logToStderr: true } : {}),
  });
}

if (require.main === module) main();
