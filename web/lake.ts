import { html } from 'hono/html';
import { readLakeHeatmap, type HeatmapCell } from '../charts/lakeHeatmap';
import { lakeHeatmapOption } from '../charts/options';
import type { Reader } from './db';
import { bytesText, chart, count, table, time, type Html } from './view';

/**
 * The Lake page: events per type per hour as a heat map (from the catalog, charts/lakeHeatmap.ts),
 * quarantined lines by reason, and the catalog's files per partition.
 */

export const HEATMAP_HOURS = 48;
const HEATMAP_TYPES = 30;
const DAYS_SHOWN = 14;
const PARTITIONS_SHOWN = 20;

export interface QuarantineReason {
  reason: string;
  lines: string;
  ingests: number;
}

export interface LakeDay {
  event_date: string;
  content: string;
  types: number;
  partitions: number;
  files: number;
  rows: string;
  bytes: string;
  last_added_at: Date;
}

export interface Partition {
  event_type: string;
  event_date: string;
  event_hour: number;
  files: number;
  rows: string;
  bytes: string;
  last_added_at: Date;
}

export interface LakePage {
  heatmap: HeatmapCell[];
  quarantine: QuarantineReason[];
  /** Live files per day and content. */
  days: LakeDay[];
  /** The partitions with the most live files. */
  partitions: Partition[];
  /** True when the catalog holds no file and no ingest has quarantined a line. */
  empty: boolean;
}

export async function readLake(db: Reader): Promise<LakePage> {
  const heatmap = await readLakeHeatmap(db.client, { hours: HEATMAP_HOURS, types: HEATMAP_TYPES });
  const quarantine = await db.rows<QuarantineReason>('lake_quarantine.sql');
  const days = await db.rows<LakeDay>('lake_partitions.sql', [DAYS_SHOWN]);
  const partitions = await db.rows<Partition>('lake_busiest_partitions.sql', [PARTITIONS_SHOWN]);
  return { heatmap, quarantine, days, partitions, empty: heatmap.length + quarantine.length + days.length === 0 };
}

export function renderLakeChart(page: LakePage): Html {
  if (page.heatmap.length === 0) {
    return html`<p class="empty" id="heatmap-empty">
      The lake's catalog holds no events file yet: nothing to draw. <code>lake_ingest</code> and the stream's consumer
      fill it (docs/lake.md).
    </p>`;
  }
  const types = new Set(page.heatmap.map((cell) => cell.type)).size;
  return chart(
    'lake-heatmap',
    lakeHeatmapOption(page.heatmap),
    { width: 1200, height: Math.max(320, 200 + types * 26) },
    `Events per type per hour in the lake, the last ${HEATMAP_HOURS} hours of its catalog, ${types} types`,
  );
}

export function renderLakeTables(page: LakePage): Html {
  if (page.empty) {
    return html`<p class="empty" id="lake-empty">
      The lake is empty: <code>lake_files</code> holds no live file of the last 7 days and no ingest of them quarantined
      a line.
    </p>`;
  }
  const quarantine = table(
    'quarantine',
    ['reason', 'lines', 'ingests'],
    page.quarantine.map(
      (q) =>
        html`<tr>
          <th scope="row"><code>${q.reason}</code></th>
          <td class="num">${count(q.lines)}</td>
          <td class="num">${count(q.ingests)}</td>
        </tr>`,
    ),
    'No line quarantined in the last 7 days.',
  );
  const days = table(
    'lake-days',
    ['day', 'content', 'types', 'partitions', 'files', 'rows', 'bytes', 'last added'],
    page.days.map(
      (d) =>
        html`<tr>
          <th scope="row">${d.event_date}</th>
          <td>${d.content}</td>
          <td class="num">${count(d.types)}</td>
          <td class="num">${count(d.partitions)}</td>
          <td class="num">${count(d.files)}</td>
          <td class="num">${count(d.rows)}</td>
          <td class="num">${bytesText(d.bytes)}</td>
          <td>${time(d.last_added_at)}</td>
        </tr>`,
    ),
    'No live file in the catalog for the last 7 days.',
  );
  const partitions = table(
    'partitions',
    ['partition', 'files', 'rows', 'bytes', 'last added'],
    page.partitions.map(
      (p) =>
        html`<tr>
          <th scope="row">
            <code>type=${p.event_type}/date=${p.event_date}/hour=${String(p.event_hour).padStart(2, '0')}</code>
          </th>
          <td class="num">${count(p.files)}</td>
          <td class="num">${count(p.rows)}</td>
          <td class="num">${bytesText(p.bytes)}</td>
          <td>${time(p.last_added_at)}</td>
        </tr>`,
    ),
    'No events file in the catalog for the last 7 days.',
  );
  return html`<section aria-labelledby="h-quarantine">
      <h2 id="h-quarantine">Quarantined lines by reason <span class="muted">(ingests of the last 7 days)</span></h2>
      ${quarantine}
    </section>
    <section aria-labelledby="h-days">
      <h2 id="h-days">Catalog files per day <span class="muted">(live files, last 7 days)</span></h2>
      ${days}
    </section>
    <section aria-labelledby="h-partitions">
      <h2 id="h-partitions">
        Partitions with the most files <span class="muted">(what compaction has yet to merge)</span>
      </h2>
      ${partitions}
    </section>`;
}
