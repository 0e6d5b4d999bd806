/**
 * Draws Cloud Connect's icons as PNGs (`npx tsx assets/generateIcons.ts`): the four tray states
 * at 16 px with @2x variants, and the app icon at every size electron-builder wants. Shapes are
 * signed-distance functions sampled 4×4 per pixel, so edges are anti-aliased at any size.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

type Rgba = [number, number, number, number];
/** A layer: distance to its edge at (x, y) in a 0..1 square (negative inside), and its colour there. */
type Layer = { sdf: (x: number, y: number) => number; color: (x: number, y: number) => Rgba };

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

const circle = (cx: number, cy: number, r: number) => (x: number, y: number) =>
  Math.hypot(x - cx, y - cy) - r;
const ring = (cx: number, cy: number, r: number, w: number) => (x: number, y: number) =>
  Math.abs(Math.hypot(x - cx, y - cy) - r) - w / 2;
const box =
  (cx: number, cy: number, hw: number, hh: number, rad = 0) =>
  (x: number, y: number) => {
    const dx = Math.abs(x - cx) - hw + rad;
    const dy = Math.abs(y - cy) - hh + rad;
    return Math.hypot(Math.max(dx, 0), Math.max(dy, 0)) + Math.min(Math.max(dx, dy), 0) - rad;
  };
const union =
  (...fs: Array<(x: number, y: number) => number>) =>
  (x: number, y: number) =>
    Math.min(...fs.map((f) => f(x, y)));
/** A ring with a gap: the part of `ring` whose angle (from 12 o'clock, clockwise) is below `sweep`. */
const arc =
  (cx: number, cy: number, r: number, w: number, sweep: number) => (x: number, y: number) => {
    const a = (Math.atan2(x - cx, -(y - cy)) + 2 * Math.PI) % (2 * Math.PI);
    const d = ring(cx, cy, r, w)(x, y);
    if (a <= sweep) return d;
    const end = (t: number) => [cx + r * Math.sin(t), cy - r * Math.cos(t)] as const;
    const [x1, y1] = end(0);
    const [x2, y2] = end(sweep);
    return Math.min(Math.hypot(x - x1, y - y1), Math.hypot(x - x2, y - y2)) - w / 2;
  };
const solid = (c: Rgba) => () => c;

/** The cloud mark: three lobes on a rounded base. */
const cloud = (s: number, ox: number, oy: number) =>
  union(
    circle(ox + 0.36 * s, oy + 0.56 * s, 0.17 * s),
    circle(ox + 0.52 * s, oy + 0.44 * s, 0.22 * s),
    circle(ox + 0.68 * s, oy + 0.58 * s, 0.15 * s),
    box(ox + 0.52 * s, oy + 0.64 * s, 0.3 * s, 0.09 * s, 0.09 * s),
  );

function render(size: number, layers: Layer[]): Buffer {
  const png = new PNG({ width: size, height: size });
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let [r, g, b, a] = [0, 0, 0, 0];
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = (px + (sx + 0.5) / n) / size;
          const y = (py + (sy + 0.5) / n) / size;
          // Paint layers in order over transparent black ("over" compositing, premultiplied).
          let [cr, cg, cb, ca] = [0, 0, 0, 0];
          for (const layer of layers) {
            if (layer.sdf(x, y) > 0) continue;
            const [lr, lg, lb, la] = layer.color(x, y);
            const al = la / 255;
            cr = lr * al + cr * (1 - al);
            cg = lg * al + cg * (1 - al);
            cb = lb * al + cb * (1 - al);
            ca = al + ca * (1 - al);
          }
          r += cr;
          g += cg;
          b += cb;
          a += ca;
        }
      }
      const i = (py * size + px) * 4;
      const k = n * n;
      const alpha = a / k;
      png.data[i] = alpha ? Math.round(r / k / alpha) : 0;
      png.data[i + 1] = alpha ? Math.round(g / k / alpha) : 0;
      png.data[i + 2] = alpha ? Math.round(b / k / alpha) : 0;
      png.data[i + 3] = Math.round(alpha * 255);
    }
  }
  return PNG.sync.write(png);
}

const GREEN: Rgba = [22, 163, 74, 255];
const AMBER: Rgba = [217, 119, 6, 255];
const RED: Rgba = [220, 38, 38, 255];
const GREY: Rgba = [120, 120, 128, 255];
const WHITE: Rgba = [255, 255, 255, 255];

/** Tray icons: a state badge that reads at 16 px on light and dark panels. */
const TRAY: Record<string, Layer[]> = {
  connected: [
    { sdf: circle(0.5, 0.5, 0.46), color: solid(GREEN) },
    { sdf: cloud(0.9, 0.05, 0.02), color: solid(WHITE) },
  ],
  connecting: [
    { sdf: arc(0.5, 0.5, 0.38, 0.16, Math.PI * 1.5), color: solid(AMBER) },
    { sdf: circle(0.5, 0.5, 0.13), color: solid(AMBER) },
  ],
  error: [
    { sdf: circle(0.5, 0.5, 0.46), color: solid(RED) },
    { sdf: union(box(0.5, 0.4, 0.065, 0.2, 0.05), circle(0.5, 0.75, 0.075)), color: solid(WHITE) },
  ],
  off: [
    { sdf: ring(0.5, 0.5, 0.38, 0.13), color: solid(GREY) },
    { sdf: cloud(0.7, 0.15, 0.12), color: solid(GREY) },
  ],
};

/** Inside a triangle (sign only: the renderer needs inside/outside, not true distance). */
const triangle =
  (ax: number, ay: number, bx: number, by: number, cx: number, cy: number) =>
  (x: number, y: number) => {
    const side = (px: number, py: number, qx: number, qy: number) =>
      (qx - px) * (y - py) - (qy - py) * (x - px);
    const d1 = side(ax, ay, bx, by);
    const d2 = side(bx, by, cx, cy);
    const d3 = side(cx, cy, ax, ay);
    const inside = (d1 >= 0 && d2 >= 0 && d3 >= 0) || (d1 <= 0 && d2 <= 0 && d3 <= 0);
    return inside ? -1 : 1;
  };

/** The app icon: a white cloud with an up-arrow (your app, published) on a blue rounded square. */
const APP: Layer[] = [
  {
    sdf: box(0.5, 0.5, 0.44, 0.44, 0.1),
    color: (_x, y) => [
      Math.round(37 + 20 * y),
      Math.round(99 - 30 * y),
      Math.round(235 - 40 * y),
      255,
    ],
  },
  { sdf: cloud(0.9, 0.05, 0.0), color: solid(WHITE) },
  {
    sdf: union(triangle(0.52, 0.36, 0.62, 0.5, 0.42, 0.5), box(0.52, 0.56, 0.035, 0.08)),
    color: solid([37, 99, 235, 255]),
  },
];

function write(file: string, data: Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
  console.log(`wrote ${path.relative(root, file)}`);
}

for (const [state, layers] of Object.entries(TRAY)) {
  write(path.join(here, 'tray', `tray-${state}.png`), render(16, layers));
  write(path.join(here, 'tray', `tray-${state}@2x.png`), render(32, layers));
}
write(path.join(here, 'icon.png'), render(1024, APP));
write(path.join(root, 'build', 'icon.png'), render(512, APP));
for (const s of [16, 32, 48, 64, 128, 256, 512])
  write(path.join(root, 'build', 'icons', `${s}x${s}.png`), render(s, APP));
