import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../lib/config';
import type { ObjectStore } from '../lib/objectStore';
import { LocalCache } from './localCache';

/**
 * Where the lake's files live (LAKE_URI): a folder, or a bucket and prefix through the stack's
 * object-store module. DuckDB only ever reads and writes local files (its httpfs extension would
 * be a download, so it is not used): it writes into a staging folder that publish() then moves
 * into the lake, and it reads lake files through localPaths(), which for S3 downloads them.
 * Paths here are relative to the lake root and made by lake/partitions.ts.
 */
export interface LakeStore {
  /** LAKE_URI, for log lines; with a path: where that file is. */
  url(relativePath?: string): string;
  /** A new empty folder for DuckDB's output, on the lake's own file system when the lake is a folder (so publish is a rename). */
  stagingFolder(name: string): Promise<string>;
  /** Makes a local file the lake file at relativePath, durably, when it resolves; the local file is gone after. */
  publish(localFile: string, relativePath: string, signal?: AbortSignal): Promise<void>;
  /** Local files DuckDB can read for these lake files: the files themselves, or copies downloaded into folder. */
  localPaths(relativePaths: readonly string[], folder: string, signal?: AbortSignal): Promise<string[]>;
  /** Deletes a lake file; one that is not there is no error. */
  remove(relativePath: string, signal?: AbortSignal): Promise<void>;
  /** Every file under a prefix of the lake (e.g. 'events/'), for maintenance. */
  list(prefix: string, signal?: AbortSignal): AsyncGenerator<{ path: string; bytes: number; modifiedAt: Date }>;
  /**
   * Deletes the staging folders (stagingFolder's) in which nothing changed since olderThan: a
   * writer that stopped before cleaning up left them. With dryRun, only counts them.
   */
  removeStaleStaging(olderThan: Date, dryRun: boolean): Promise<StagingLeftovers>;
  close(): void;
}

export interface StagingLeftovers {
  folders: number;
  files: number;
  bytes: number;
}

const DOWNLOADS_AT_ONCE = 8;

