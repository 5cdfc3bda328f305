import { createHash } from 'node:crypto';
import type { EChartsOption } from 'echarts';
import { html, raw } from 'hono/html';
import { renderSvg } from '../charts/render';

/**
 * The pieces every page is made of: the frame with its navigation, times, status marks and
 * numbers. Everything goes through hono/html's `html`, which escapes every value it is given;
 * raw() only wraps markup this module or an html`` template produced, and the SVG echarts
 * renders on the server (charts/render.ts), whose text is escaped by echarts.
 */

export type Html = ReturnType<typeof html>;

export const PAGES = [
  ['/', 'Overview'],
  ['/loans', 'Loans'],
  ['/runs', 'Runs'],
  ['/loads', 'Loads'],
  ['/ads', 'Ads'],
  ['/lake', 'Lake'],
] as const;

export interface Frame {
  path: string;
  title: string;
  /** Seconds between refreshes of the page's live part; 0: none. */
  refreshSeconds: number;
  /** Load echarts in the browser, for the page's zoomable charts. */
  charts?: boolean;
}

export function layout(frame: Frame, body: Html): Html {
  const nav = PAGES.map(
    ([href, label]) => html`<a href="${href}" ${frame.path === href ? raw(' aria-current="page"') : ''}>${label}</a>`,
  );
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${frame.title} · loans-analytics</title>
        <link rel="stylesheet" href="/assets/dashboard.css" />
        ${frame.charts === true ? html`<script src="/assets/echarts.min.js" defer></script>` : ''}
        <script src="/assets/dashboard.js" defer></script>
      </head>
      <body data-refresh-seconds="${frame.refreshSeconds}">
        <header class="top">
          <span class="brand">loans-analytics</span>
          <nav aria-label="Pages">${nav}</nav>
          <span class="tools">
            <button type="button" id="tz-toggle" hidden>Times: UTC</button>
            <button type="button" id="refresh-toggle" hidden>Auto-refresh: on</button>
          </span>
        </header>
        <main id="main">
          <h1>${frame.title}</h1>
          ${body}
        </main>
      </body>
    </html>`;
}

/** The part of a page that its script fetches again every refresh (the same URL, fragment=live). */
export function live(url: string, content: Html): Html {
  return html`<div id="live" data-refresh-url="${url}">${content}</div>`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** 2026-12-01 21:13:00 UTC: what the page shows until the reader picks the browser's zone. */
export function formatUtc(date: Date): string {
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`
  );
}

export function time(date: Date | string | null | undefined): Html {
  if (date === null || date === undefined) return html`<span class="none">—</span>`;
  const value = typeof date === 'string' ? new Date(date) : date;
  return html`<time datetime="${value.toISOString()}">${formatUtc(value)}</time>`;
}

export function durationText(ms: number | string | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const value = Number(ms);
  if (value < 1000) return `${value} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)} s`;
  const minutes = Math.floor(value / 60_000);
  return `${minutes} min ${Math.round((value % 60_000) / 1000)} s`;
}

export function count(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return Number(value).toLocaleString('en-US');
}

export function bytesText(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const bytes = Number(value);
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${size.toFixed(1)} ${units[unit]}`;
}

/** A mark for each status, so that it reads without its colour (colour-blind readers, print). */
export const STATUS_MARKS: Record<string, string> = {
  succeeded: '✓',
  failed: '✗',
  running: '▶',
  skipped: '⊘',
  retried: '↻',
};

export function statusMark(status: string): string {
  return STATUS_MARKS[status] ?? '?';
}

/** The status as a coloured badge with its mark and its word. */
export function status(value: string | null | undefined): Html {
  if (value === null || value === undefined) return html`<span class="none">—</span>`;
  return html`<span class="badge status-${value}" data-status="${value}">${statusMark(value)} ${value}</span>`;
}

/**
 * A raw line as text, whatever it holds: escaped like every value, and its control characters
 * (but tab) shown as \u0007-like escapes, marked so that they cannot be taken for the line's own
 * backslashes.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL_CHARACTER = /([\u0000-\u0008\u000b-\u001f\u007f])/;

export function rawText(text: string): Html {
  return html`${text.split(CONTROL_CHARACTER).map((part, i) => {
    if (i % 2 === 0) return part;
    const code = `\\u${part.charCodeAt(0).toString(16).padStart(4, '0')}`;
    return html`<span class="ctl" title="control character ${code}">${code}</span>`;
  })}`;
}

/** A table with a header; rows already rendered; a sentence instead when there are none. */
/**
 * The box a wide table scrolls sideways in. Focusable and named, so that a keyboard can scroll it
 * too (axe's scrollable-region-focusable).
 */
export function scrollBox(label: string, content: Html): Html {
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${label}">${content}</div>`;
}

export function table(id: string, headers: readonly string[], rows: Html[], empty: string): Html {
  if (rows.length === 0) return html`<p class="empty" id="${id}-empty">${empty}</p>`;
  return scrollBox(
    `${id.replace(/-/g, ' ')} table`,
    html` <table id="${id}">
      <thead>
        <tr>
          ${headers.map((h) => html`<th scope="col">${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>`,
  );
}

/** JSON inside a <script type="application/json">, which the browser never runs: `<` escaped so that no text ends the block. */
export function jsonBlock(id: string, value: unknown): Html {
  const text = JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return html`<script type="application/json" id="${id}">
    ${raw(text)}
  </script>`;
}

// Drawing a chart of 1,000 points costs about 100 ms, and most requests of a page draw the same
// one again (a full refresh rewrites the table every minute with the same numbers): the last
// few drawings, by the hash of what they were drawn from.
const DRAWINGS_KEPT = 16;
const drawings = new Map<string, string>();

function drawnSvg(option: EChartsOption, size: { width: number; height: number }): string {
  const key = createHash('sha256')
    .update(JSON.stringify([option, size]))
    .digest('hex');
  let drawing = drawings.get(key);
  if (drawing === undefined) {
    drawing = Buffer.from(renderSvg(option, size)).toString('base64');
    if (drawings.size >= DRAWINGS_KEPT) drawings.delete(drawings.keys().next().value!);
  } else {
    drawings.delete(key);
  }
  drawings.set(key, drawing);
  return drawing;
}

/**
 * A chart as the server draws it (charts/render.ts), the same as `npm run chart` writes, shown
 * as an image with no JavaScript; its option in a JSON block, which the page's script hands to
 * echarts in the browser to make it zoomable. The SVG is a data: image rather than inline
 * markup: it carries style attributes and a <style> element, which the page's CSP (styles from
 * the server's files only) would refuse, and as an image it can run nothing.
 */
export function chart(id: string, option: EChartsOption, size: { width: number; height: number }, alt: string): Html {
  const svg = drawnSvg(option, size);
  return html`<figure class="chart" id="${id}" data-option="${id}-option">
    <img
      class="chart-svg"
      src="data:image/svg+xml;base64,${svg}"
      width="${size.width}"
      height="${size.height}"
      alt="${alt}"
    />
    <div class="chart-canvas" role="img" aria-label="${alt}"></div>
    ${jsonBlock(`${id}-option`, option)}
    <figcaption class="chart-note">
      ${alt}. Drag or scroll on the chart, or use the slider below it, to zoom.
    </figcaption>
  </figure>`;
}
