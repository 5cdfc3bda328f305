import { inTransaction, type PoolClient } from '../lib/db';
import { describeError, InputError } from '../lib/errors';
import { querySqlFile } from '../lib/sqlFiles';
import type { Backup } from './backups';
import { parseResponse } from './parseResponse';

/**
 * The load of one stored response (docs/ads.md, "api_load"): its impressions upserted into ads in
 * one statement, its rejects and the update of its ad_backups row, all in one transaction. A
 * body that is not a JSON array inserts nothing; the error goes to its ad_backups row.
 */

export interface LoadSummary {
  /** Impressions of the response that are rows of ads now. */
  impressions: number;
  rejected: number;
  /** Rows of ads inserted or changed: 0 when the response was loaded already. */
  written: number;
}

async function load(db: PoolClient, backup: Backup, body: Buffer, where: string): Promise<LoadSummary> {
  let parsed;
  try {
    parsed = parseResponse(body, backup.receivedAt);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(`${where}: ${error.message}; it stays stored, nothing was inserted`, { cause: error });
  }
  const { impressions, rejects } = parsed;
  const written = await inTransaction(db, async () => {
    const upserted = await querySqlFile(db, 'ads/upsert_ads.sql', [backup.key, JSON.stringify(impressions)]);
    await querySqlFile(db, 'ads/insert_rejects.sql', [backup.key, JSON.stringify(rejects)]);
    await querySqlFile(db, 'ads/finish_load.sql', [backup.key, impressions.length, rejects.length]);
    return upserted.rowCount ?? 0;
  });
  return { impressions: impressions.length, rejected: rejects.length, written };
}

/** Loads the response; a failure is also written to its ad_backups row (when the database takes it). */
export async function loadResponse(db: PoolClient, backup: Backup, body: Buffer, where: string): Promise<LoadSummary> {
  try {
    return await load(db, backup, body, where);
  } catch (error) {
    await querySqlFile(db, 'ads/record_load_error.sql', [backup.key, describeError(error)]).catch(() => undefined);
    throw error;
  }
}