/** Runs work over items, at most `limit` at a time. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function fsyncPath(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

class FolderLake implements LakeStore {
  constructor(private readonly root: string) {}

  url(relativePath = ''): string {
    return path.join(this.root, relativePath);
  }

  async stagingFolder(name: string): Promise<string> {
    const parent = path.join(this.root, '_staging');
    await mkdir(parent, { recursive: true });
    return mkdtemp(path.join(parent, `${name}-`));
  }

  async publish(localFile: string, relativePath: string): Promise<void> {
    const target = path.join(this.root, relativePath);
    const folder = path.dirname(target);
    await mkdir(folder, { recursive: true });
    // The bytes reach the disk before the name does, and the name before the catalog row.
    await fsyncPath(localFile);
    await rename(localFile, target);
    await fsyncPath(folder);
  }

  async localPaths(relativePaths: readonly string[]): Promise<string[]> {
    return relativePaths.map((relativePath) => path.join(this.root, relativePath));
  }

  async remove(relativePath: string): Promise<void> {
    await rm(path.join(this.root, relativePath), { force: true });
  }

  async *list(prefix: string): AsyncGenerator<{ path: string; bytes: number; modifiedAt: Date }> {
    const start = path.join(this.root, prefix);
    let entries;
    try {
      entries = await readdir(start, { recursive: true, withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      let stats;
      try {
        stats = await stat(full);
      } catch (error) {
        // Deleted since the readdir (a writer cleaning up after a failure, another maintenance): not there to list.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      yield {
        path: path.relative(this.root, full).split(path.sep).join('/'),
        bytes: stats.size,
        modifiedAt: stats.mtime,
      };
    }
  }

  async removeStaleStaging(olderThan: Date, dryRun: boolean): Promise<StagingLeftovers> {
    const parent = path.join(this.root, '_staging');
    const found: StagingLeftovers = { folders: 0, files: 0, bytes: 0 };
    let folders;
    try {
      folders = await readdir(parent, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return found;
      throw error;
    }
    for (const folder of folders) {
      if (!folder.isDirectory()) continue;
      const top = path.join(parent, folder.name);
      // A folder is one writer's: stale when neither it nor anything in it changed since olderThan.
      let newest = new Date(0);
      let files = 0;
      let bytes = 0;
      try {
        newest = (await stat(top)).mtime;
        for (const entry of await readdir(top, { recursive: true, withFileTypes: true })) {
          const stats = await stat(path.join(entry.parentPath, entry.name));
          if (stats.mtime > newest) newest = stats.mtime;
          if (entry.isFile()) {
            files++;
            bytes += stats.size;
          }
        }
      } catch (error) {
        // Its writer finished and removed it meanwhile.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      if (newest >= olderThan) continue;
      if (!dryRun) await rm(top, { recursive: true, force: true });
      found.folders++;
      found.files += files;
      found.bytes += bytes;
    }
    return found;
  }

  close(): void {
    // Nothing to release: a folder lake holds no connection.
  }
}

class BucketLake implements LakeStore {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly tempDir: string,
    private readonly cache: LocalCache | undefined,
  ) {}

  url(relativePath = ''): string {
    return this.store.url(`${this.prefix}${relativePath}`);
  }

  async stagingFolder(name: string): Promise<string> {
    await mkdir(this.tempDir, { recursive: true });
    return mkdtemp(path.join(this.tempDir, `lake-${name}-`));
  }

  async publish(localFile: string, relativePath: string, signal?: AbortSignal): Promise<void> {
    const { size } = await stat(localFile);
    const stored = await this.store.upload(`${this.prefix}${relativePath}`, createReadStream(localFile), {
      contentType: 'application/vnd.apache.parquet',
      ...(signal === undefined ? {} : { signal }),
    });
    if (stored.bytes !== size) {
      throw new Error(`${this.url(relativePath)}: ${stored.bytes} bytes stored of the ${size} of ${localFile}`);
    }
    if (this.cache === undefined) await rm(localFile, { force: true });
    else await this.cache.keep(localFile, relativePath, 'move');
  }

  async localPaths(relativePaths: readonly string[], folder: string, signal?: AbortSignal): Promise<string[]> {
    const local = relativePaths.map((relativePath) => path.join(folder, relativePath));
    await eachLimited(
      relativePaths.map((relativePath, i) => [relativePath, local[i]!] as const),
      DOWNLOADS_AT_ONCE,
      async ([relativePath, file]) => {
        await mkdir(path.dirname(file), { recursive: true });
        if (await this.cache?.copyTo(relativePath, file)) return;
        await pipeline(await this.store.getStream(`${this.prefix}${relativePath}`, signal), createWriteStream(file));
        await this.cache?.keep(file, relativePath, 'link');
      },
    );
    return local;
  }

  async remove(relativePath: string, signal?: AbortSignal): Promise<void> {
    await this.store.delete(`${this.prefix}${relativePath}`, signal);
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncGenerator<{ path: string; bytes: number; modifiedAt: Date }> {
    for await (const object of this.store.list(`${this.prefix}${prefix}`, signal)) {
      yield {
        path: object.key.slice(this.prefix.length),
        bytes: object.bytes,
        modifiedAt: object.lastModified ?? new Date(0),
      };
    }
  }

  async removeStaleStaging(): Promise<StagingLeftovers> {
    // An S3 lake stages in LAKE_TMP_DIR, on the machine of the writer, never in the bucket.
    return { folders: 0, files: 0, bytes: 0 };
  }

  close(): void {
    this.cache?.close();
    this.store.close();
  }
}

export interface OpenLakeOptions {
  /**
   * For a process that reads the same files again and again (a consumer's flushes): an S3 lake
   * keeps up to LAKE_CACHE_MB of copies under LAKE_TMP_DIR of the files it published or
   * downloaded (lake/localCache.ts). A folder lake is read in place and needs none.
   */
  cache?: boolean;
}

/** The lake of LAKE_URI. The AWS SDK is loaded only for an s3:// lake. */
export function openLake(config: Config, options: OpenLakeOptions = {}): LakeStore {
  const { location, tempDir, cacheBytes } = config.lake;
  if (location.kind === 'folder') return new FolderLake(location.root);
  // require, not import(): compiled to CommonJS, and jest runs the sources without ESM support.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ObjectStore } = require('../lib/objectStore') as typeof import('../lib/objectStore');
  const cache = options.cache === true && cacheBytes > 0 ? new LocalCache(tempDir, cacheBytes) : undefined;
  return new BucketLake(new ObjectStore(config.s3, location.bucket), location.prefix, tempDir, cache);
}
