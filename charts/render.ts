import { readdirSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import type { EChartsOption } from 'echarts';

/**
 * Charts to files with no browser, DOM or canvas: ECharts renders an option to an SVG string in
 * Node (ssr: true), the same option the dashboard draws in the browser; resvg turns the SVG into a
 * PNG from a prebuilt binary.
 */

export function renderSvg(option: EChartsOption, size: { width: number; height: number }): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

// Where Debian and most Linux systems keep fonts; resvg reads them with loadSystemFonts.
const FONT_FOLDERS = ['/usr/share/fonts', '/usr/local/share/fonts'];
// The font files resvg can draw with (fontdb's formats); an empty folder, or bitmap fonts only, draw no text.
const FONT_FILE = /\.(ttf|otf|ttc|otc)$/i;

/**
 * Whether resvg will find a font to draw text with: a font file anywhere under the folders.
 * Without one the PNG still renders — lines, axes, symbols, colours — but with no text at all
 * (the node:*-slim images have no fonts; `apt-get install fonts-dejavu-core` adds them). The SVG
 * is not affected: the browser has fonts.
 */
export function systemFontsFound(folders: readonly string[] = FONT_FOLDERS): boolean {
  return folders.some((folder) => {
    try {
      return readdirSync(folder, { recursive: true, encoding: 'utf8' }).some((name) => FONT_FILE.test(name));
    } catch {
      // Missing or unreadable: no fonts there.
      return false;
    }
  });
}

/** The SVG as a PNG, `width` pixels wide (the SVG's own size when absent), on a white background. */
export function svgToPng(svg: string, width?: number): Buffer {
  const resvg = new Resvg(svg, {
    background: '#ffffff',
    fitTo: width === undefined ? { mode: 'original' } : { mode: 'width', value: width },
    font: {
      loadSystemFonts: true,
      // ECharts asks for 'DejaVu Sans, Verdana, sans-serif' (charts/options.ts); a generic family
      // resolves to these, which Debian's fonts-dejavu-core provides.
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
    shapeRendering: 2,
    textRendering: 1,
  });
  return resvg.render().asPng();
}
