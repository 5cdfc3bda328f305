import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Config } from './config';
import { DigestStream } from './digestStream';
import { AppError, describeError, ObjectStoreError } from './errors';
import { pause } from './pause';

/**
 * Where the stack's files go: one S3 bucket, through the AWS SDK v3, for every pipeline that
 * keeps objects (the ads backups and archives now, the lake later). A job asks for put, upload,
 * get, list, delete; this module knows the endpoint, the retries, the timeouts and how to check
 * that what the server stored is what was sent. Keys are made by the callers' key functions,
 * never from raw input here.
 */

export interface StoredObject {
  key: string;
  bytes: number;
  /** Hex SHA-256 of the bytes, computed here while sending them. */
  sha256: string;
  /** What the server answered (for a single PUT, the MD5 of what it stored). */
  etag: string;
}

export interface ListedObject {
  key: string;
  bytes: number;
  lastModified?: Date;
}

// 8 MiB parts, 2 at a time: an upload holds at most ~16 MiB in memory, whatever its size.
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_AT_ONCE = 2;
// How long to wait before each new look at an object's size that is not yet what was sent.
const SIZE_RECHECK_MS = [50, 100, 200, 400, 800];

export interface ObjectStoreOptions {
  /**
   * How long a request's connection may stay silent (30 s): a server that stops answering fails
   * the attempt, and the call after the SDK's retries. Silence, not total time, so that a large
   * transfer that keeps moving is never cut off.
   */
  idleTimeoutMs?: number;
  /** Attempts per request, the first included (the SDK's standard retry mode). */
  maxAttempts?: number;
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

export class ObjectStore {
  readonly client: S3Client;

