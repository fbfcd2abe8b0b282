/** PNG output for the example: image grids and line charts, written with sharp. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';

/**
 * Writes a grid of equally sized RGB tiles (`tiles[row][col]`: Uint8Array of size*size*3) as a
 * PNG, each tile scaled by `scale` (nearest neighbour, so pixels stay visible), with `gap` pixels
 * of `background` between tiles.
 */
export async function writeGrid(file, tiles, { size, scale = 3, gap = 2, background = 255 } = {}) {
  const rows = tiles.length;
  const cols = Math.max(...tiles.map((r) => r.length));
  const cell = size * scale;
  const W = cols * cell + (cols + 1) * gap;
  const H = rows * cell + (rows + 1) * gap;
  const out = new Uint8Array(W * H * 3).fill(background);
  tiles.forEach((row, r) =>
    row.forEach((tile, c) => {
      if (!tile) return;
      const x0 = gap + c * (cell + gap);
      const y0 = gap + r * (cell + gap);
      for (let y = 0; y < cell; y++) {
        for (let x = 0; x < cell; x++) {
          const s = (Math.floor(y / scale) * size + Math.floor(x / scale)) * 3;
          const d = ((y0 + y) * W + x0 + x) * 3;
          out[d] = tile[s];
          out[d + 1] = tile[s + 1];
          out[d + 2] = tile[s + 2];
        }
      }
    }),
  );
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(out, { raw: { width: W, height: H, channels: 3 } }).png({ compressionLevel: 9 }).toFile(file);
}

/** Writes one RGB image (Uint8Array width*height*3) as a PNG. */
export async function writePng(file, data, width, height) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels: 3 } }).png().toFile(file);
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

/**
 * Renders line charts as SVG and converts them to PNG: `series` is [{ name, points: [[x, y]] }],
 * drawn on a log-scale y axis when `logY`. Several panels side by side: `panels` =
 * [{ title, xLabel, yLabel, series, logY }].
 */
export async function writeChart(file, panels, { width = 520, height = 340 } = {}) {
  const pad = { l: 64, r: 16, t: 34, b: 46 };
  const parts = panels.map((p, i) => panelSvg(p, i * width, width, height, pad));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width * panels.length}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(svg)).png().toFile(file);
}

function panelSvg(p, x0, width, height, pad) {
  const all = p.series.flatMap((s) => s.points);
  const xs = all.map(([x]) => x);
  const fy = p.logY ? (y) => Math.log10(Math.max(y, 1e-12)) : (y) => y;
  const ys = all.map(([, y]) => fy(y));
  const [xmin, xmax] = [Math.min(...xs), Math.max(...xs)];
  let [ymin, ymax] = [Math.min(...ys), Math.max(...ys)];
  if (p.logY) [ymin, ymax] = [Math.floor(ymin), Math.ceil(ymax)];
  if (ymax === ymin) ymax = ymin + 1;
  const W = width - pad.l - pad.r;
  const H = height - pad.t - pad.b;
  const X = (x) => x0 + pad.l + ((x - xmin) / Math.max(1e-9, xmax - xmin)) * W;
  const Y = (y) => pad.t + H - ((fy(y) - ymin) / (ymax - ymin)) * H;
  const out = [`<text x="${x0 + width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`];
  out.push(`<rect x="${x0 + pad.l}" y="${pad.t}" width="${W}" height="${H}" fill="none" stroke="#888"/>`);
  const yticks = p.logY ? range(ymin, ymax).map((e) => 10 ** e) : niceTicks(ymin, ymax);
  for (const t of yticks) {
    const y = Y(t);
    out.push(`<line x1="${x0 + pad.l}" x2="${x0 + pad.l + W}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${x0 + pad.l - 6}" y="${y + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(xmin, xmax)) {
    const x = X(t);
    out.push(`<text x="${x}" y="${pad.t + H + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  out.push(`<text x="${x0 + pad.l + W / 2}" y="${height - 8}" text-anchor="middle">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(${x0 + 14},${pad.t + H / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
  p.series.forEach((s, i) => {
    const d = s.points.map(([x, y], j) => `${j ? 'L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join('');
    out.push(`<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5"/>`);
    out.push(`<rect x="${x0 + pad.l + 10}" y="${pad.t + 8 + i * 16}" width="12" height="3" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${x0 + pad.l + 28}" y="${pad.t + 13 + i * 16}">${esc(s.name)}</text>`);
  });
  return out.join('');
}

function range(a, b) {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

function niceTicks(a, b, n = 5) {
  const step0 = (b - a) / n || 1;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0);
  const out = [];
  for (let t = Math.ceil(a / step) * step; t <= b + 1e-9; t += step) out.push(+t.toPrecision(12));
  return out;
}

function fmt(v) {
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(0);
  return String(+v.toPrecision(4));
}

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
}
