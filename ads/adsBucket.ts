import type { Config } from '../lib/config';
import type { ObjectStore } from '../lib/objectStore';

/**
 * The bucket of the ads pipeline (ADS_BUCKET), opened for one task and closed after it. The
 * object store (and the AWS SDK under it, ~10 MB and a tenth of a second to load) is loaded
 * only here, when a task needs it: every `npm run job`, whatever its workflow, loads the
 * workflow definitions, and a rolling-average run must not pay for S3.
 */
export async function withAdsBucket<T>(config: Config, work: (store: ObjectStore) => Promise<T>): Promise<T> {
  // require, not import(): compiled to CommonJS, and jest runs the sources without ESM support.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ObjectStore } = require('../lib/objectStore') as typeof import('../lib/objectStore');
  const store = new ObjectStore(config.s3, config.ads.bucket);
  try {
    return await work(store);
  } finally {
    store.close();
  }
}
