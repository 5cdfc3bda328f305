import { stackBuckets } from './config';
import { runMain } from './main';
import { describeObjectStore, ObjectStore } from './objectStore';
import { LOG_ENVIRONMENT, S3_ENVIRONMENT, type Usage } from './usage';

/**
 * `npm run create-bucket` (the `bucket` one-shot under Compose): creates ADS_BUCKET, and the
 * bucket of LAKE_URI when the lake is on S3, on the S3 server when they do not exist, through the
 * S3 API itself, so it works on any S3-compatible server and a re-run changes nothing.
 */
const HELP: Usage = {
  synopsis: ['npm run create-bucket'],
  description: [
    "Creates the buckets ADS_BUCKET and, when LAKE_URI is s3://<bucket>/…, the lake's, on the S3 server of",
    'AWS_ENDPOINT_URL_S3 when they do not exist (a bucket that exists already is left as it is). npm start',
    'does the same on its local server.',
  ].join('\n'),
  options: [],
  environment: [
    ...S3_ENVIRONMENT,
    ['ADS_BUCKET', 'the bucket of the ads pipeline (ad-data)'],
    ['LAKE_URI', 'the event lake; its bucket too when it is s3://<bucket>/<prefix>'],
    ...LOG_ENVIRONMENT,
  ],
  examples: ['AWS_ENDPOINT_URL_S3=http://127.0.0.1:8333 npm run create-bucket'],
};

export function main(): void {
  runMain(
    'create-bucket',
    async (config, logger) => {
      for (const bucket of stackBuckets(config)) {
        const store = new ObjectStore(config.s3, bucket);
        try {
          logger.info('using this object store', describeObjectStore(config.s3, bucket));
          await store.ensureBucket();
          logger.info(`bucket ${bucket} is there`, { status: 'succeeded' });
        } finally {
          store.close();
        }
      }
      return 0;
    },
    { usage: HELP },
  );
}

if (require.main === module) main();
