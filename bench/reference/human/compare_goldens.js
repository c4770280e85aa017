// Compares two golden files written by human_reference.js (e.g. wasm against cpu), model by model.
//
//   node compare_goldens.js <a.json> <b.json>
//
// Per model, over all its outputs (whole values, or the sampled values of large outputs):
//   max_abs        max |a - b|
//   max_rel        max |a - b| / max(|a|, |b|)          (elements where both are 0 count as 0)
//   max_rel_scale  max over outputs of max |a - b| / max |b|   (relative to the output's magnitude)
// and the worst output by max_rel_scale. Inputs must have the same SHA-256 on both sides.
'use strict';

const fs = require('fs');

const num = (v) => (typeof v === 'string' ? Number(v) : v); // "NaN", "Infinity" are written as strings

function compare(a, b) {
  let maxAbs = 0;
  let maxRel = 0;
  let maxRef = 0;
  let nan = 0;
  for (let i = 0; i < a.length; i++) {
    const x = num(a[i]);
    const y = num(b[i]);
    if (Number.isNaN(x) || Number.isNaN(y)) { if (Number.isNaN(x) !== Number.isNaN(y)) nan++; continue; }
    const d = Math.abs(x - y);
    const m = Math.max(Math.abs(x), Math.abs(y));
    if (d > maxAbs) maxAbs = d;
    if (m > 0 && d / m > maxRel) maxRel = d / m;
    if (Math.abs(y) > maxRef) maxRef = Math.abs(y);
  }
  return { maxAbs, maxRel, relScale: maxRef > 0 ? maxAbs / maxRef : maxAbs, nan };
}

function main() {
  const [fa, fb] = process.argv.slice(2);
  if (!fa || !fb) { console.error('usage: node compare_goldens.js <a.json> <b.json>'); process.exit(2); }
  const A = JSON.parse(fs.readFileSync(fa, 'utf8'));
  const B = JSON.parse(fs.readFileSync(fb, 'utf8'));
  console.log(`# a: ${fa} (${A.backend.name})  b: ${fb} (${B.backend.name})`);
  let bad = 0;
  for (const name of Object.keys(A.models)) {
    const ma = A.models[name];
    const mb = B.models[name];
    if (!mb) { console.log(`model ${name} missing_in_b`); bad++; continue; }
    if (ma.input.npy_data_sha256 !== mb.input.npy_data_sha256) { console.log(`model ${name} different_inputs`); bad++; continue; }
    let worst = null;
    const total = { maxAbs: 0, maxRel: 0, relScale: 0, nan: 0 };
    for (const oa of ma.outputs) {
      const ob = mb.outputs.find((o) => o.name === oa.name);
      if (!ob || String(ob.shape) !== String(oa.shape)) { console.log(`model ${name} output ${oa.name} missing_or_reshaped_in_b`); bad++; continue; }
      const c = compare(oa.values || oa.sample, ob.values || ob.sample);
      total.maxAbs = Math.max(total.maxAbs, c.maxAbs);
      total.maxRel = Math.max(total.maxRel, c.maxRel);
      total.nan += c.nan;
      if (!worst || c.relScale > total.relScale) { total.relScale = Math.max(total.relScale, c.relScale); worst = oa.name; }
    }
    const g = (v) => v.toExponential(2);
    console.log(`model ${name} outputs ${ma.outputs.length} max_abs ${g(total.maxAbs)} max_rel ${g(total.maxRel)} max_rel_scale ${g(total.relScale)} worst ${worst}${total.nan ? ` nan_mismatch ${total.nan}` : ''}`);
  }
  for (const name of Object.keys(B.models)) if (!A.models[name]) { console.log(`model ${name} missing_in_a`); bad++; }
  if (bad) process.exitCode = 1;
}

main();
