import type { S3Config } from '../../lib/config';
import { startLocalS3, type LocalS3 } from '../../lib/localS3';
import { ObjectStore } from '../../lib/objectStore';
import { tempDir } from './files';

/**
 * A real S3-protocol server for one test file: the local s3rver of `npm start`, on a free port,
 * its objects in the run's temporary folder. stop() and start() again (same folder, same port)
 * stand for an object store that goes down and comes back.
 */
export interface TestS3 {
  config: S3Config;
  /** The AWS variables that point a child process at this server. */
  env: Record<string, string>;
  store(bucket?: string): ObjectStore;
  stop(): Promise<void>;
  /** Starts it again after stop(), on the same port and folder. */
  start(): Promise<void>;
}

export async function startTestS3(buckets: readonly string[] = ['ad-data']): Promise<TestS3> {
  const dataDir = tempDir('s3-');
  let server: LocalS3 | undefined = await startLocalS3({ dataDir, port: 0, buckets });
  const endpoint = server.endpoint;
  const port = Number(new URL(endpoint).port);
  const config: S3Config = {
    endpoint,
    region: 'us-east-1',
    credentials: server.credentials,
    forcePathStyle: true,
    origin: 'the test S3 server',
  };
  const stores: ObjectStore[] = [];
  return {
    config,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
      AWS_REGION: 'us-east-1',
    },
    store(bucket = buckets[0]!) {
      // One attempt, short timeouts: a test of "S3 is down" should not wait for retries.
      const store = new ObjectStore(config, bucket, { maxAttempts: 1, idleTimeoutMs: 10_000 });
      stores.push(store);
      return store;
    },
    async stop() {
      await server?.stop();
      server = undefined;
      for (const store of stores.splice(0)) store.close();
    },
    async start() {
      if (server === undefined) server = await startLocalS3({ dataDir, port, buckets });
    },
  };
}
