import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Config } from '../lib/config';
import { InputError } from '../lib/errors';
import type { ObjectStore } from '../lib/objectStore';

/**
 * What an ingest reads (docs/lake.md, "Ingest"): files named *.ndjson or *.jsonl, gzip-compressed
 * when they end in .gz, given as a file, a folder (every such file under it, in path order) or
 * s3://bucket/prefix (every such object under the prefix, in key order). A source under a folder
 * or prefix named raw-event-<type> holds events of that type only.
 */

export interface Source {
  /** The file's absolute path, or s3://bucket/key. */
  uri: string;
  /** Size and modification time (file) or size and last-modified (object): a later change gives a new version. */
  version: string;
  gzip: boolean;
  /** The <type> of the nearest raw-event-<type> folder or prefix above it. */
  expectedType?: string;
  open(signal?: AbortSignal): Promise<Readable>;
  /**
   * The bytes a line stood for when they differ from the line's (by line number): a queue
   * message that spanned lines (stream/messageSource.ts). Its quarantine keeps these.
   */
  originals?: ReadonlyMap<number, Buffer>;
}

const EVENT_FILE = /\.(ndjson|jsonl)(\.gz)?$/;
const RAW_EVENT = /^raw-event-(.+)$/;

function expectedTypeOf(segments: readonly string[]): string | undefined {
  for (let i = segments.length - 2; i >= 0; i--) {
    const match = RAW_EVENT.exec(segments[i]!);
    if (match !== null) return match[1];
  }
  return undefined;
}

function withType(source: Omit<Source, 'expectedType'>, segments: readonly string[]): Source {
  const expectedType = expectedTypeOf(segments);
  return expectedType === undefined ? source : { ...source, expectedType };
}

async function fileSource(file: string): Promise<Source> {
  const stats = await stat(file);
  return withType(
    {
      uri: file,
      version: `${stats.size}:${Math.trunc(stats.mtimeMs)}`,
      gzip: file.endsWith('.gz'),
      open: async () => createReadStream(file, { highWaterMark: 1024 * 1024 }),
    },
    file.split(path.sep),
  );
}

async function folderSources(folder: string): Promise<Source[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && EVENT_FILE.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  return Promise.all(files.map(fileSource));
}

async function bucketSources(config: Config, uri: string, signal?: AbortSignal): Promise<Source[]> {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (match === null) throw new InputError(`${uri}: expected s3://<bucket>/<prefix>`);
  const [, bucket, prefix] = match as unknown as [string, string, string];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ObjectStore: Store } = require('../lib/objectStore') as typeof import('../lib/objectStore');
  const store: ObjectStore = new Store(config.s3, bucket);
  const sources: Source[] = [];
  try {
    for await (const object of store.list(prefix, signal)) {
      if (!EVENT_FILE.test(object.key)) continue;
      sources.push(
        withType(
          {
            uri: `s3://${bucket}/${object.key}`,
            version: `${object.bytes}:${object.lastModified?.toISOString() ?? ''}`,
            gzip: object.key.endsWith('.gz'),
            // Each source opens its own client: a long ingest must not hold the listing's open.
            open: async (openSignal) => {
              const reader = new Store(config.s3, bucket);
              const body = await reader.getStream(object.key, openSignal);
              body.once('close', () => reader.close());
              return body;
            },
          },
          object.key.split('/'),
        ),
      );
    }
  } finally {
    store.close();
  }
  return sources;
}

/** The sources of the ingest command's arguments (or of LAKE_INBOX), in order; an argument that names nothing is an error. */
export async function findSources(config: Config, inputs: readonly string[], signal?: AbortSignal): Promise<Source[]> {
  const sources: Source[] = [];
  for (const input of inputs) {
    if (input.startsWith('s3://')) {
      sources.push(...(await bucketSources(config, input, signal)));
      continue;
    }
    const resolved = path.resolve(input);
    let stats;
    try {
      stats = await stat(resolved);
    } catch {
      throw new InputError(`${input}: no such file or folder`);
    }
    sources.push(...(stats.isDirectory() ? await folderSources(resolved) : [await fileSource(resolved)]));
  }
  return sources;
}
