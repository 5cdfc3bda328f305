import { runMain } from './main';
import { describeObjectStore, ObjectStore } from './objectStore';
import { LOG_ENVIRONMENT, S3_ENVIRONMENT, type Usage } from './usage';

/**
 * `npm run create-bucket` (the `bucket` one-shot under Compose): creates ADS_BUCKET on the S3
 * server when it does not exist, through the S3 API itself, so it works on any S3-compatible
 * server and a re-run changes nothing.
 */
const HELP: Usage = {
  synopsis: ['npm run create-bucket'],
  description: [
    'Creates the bucket ADS_BUCKET on the S3 server of AWS_ENDPOINT_URL_S3 when it does not exist (a',
    'bucket that exists already is left as it is). npm start does the same on its local server.',
  ].join('\n'),
  options: [],
  environment: [...S3_ENVIRONMENT, ['ADS_BUCKET', 'the bucket (ad-data)'], ...LOG_ENVIRONMENT],
  examples: ['AWS_ENDPOINT_URL_S3=http://127.0.0.1:8333 npm run create-bucket'],
};

export function main(): void {
  runMain(
    'create-bucket',
    async (config, logger) => {
      const store = new ObjectStore(config.s3, config.ads.bucket);
      try {
        logger.info('using this object store', describeObjectStore(config.s3, config.ads.bucket));
        await store.ensureBucket();
        logger.info(`bucket ${config.ads.bucket} is there`, { status: 'succeeded' });
        return 0;
      } finally {
        store.close();
      }
    },
    { usage: HELP },
  );
}

if (require.main === module) main();
