import { html } from 'hono/html';
import type { Reader } from './db';
import { bytesText, count, table, time, type Html } from './view';

/** The Ads page: the API responses backed up per day, the archives per day, the impressions per day. */

export const ADS_DAYS = 14;

export interface BackupDay {
  day: string;
  backups: number;
  bytes: string;
  impressions: string | null;
  rejected: string | null;
  errors: number;
}

export interface ArchiveDay {
  day: string;
  archives: number;
  rows: string;
  bytes: string;
  restored: number;
  last_archived_at: Date;
}

export interface RowsDay {
  day: string;
  rows: string;
}

export interface AdsPage {
  days: number;
  backups: BackupDay[];
  archives: ArchiveDay[];
  /** Impressions in ads per day shown; archived days have left it. */
  rows: RowsDay[];
  /** True when the ads pipeline has written nothing yet. */
  empty: boolean;
}

export async function readAds(db: Reader): Promise<AdsPage> {
  const backups = await db.rows<BackupDay>('ads_backups_per_day.sql', [ADS_DAYS]);
  const archives = await db.rows<ArchiveDay>('ads_archives_per_day.sql', [ADS_DAYS]);
  const rows = await db.rows<RowsDay>('ads_rows_per_day.sql', [ADS_DAYS]);
  return { days: ADS_DAYS, backups, archives, rows, empty: backups.length + archives.length + rows.length === 0 };
}

export function renderAds(page: AdsPage): Html {
  if (page.empty) {
    return html`<p class="empty" id="ads-empty">
      The ads pipeline has written nothing in the last ${page.days} days: <code>ad_backups</code>,
      <code>ad_archives</code> and <code>ads</code> hold no row for them. <code>api_load</code> fills them every hour
      (docs/ads.md).
    </p>`;
  }
  const backups = table(
    'ad-backups',
    ['day (UTC)', 'responses backed up', 'bytes', 'impressions', 'rejected', 'not loaded'],
    page.backups.map(
      (d) =>
        html`<tr>
          <th scope="row">${d.day}</th>
          <td class="num">${count(d.backups)}</td>
          <td class="num">${bytesText(d.bytes)}</td>
          <td class="num">${count(d.impressions)}</td>
          <td class="num">${count(d.rejected)}</td>
          <td class="num">${count(d.errors)}</td>
        </tr>`,
    ),
    `No response backed up in the last ${page.days} days.`,
  );
  const archives = table(
    'ad-archives',
    ['day shown (UTC)', 'archives', 'rows', 'bytes', 'restored', 'last archived'],
    page.archives.map(
      (d) =>
        html`<tr>
          <th scope="row">${d.day}</th>
          <td class="num">${count(d.archives)}</td>
          <td class="num">${count(d.rows)}</td>
          <td class="num">${bytesText(d.bytes)}</td>
          <td class="num">${count(d.restored)}</td>
          <td>${time(d.last_archived_at)}</td>
        </tr>`,
    ),
    'No day archived yet: ad_archives is empty.',
  );
  const rows = table(
    'ad-rows',
    ['day shown (UTC)', 'impressions in ads'],
    page.rows.map(
      (d) =>
        html`<tr>
          <th scope="row">${d.day}</th>
          <td class="num">${count(d.rows)}</td>
        </tr>`,
    ),
    `No impression in ads for the last ${page.days} days (archived days have left it).`,
  );
  return html`<section aria-labelledby="h-backups">
      <h2 id="h-backups">Backups per day <span class="muted">(last ${page.days} days)</span></h2>
      ${backups}
    </section>
    <div class="columns">
      <section aria-labelledby="h-rows">
        <h2 id="h-rows">Impressions per day</h2>
        ${rows}
      </section>
      <section aria-labelledby="h-archives">
        <h2 id="h-archives">Archives per day</h2>
        ${archives}
      </section>
    </div>`;
}
