import { copyFile, link, mkdir, mkdtemp, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Copies of an S3 lake's files kept on local disk by one long-lived process (a consumer), so that
 * its flushes stop downloading the same files every EVENTS_FLUSH_MAX_AGE to read their ids (the
 * once-per-id rule): the files it published itself, and those it downloaded once. A lake file
 * never changes under its path (the catalog's sequences name it, lake/partitions.ts), so a copy is
 * never stale. Past LAKE_CACHE_MB the least recently used go. A reader gets a hard link (a copy
 * across file systems), which an eviction leaves readable.
 * The folder is the process's own and goes at close(); one that a killed process left is deleted
 * by the next cache to start beside it, once nothing changed in it for STALE_AFTER_MS.
 */

const PREFIX = 'lake-cache-';
export const STALE_AFTER_MS = 3600_000;

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';
const isCrossDevice = (error: unknown): boolean =>
  ['EXDEV', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '');

/** Deletes the cache folders under parent in which nothing changed since olderThan. */
export async function removeStaleCaches(parent: string, olderThan: Date): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(parent, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith(PREFIX)) continue;
    const folder = path.join(parent, entry.name);
    try {
      // Adding or evicting a copy changes the folder's mtime; reading one does not need to.
      if ((await stat(folder)).mtime >= olderThan) continue;
    } catch (error) {
      if (isMissing(error)) continue;
      throw error;
    }
    await rm(folder, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

export class LocalCache {
  /** Relative path → bytes, least recently used first (a Map keeps insertion order). */
  private readonly entries = new Map<string, number>();
  private bytes = 0;
  private folder: Promise<string> | undefined;
  private folderPath: string | undefined;

  constructor(
    private readonly parent: string,
    private readonly maxBytes: number,
  ) {}

  /** Bytes of the copies kept now. */
  get size(): number {
    return this.bytes;
  }

  /** Puts the kept copy of relativePath at target; false when there is none. */
  async copyTo(relativePath: string, target: string): Promise<boolean> {
    const bytes = this.entries.get(relativePath);
    if (bytes === undefined) return false;
    try {
      await linkOrCopy(await this.pathOf(relativePath), target);
    } catch (error) {
      // Evicted meanwhile, or the folder was taken for stale: the caller downloads it.
      if (!isMissing(error)) throw error;
      this.forget(relativePath);
      return false;
    }
    this.entries.delete(relativePath);
    this.entries.set(relativePath, bytes);
    return true;
  }

  /** Keeps file as relativePath's copy: moved in ('move', the file is gone after) or linked ('link'). */
  async keep(file: string, relativePath: string, how: 'move' | 'link'): Promise<void> {
    if (this.entries.has(relativePath)) {
      if (how === 'move') await rm(file, { force: true });
      return;
    }
    const { size } = await stat(file);
    if (size > this.maxBytes) {
      if (how === 'move') await rm(file, { force: true });
      return;
    }
    const copy = await this.pathOf(relativePath);
    try {
      await this.put(file, copy, how);
    } catch (error) {
      if (!isMissing(error)) throw error;
      // The folder was taken for stale while this process was idle: start it again, empty.
      this.entries.clear();
      this.bytes = 0;
      await mkdir(path.dirname(copy), { recursive: true });
      await this.put(file, copy, how);
    }
    this.entries.set(relativePath, size);
    this.bytes += size;
    await this.evict();
  }

  /** Deletes the folder and every copy in it. */
  close(): void {
    if (this.folderPath !== undefined) rmSync(this.folderPath, { recursive: true, force: true });
    this.entries.clear();
    this.bytes = 0;
  }

  private async put(file: string, copy: string, how: 'move' | 'link'): Promise<void> {
    if (how === 'link') return linkOrCopy(file, copy);
    try {
      await rename(file, copy);
    } catch (error) {
      if (!isCrossDevice(error)) throw error;
      await copyFile(file, copy);
      await rm(file, { force: true });
    }
  }

  private async evict(): Promise<void> {
    for (const [relativePath, bytes] of this.entries) {
      if (this.bytes <= this.maxBytes) return;
      this.forget(relativePath, bytes);
      await unlink(await this.pathOf(relativePath)).catch((error: unknown) => {
        if (!isMissing(error)) throw error;
      });
    }
  }

  private forget(relativePath: string, bytes = this.entries.get(relativePath) ?? 0): void {
    if (this.entries.delete(relativePath)) this.bytes -= bytes;
  }

  /** One flat folder: a lake path's slashes are encoded into the name. */
  private async pathOf(relativePath: string): Promise<string> {
    this.folder ??= this.open();
    return path.join(await this.folder, encodeURIComponent(relativePath));
  }

  private async open(): Promise<string> {
    await mkdir(this.parent, { recursive: true });
    await removeStaleCaches(this.parent, new Date(Date.now() - STALE_AFTER_MS));
    this.folderPath = await mkdtemp(path.join(this.parent, PREFIX));
    return this.folderPath;
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    if (!isCrossDevice(error)) throw error;
    await copyFile(from, to);
  }
}
