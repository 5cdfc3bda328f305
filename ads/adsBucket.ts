import type { Config } from '../lib/config';
import { ObjectStore } from '../lib/objectStore';

/** The bucket of the ads pipeline (ADS_BUCKET), opened for one task and closed after it. */
export async function withAdsBucket<T>(config: Config, work: (store: ObjectStore) => Promise<T>): Promise<T> {
  const store = new ObjectStore(config.s3, config.ads.bucket);
  try {
    return await work(store);
  } finally {
    store.close();
  }
}
