import { runMain, stopped } from '../lib/main';
import { LOG_ENVIRONMENT, type Usage } from '../lib/usage';
import { newSeed } from './impressions';
import { startAdsApi } from './server';

/** `npm run ads-api` (the `ads-api` service under Compose): serves the ads API until SIGTERM or SIGINT, then exits 0. */

const HELP: Usage = {
  synopsis: ['npm run ads-api'],
  description: [
    'Serves GET /ads, 100 made-up ad impressions per call as a JSON array, reproducible from a seed,',
    'with slow, failing or malformed answers picked by query parameters (docs/ads-api.md); GET /health',
    'for healthchecks. Until SIGTERM or Ctrl-C, then exit 0.',
  ].join('\n'),
  options: [],
  environment: [
    ['ADS_API_HOST, ADS_API_PORT', 'where it listens (127.0.0.1, 8001)'],
    ['ADS_API_SEED', 'the seed of its answers, 0 to 2147483647 (unset: a new one at each start, logged)'],
    ...LOG_ENVIRONMENT,
  ],
  examples: ['ADS_API_SEED=42 npm run ads-api', 'curl -s "http://127.0.0.1:8001/ads?bad_every=10"'],
};

export function main(): void {
  runMain(
    'ads-api',
    async (config, logger, stop) => {
      const { host, port, seed: configuredSeed } = config.ads.api;
      const seed = configuredSeed ?? newSeed();
      const api = await startAdsApi({ host, port, seed, log: logger });
      logger.info('ads API listening', {
        url: api.url,
        seed,
        seed_from: configuredSeed === undefined ? 'picked at start (ADS_API_SEED is not set)' : 'ADS_API_SEED',
      });
      await stopped(stop);
      logger.info('ads API stopping', { signal: String(stop.reason) });
      await api.close();
      logger.info('ads API stopped', { calls: api.calls() });
      return 0;
    },
    { usage: HELP, exitCodeWhenStopped: 0 },
  );
}

if (require.main === module) main();
