import { AppError, describeError } from '../lib/errors';

/**
 * One GET of the ads API, its body as the exact bytes received. Bounded by ADS_API_TIMEOUT and
 * by the task's signal (its own timeout, a shutdown); the engine's retries call it again.
 */

/** The ads API did not answer, or not with 200: check that it runs and that ADS_API_URL points at it. */
export class AdsApiError extends AppError {
  readonly exitCode = 1;
}

// Enough of an error body to see what the API said, on one log line.
const BODY_CHARS = 200;

export interface FetchedResponse {
  body: Buffer;
  durationMs: number;
}

/** The error of a fetch that did not get an answer, named by what the user can do about it. */
function unanswered(error: unknown, url: string, timeoutMs: number, timedOut: boolean): AdsApiError {
  if (timedOut) {
    return new AdsApiError(
      `the ads API did not answer GET ${url} within ${timeoutMs / 1000} s (ADS_API_TIMEOUT); nothing was stored`,
      { cause: error },
    );
  }
  const cause = (error as { cause?: unknown }).cause;
  return new AdsApiError(
    `cannot reach the ads API at ${url} (${describeError(cause ?? error)}): check that it runs and that ADS_API_URL points at it; nothing was stored`,
    { cause: error },
  );
}

export async function fetchAdsResponse(url: string, timeoutMs: number, signal: AbortSignal): Promise<FetchedResponse> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const started = Date.now();
  try {
    // identity: the bytes stored are the bytes the API sent, not a body fetch decompressed.
    const response = await fetch(url, {
      headers: { accept: 'application/json', 'accept-encoding': 'identity' },
      signal: AbortSignal.any([signal, timeout]),
    });
    if (response.status !== 200) {
      const text = (await response.text()).replace(/\s+/g, ' ').trim();
      const excerpt = text.length > BODY_CHARS ? `${text.slice(0, BODY_CHARS)}…` : text;
      throw new AdsApiError(
        `the ads API answered ${response.status} ${response.statusText} to GET ${url}: ${excerpt || '(empty body)'}; nothing was stored`,
      );
    }
    return { body: Buffer.from(await response.arrayBuffer()), durationMs: Date.now() - started };
  } catch (error) {
    // A stopped task (its timeout, a shutdown) is the engine's to report.
    if (signal.aborted) throw signal.reason;
    if (error instanceof AdsApiError) throw error;
    throw unanswered(error, url, timeoutMs, timeout.aborted);
  }
}