  constructor(
    private readonly config: S3Config,
    readonly bucket: string,
    options: ObjectStoreOptions = {},
  ) {
    // The SDK warns on every process under Node 20 that its releases after January 2027 need
    // Node 22; the lockfile pins the one we use, and the image runs Node 24.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      maxAttempts: options.maxAttempts ?? 3,
      // socketTimeout, not requestTimeout: the SDK only logs a warning when a request passes its
      // requestTimeout (unless told to throw) and goes on waiting, for ever if the server hangs.
      requestHandler: { connectionTimeout: 3000, socketTimeout: options.idleTimeoutMs ?? 30_000 },
      // CRC trailers on every request are what S3 itself wants from 2025 on; the local servers
      // (s3rver) do not all read them. This module checks every stored object itself.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
      ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
    });
  }

  /** s3://bucket/key, for messages. */
  url(key = ''): string {
    return `s3://${this.bucket}/${key}`;
  }

  private fail(action: string, key: string | undefined, error: unknown): ObjectStoreError {
    const where = `${this.url(key ?? '')} (${this.config.endpoint ?? 'AWS'})`;
    const status =
      error instanceof S3ServiceException ? ` [${error.$metadata.httpStatusCode ?? '?'} ${error.name}]` : '';
    return new ObjectStoreError(`object store: ${action} ${where} failed: ${describeError(error)}${status}`, {
      cause: error,
    });
  }

  /** Creates the bucket when it does not exist (npm start, the tests; Compose has a one-shot for it). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if (!(error instanceof S3ServiceException) || error.$metadata.httpStatusCode !== 404) {
        throw this.fail('checking the bucket', undefined, error);
      }
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (error instanceof S3ServiceException && /BucketAlready(OwnedByYou|Exists)/.test(error.name)) return;
      throw this.fail('creating the bucket', undefined, error);
    }
  }

  /**
   * Stores a body that fits in memory in one PUT and checks it arrived whole: the server is
   * sent its MD5 (S3 refuses a body that does not match it), its answer must carry the same
   * MD5, and a HEAD must report the same size. Any doubt is an error: nothing may go on as if
   * the object were stored.
   */
  async put(
    key: string,
    body: Buffer,
    options: { contentType?: string; signal?: AbortSignal } = {},
  ): Promise<StoredObject> {
    const md5 = createHash('md5').update(body);
    const md5Hex = md5.copy().digest('hex');
    let etag: string;
    try {
      const answer = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentMD5: md5.digest('base64'),
          ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
        }),
        options.signal === undefined ? {} : { abortSignal: options.signal },
      );
      etag = unquote(answer.ETag);
    } catch (error) {
      throw this.fail('storing', key, error);
    }
    if (etag !== md5Hex) {
      throw new ObjectStoreError(
        `object store: ${this.url(key)} was stored with ETag ${etag || '(none)'}, not the MD5 of the ${body.length} bytes sent (${md5Hex}): the server changed or lost the body`,
      );
    }
    await this.expectSize(key, body.length, options.signal);
    return { key, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), etag };
  }

  /**
   * Streams a body of any size to the key (multipart in 8 MiB parts, at most two in memory),
   * counting and hashing the bytes on the way; then checks the stored size. The caller checks
   * the content with checksum() when it must be sure before it deletes anything.
   */
  async upload(
    key: string,
    body: Readable,
    options: { contentType?: string; contentEncoding?: string; signal?: AbortSignal } = {},
  ): Promise<StoredObject> {
    const counted = new PassThrough();
    const counting = new DigestStream();
    const upload = new Upload({
      client: this.client,
      partSize: PART_BYTES,
      queueSize: PARTS_AT_ONCE,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: counted,
        ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
        ...(options.contentEncoding === undefined ? {} : { ContentEncoding: options.contentEncoding }),
      },
    });
    const abort = (): void => void upload.abort().catch(() => undefined);
    options.signal?.addEventListener('abort', abort, { once: true });
    let etag: string;
    try {
      const [answer] = await Promise.all([upload.done(), pipeline(body, counting, counted)]);
      etag = unquote(answer.ETag);
    } catch (error) {
      counted.destroy();
      throw error instanceof AppError ? error : this.fail('uploading', key, error);
    } finally {
      options.signal?.removeEventListener('abort', abort);
    }
    await this.expectSize(key, counting.bytes, options.signal);
    return { key, bytes: counting.bytes, sha256: counting.sha256(), etag };
  }

  /**
   * Checks that the server holds `bytes` bytes at the key, asking again a few times over about
   * 1.5 s before it calls the object short. S3 answers a HEAD with the whole object as soon as the
   * PUT has returned; the local server of npm start and the tests (s3rver) answers the PUT before
   * its file is written to disk, so a HEAD right after it may see 0 bytes (met in CI runs).
   */
  private async expectSize(key: string, bytes: number, signal?: AbortSignal): Promise<void> {
    let stored = await this.head(key, signal);
    for (const wait of SIZE_RECHECK_MS) {
      if (stored?.bytes === bytes || signal?.aborted === true) break;
      await pause(wait, signal);
      stored = await this.head(key, signal);
    }
    if (stored === undefined || stored.bytes !== bytes) {
      throw new ObjectStoreError(
        `object store: ${this.url(key)} holds ${stored === undefined ? 'nothing' : `${stored.bytes} bytes`} after ${bytes} bytes were sent`,
      );
    }
  }

  /** Size and ETag of an object, or undefined when there is none. */
  async head(key: string, signal?: AbortSignal): Promise<{ bytes: number; etag: string } | undefined> {
    try {
      const answer = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      return { bytes: answer.ContentLength ?? 0, etag: unquote(answer.ETag) };
    } catch (error) {
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return undefined;
      throw this.fail('reading the size of', key, error);
    }
  }

  /** The object's bytes as a stream (for bodies too large to hold). */
  async getStream(key: string, signal?: AbortSignal): Promise<Readable> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      return answer.Body as Readable;
    } catch (error) {
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) {
        throw new ObjectStoreError(`object store: there is no ${this.url(key)} (${this.config.endpoint ?? 'AWS'})`, {
          cause: error,
        });
      }
      throw this.fail('reading', key, error);
    }
  }

  /** The object's bytes. */
  async get(key: string, signal?: AbortSignal): Promise<Buffer> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of await this.getStream(key, signal)) chunks.push(chunk as Buffer);
    } catch (error) {
      throw error instanceof AppError ? error : this.fail('reading', key, error);
    }
    return Buffer.concat(chunks);
  }

  /** Size and SHA-256 of what the server holds, read back in full: the proof an upload is whole. */
  async checksum(key: string, signal?: AbortSignal): Promise<{ bytes: number; sha256: string }> {
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of await this.getStream(key, signal)) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
    } catch (error) {
      throw error instanceof AppError ? error : this.fail('reading back', key, error);
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  /** Every object under the prefix, in key order, page after page. */
  async *list(prefix: string, signal?: AbortSignal): AsyncGenerator<ListedObject> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
          signal === undefined ? {} : { abortSignal: signal },
        );
      } catch (error) {
        throw this.fail('listing', prefix, error);
      }
      for (const item of page.Contents ?? []) {
        yield {
          key: item.Key!,
          bytes: item.Size ?? 0,
          ...(item.LastModified === undefined ? {} : { lastModified: item.LastModified }),
        };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** Deletes the object (no error when there is none). */
  async delete(key: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: key }),
        signal === undefined ? {} : { abortSignal: signal },
      );
    } catch (error) {
      throw this.fail('deleting', key, error);
    }
  }

  close(): void {
    this.client.destroy();
  }
}

/** The endpoint and bucket, for the first log line of a command that uses the store; never a secret. */
export function describeObjectStore(config: S3Config, bucket: string): Record<string, string> {
  return { s3: config.endpoint ?? 'AWS', bucket, s3_from: config.origin };
}
