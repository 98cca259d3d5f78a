import { deflateSync } from 'node:zlib';

/**
 * A few SVG drawing helpers for the examples' pictures (loss curves, decision regions, image
 * grids): plain strings, no dependencies, so the examples write images a README can show without
 * a plotting library or a browser.
 */

/** One panel of a figure: its position and size inside the document. */
export interface Frame {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string => String(Math.round(v * 100) / 100);

/** A complete SVG document of the given size holding `parts`, on a white background. */
export function svgDocument(width: number, height: number, parts: ReadonlyArray<string>): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** Text at (x, y); `anchor` as SVG's text-anchor. */
export function text(x: number, y: number, s: string, options: { anchor?: 'start' | 'middle' | 'end'; size?: number; fill?: string } = {}): string {
  return `<text x="${fmt(x)}" y="${fmt(y)}" text-anchor="${options.anchor ?? 'start'}" font-size="${options.size ?? 12}" fill="${options.fill ?? '#222'}">${esc(s)}</text>`;
}

/** "Nice" tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) out.push(Math.round(v / step) * step);
  return out;
}

/**
 * A line chart of `ys` against `xs` in `frame`, with axes, ticks and a title; `logY` plots log10(y)
 * (for loss curves, which fall over decades).
 */
export function lineChart(frame: Frame, series: ReadonlyArray<{ xs: ReadonlyArray<number>; ys: ReadonlyArray<number>; color: string; label: string }>, options: { title: string; xLabel: string; logY?: boolean }): string {
  const pad = { left: 52, right: 12, top: 26, bottom: 36 };
  const w = frame.width - pad.left - pad.right;
  const h = frame.height - pad.top - pad.bottom;
  const ty = (v: number): number => (options.logY ? Math.log10(Math.max(v, 1e-12)) : v);
  const allX = series.flatMap((s) => [...s.xs]);
  const allY = series.flatMap((s) => s.ys.map(ty));
  const [x0, x1] = [Math.min(...allX), Math.max(...allX)];
  let [y0, y1] = [Math.min(...allY), Math.max(...allY)];
  if (options.logY) [y0, y1] = [Math.floor(y0), Math.ceil(y1)];
  const sx = (v: number): number => frame.x + pad.left + ((v - x0) / (x1 - x0 || 1)) * w;
  const sy = (v: number): number => frame.y + pad.top + h - ((v - y0) / (y1 - y0 || 1)) * h;
  const parts: string[] = [text(frame.x + frame.width / 2, frame.y + 16, options.title, { anchor: 'middle', size: 13 })];
  parts.push(`<rect x="${fmt(frame.x + pad.left)}" y="${fmt(frame.y + pad.top)}" width="${fmt(w)}" height="${fmt(h)}" fill="none" stroke="#999"/>`);
  const yTicks = options.logY ? Array.from({ length: y1 - y0 + 1 }, (_, i) => y0 + i) : ticks(y0, y1);
  for (const t of yTicks) {
    parts.push(`<line x1="${fmt(frame.x + pad.left)}" x2="${fmt(frame.x + pad.left + w)}" y1="${fmt(sy(t))}" y2="${fmt(sy(t))}" stroke="#eee"/>`);
    parts.push(text(frame.x + pad.left - 4, sy(t) + 4, options.logY ? `1e${t}` : String(t), { anchor: 'end', size: 10 }));
  }
  for (const t of ticks(x0, x1)) parts.push(text(sx(t), frame.y + pad.top + h + 14, String(t), { anchor: 'middle', size: 10 }));
  parts.push(text(frame.x + pad.left + w / 2, frame.y + frame.height - 6, options.xLabel, { anchor: 'middle', size: 11 }));
  series.forEach((s, k) => {
    const points = s.xs.map((x, i) => `${fmt(sx(x))},${fmt(sy(ty(s.ys[i]!)))}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
    parts.push(`<line x1="${fmt(frame.x + pad.left + w - 110)}" x2="${fmt(frame.x + pad.left + w - 92)}" y1="${fmt(frame.y + pad.top + 12 + 14 * k)}" y2="${fmt(frame.y + pad.top + 12 + 14 * k)}" stroke="${s.color}" stroke-width="2"/>`);
    parts.push(text(frame.x + pad.left + w - 88, frame.y + pad.top + 16 + 14 * k, s.label, { size: 10 }));
  });
  return parts.join('\n');
}

/** A colour between two RGB colours, `t` in [0, 1]. */
export function mix(a: readonly [number, number, number], b: readonly [number, number, number], t: number): string {
  const c = a.map((v, i) => Math.round(v + (b[i]! - v) * Math.min(1, Math.max(0, t))));
  return `rgb(${c.join(',')})`;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** An 8-bit grayscale PNG of `pixels` (row-major in [0, 1], 1 = black ink on white). */
export function grayPng(pixels: ArrayLike<number>, rows: number, cols: number): Buffer {
  const chunk = (type: string, data: Uint8Array): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(cols, 0);
  header.writeUInt32BE(rows, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // grayscale
  const raw = Buffer.alloc(rows * (cols + 1));
  for (let r = 0; r < rows; r++) {
    raw[r * (cols + 1)] = 0; // filter: none
    for (let c = 0; c < cols; c++) raw[r * (cols + 1) + 1 + c] = Math.round(255 * (1 - Math.min(1, Math.max(0, pixels[r * cols + c]!))));
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/**
 * A grayscale image (`pixels` row-major in [0, 1]) at (x, y), `scale` px per pixel: an embedded PNG
 * drawn with sharp pixels, with a thin frame.
 */
export function grayImage(x: number, y: number, pixels: ArrayLike<number>, rows: number, cols: number, scale: number): string {
  const href = `data:image/png;base64,${grayPng(pixels, rows, cols).toString('base64')}`;
  return (
    `<image x="${fmt(x)}" y="${fmt(y)}" width="${fmt(cols * scale)}" height="${fmt(rows * scale)}" style="image-rendering:pixelated" preserveAspectRatio="none" href="${href}"/>` +
    `<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(cols * scale)}" height="${fmt(rows * scale)}" fill="none" stroke="#ccc"/>`
  );
}
