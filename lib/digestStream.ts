import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Passes bytes through unchanged, counting them and hashing them (SHA-256) on the way. */
export class DigestStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  /** onBytes: told the running count after every chunk (a progress line). */
  constructor(private readonly onBytes?: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    done(null, chunk);
  }

  /** The SHA-256 of everything that went through, in hex; call it once, at the end. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}
