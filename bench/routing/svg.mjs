// Hand-written SVG line charts (no dependency): one line per series, min-max whiskers, linear or log y axis.

const COLORS = ['#d62728', '#ff7f0e', '#7f7f7f', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b'];

/** @param {string} s */
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** @param {number} v */
function label(v) {
  if (v >= 10_000) return `${(v / 1000).toFixed(0)}k`;
  if (v >= 1000) return `${(v / 1000).toFixed(1)}k`;
  return v >= 10 ? v.toFixed(0) : v.toPrecision(2);
}

/**
 * @param {{ title: string, xLabel: string, yLabel: string, logY?: boolean,
 *   series: { name: string, points: { x: number, y: number, lo?: number, hi?: number }[] }[] }} c
 * @returns {string}
 */
export function lineChart(c) {
  const W = 680;
  const H = 340;
  const m = { l: 64, r: 210, t: 34, b: 46 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = c.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y) && p.y > 0);
  const xs = all.map((p) => p.x);
  const ys = all.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]).filter((y) => Number.isFinite(y) && y > 0);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="18" font-size="13" font-weight="bold">${esc(c.title)}</text>`,
  ];
  if (all.length === 0) {
    out.push(`<text x="${m.l}" y="${m.t + 20}">no data</text></svg>`);
    return out.join('\n');
  }
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs) === x0 ? x0 + 1 : Math.max(...xs);
  let y0 = c.logY ? Math.min(...ys) : 0;
  let y1 = Math.max(...ys);
  if (c.logY) {
    y0 = 10 ** Math.floor(Math.log10(y0));
    y1 = 10 ** Math.ceil(Math.log10(y1));
  } else {
    y1 = y1 * 1.08 || 1;
  }
  const fx = (/** @type {number} */ x) => m.l + ((x - x0) / (x1 - x0)) * pw;
  const fy = (/** @type {number} */ y) =>
    c.logY
      ? m.t + ph - ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * ph
      : m.t + ph - ((y - y0) / (y1 - y0)) * ph;
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  const yTicks = [];
  if (c.logY) for (let d = y0; d <= y1 * 1.001; d *= 10) yTicks.push(d);
  else for (let i = 0; i <= 5; i++) yTicks.push(y0 + ((y1 - y0) * i) / 5);
  for (const t of yTicks) {
    out.push(
      `<line x1="${m.l}" x2="${m.l + pw}" y1="${fy(t).toFixed(1)}" y2="${fy(t).toFixed(1)}" stroke="#eee"/>`,
    );
    out.push(`<text x="${m.l - 6}" y="${(fy(t) + 4).toFixed(1)}" text-anchor="end">${label(t)}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<text x="${fx(x).toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle">${label(x)}</text>`);
  }
  out.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(c.xLabel)}</text>`);
  out.push(
    `<text x="14" y="${m.t + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${m.t + ph / 2})">${esc(c.yLabel)}</text>`,
  );
  c.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.filter((p) => Number.isFinite(p.y) && p.y > 0).sort((a, b) => a.x - b.x);
    if (pts.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${fx(p.x).toFixed(1)},${fy(p.y).toFixed(1)}`).join(' ')}"/>`,
      );
    }
    for (const p of pts) {
      out.push(`<circle cx="${fx(p.x).toFixed(1)}" cy="${fy(p.y).toFixed(1)}" r="3" fill="${color}"/>`);
      if (
        p.lo !== undefined &&
        p.hi !== undefined &&
        Number.isFinite(p.lo) &&
        Number.isFinite(p.hi) &&
        p.lo > 0
      ) {
        out.push(
          `<line x1="${fx(p.x).toFixed(1)}" x2="${fx(p.x).toFixed(1)}" y1="${fy(p.lo).toFixed(1)}" y2="${fy(p.hi).toFixed(1)}" stroke="${color}" stroke-width="1"/>`,
        );
      }
    }
    const ly = m.t + 12 + i * 18;
    out.push(
      `<line x1="${m.l + pw + 12}" x2="${m.l + pw + 32}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`,
    );
    out.push(`<text x="${m.l + pw + 38}" y="${ly}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
