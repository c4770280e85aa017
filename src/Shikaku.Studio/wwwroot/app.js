// Shikaku Studio's pages: plain browser JavaScript over the studio's JSON API (no build step, no CDN).
'use strict';

const $ = id => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
};
const fmt = (v, digits = 4) => Number.isInteger(v) ? String(v) : Number(v).toFixed(digits).replace(/\.?0+$/, '');

// Every call goes through here: JSON or form in, JSON (or an image) out; a problem document becomes an Error with its detail.
async function api(path, { json, form, method } = {}) {
  const init = { method: method || (json || form ? 'POST' : 'GET'), headers: {} };
  if (json) { init.body = JSON.stringify(json); init.headers['Content-Type'] = 'application/json'; }
  if (form) init.body = form;
  const r = await fetch(path, init);
  const type = r.headers.get('Content-Type') || '';
  if (!r.ok) {
    let detail = `${r.status} ${r.statusText}`;
    if (type.includes('json')) { const p = await r.json(); detail = p.detail || p.title || detail; }
    throw new Error(detail);
  }
  return type.startsWith('image/') ? r : r.json();
}

function showError(id, e) { $(id).textContent = e ? (e.message || String(e)) : ''; }

// ---------------------------------------------------------------- pages
function showPage() {
  const page = (location.hash || '#conv').slice(1);
  document.querySelectorAll('.page').forEach(p => { p.hidden = p.id !== 'page-' + page; });
  document.querySelectorAll('nav a[data-page]').forEach(a => a.classList.toggle('active', a.dataset.page === page));
  if (page === 'explain') loadModels();
}
window.addEventListener('hashchange', showPage);

// ---------------------------------------------------------------- convolution lab
const lab = { trace: null, step: 0, timer: null };

function labMode() {
  const op = $('conv-op').value;
  document.querySelectorAll('#page-conv .conv-only').forEach(e => { e.hidden = op === 'pool'; });
  document.querySelectorAll('#page-conv .pool-only').forEach(e => { e.hidden = op !== 'pool'; });
}

async function runConv() {
  showError('conv-error');
  const op = $('conv-op').value;
  const body = { operation: op, data: $('conv-data').value, padding: $('conv-padding').value || 'valid' };
  if (op === 'pool') { body.size = Number($('pool-size').value); body.mode = $('pool-mode').value; }
  else { body.kernel = $('conv-kernel').value; body.stride = Number($('conv-stride').value); body.dilation = Number($('conv-dilation').value); }
  try {
    lab.trace = await api('/api/conv', { json: body });
    lab.step = 0;
    drawTrace();
  } catch (e) { showError('conv-error', e); $('conv-result').hidden = true; }
}

function grid(rows, classOf) {
  const t = el('table', { class: 'grid' });
  rows.forEach((row, r) => {
    const tr = el('tr');
    row.forEach((v, c) => { const td = el('td', { text: v === null ? '0' : fmt(v, 3) }); const k = classOf && classOf(r, c); if (k) td.className = k; tr.append(td); });
    t.append(tr);
  });
  return t;
}

function drawTrace() {
  const t = lab.trace, g = t.geometry, s = t.steps[lab.step];
  $('conv-result').hidden = false;
  $('conv-output').textContent = t.output.map(r => r.map(v => fmt(v, 3)).join(' ')).join('; ');
  const p = g.padding;
  const [inH, inW] = g.input, [kh, kw] = g.window, [sh, sw] = g.stride, [dh, dw] = g.dilation, [oh, ow] = g.output;
  const size = (n, k, d, st, a, b) => `floor((${n} + ${a} + ${b} - ${d}x(${k}-1) - 1) / ${st}) + 1`;
  $('conv-formula').textContent = `output size = floor((n + padding - dilation x (k - 1) - 1) / stride) + 1: ` +
    (inH > 1 ? `height ${size(inH, kh, dh, sh, p.top, p.bottom)} = ${oh}, ` : '') + `width ${size(inW, kw, dw, sw, p.left, p.right)} = ${ow}`;
  // The input with its padding; the window's taps and the current step's top-left marked.
  const taps = new Set();
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.add(`${s.input[0] + i * dh},${s.input[1] + j * dw}`);
  const rows = [];
  for (let r = -p.top; r < inH + p.bottom; r++) {
    const row = [];
    for (let c = -p.left; c < inW + p.right; c++) row.push(r >= 0 && r < inH && c >= 0 && c < inW ? t.input[r][c] : null);
    rows.push(row);
  }
  $('conv-input-grid').replaceChildren(grid(rows, (r, c) => {
    const ir = r - p.top, ic = c - p.left;
    const pad = ir < 0 || ir >= inH || ic < 0 || ic >= inW;
    return (taps.has(`${ir},${ic}`) ? 'window' : '') + (pad ? ' pad' : '');
  }));
  if (t.kernel) $('conv-kernel-grid').replaceChildren(grid(t.kernel));
  $('conv-output-grid').replaceChildren(grid(t.output, (r, c) => (r === s.output[0] && c === s.output[1] ? 'current' : '')));
  $('step-info').textContent = `window ${lab.step + 1} of ${t.steps.length}: output [${s.output[0]}, ${s.output[1]}] from input [${s.input[0]}, ${s.input[1]}]`;
  const patch = s.patch.flat().map(v => fmt(v, 3));
  if (s.products) {
    const k = t.kernel.flat().map(v => fmt(v, 3));
    $('step-sum').textContent = patch.map((v, i) => `${v}x${k[i]}`).join(' + ') + ` = ${fmt(s.value, 4)}`;
  } else {
    $('step-sum').textContent = `${t.operation.startsWith('max') ? 'max' : 'mean'}(${patch.join(', ')}) = ${fmt(s.value, 4)}`;
  }
}

function step(delta) {
  if (!lab.trace) return;
  const n = lab.trace.steps.length;
  lab.step = (lab.step + delta + n) % n;
  drawTrace();
}

function play() {
  if (lab.timer) { clearInterval(lab.timer); lab.timer = null; $('step-play').textContent = 'play'; return; }
  $('step-play').textContent = 'pause';
  lab.timer = setInterval(() => step(1), 700);
}

// Work on the photo chosen on a page (input PREFIX-file), sent as a form: field "image" plus FIELDS. Without a photo,
// or when the work fails, the page's error line (PREFIX-error) says so.
async function withPhoto(prefix, fields, work) {
  showError(prefix + '-error');
  const file = $(prefix + '-file').files[0];
  if (!file) { showError(prefix + '-error', 'Choose a photo first.'); return; }
  const form = new FormData();
  form.append('image', file);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  try { await work(form, file); } catch (e) { showError(prefix + '-error', e); }
}

const runFilter = () => withPhoto('filter', { kernel: $('filter-kernel').value }, async (form, file) => {
  const r = await api('/api/filter', { form });
  $('filter-before').src = URL.createObjectURL(file);
  $('filter-after').src = URL.createObjectURL(await r.blob());
});

// ---------------------------------------------------------------- explainer
const ex = { result: null, image: null };

async function loadModels() {
  try {
    const m = await api('/api/models');
    const select = $('explain-model'), keep = select.value;
    const runs = el('optgroup', { label: 'Your trained runs' }, ...m.runs.map(r => el('option', { value: r.id, text: `${r.id} (${r.dataset})` })));
    const graphs = el('optgroup', { label: 'Imported networks (human-models)' }, ...m.graphModels.map(g => el('option', { value: g.id, text: `${g.id}: ${g.task}` })));
    const faceNets = el('optgroup', { label: 'face-api.js networks' }, ...m.faceApiModels.map(g => el('option', { value: g.id, text: `${g.id}: ${g.task}` })));
    select.replaceChildren(...(m.runs.length ? [runs] : []), graphs, faceNets);
    const want = ex.pending || keep;
    if (want && [...select.options].some(o => o.value === want)) select.value = want;
    ex.pending = null;
    $('explain-none').hidden = m.runs.length > 0;
    const det = $('objects-model');
    if (!det.options.length) det.replaceChildren(...m.detectors.map(d => el('option', { text: d })));
    const fill = (id, names) => { const s = $(id), k = s.value; s.replaceChildren(...names.map(n => el('option', { text: n }))); if (names.includes(k)) s.value = k; };
    fill('train-dataset', m.datasets);
    fill('train-model', m.architectures);
  } catch (e) { showError('explain-error', e); }
}

function setupDrawing() {
  const c = $('draw'), ctx = c.getContext('2d');
  const clear = () => { ctx.fillStyle = '#000'; ctx.fillRect(0, 0, c.width, c.height); ex.image = null; };
  clear();
  let drawing = false;
  const at = e => { const r = c.getBoundingClientRect(); return [(e.clientX - r.left) * c.width / r.width, (e.clientY - r.top) * c.height / r.height]; };
  c.addEventListener('pointerdown', e => { drawing = true; ex.image = null; ctx.beginPath(); ctx.moveTo(...at(e)); c.setPointerCapture(e.pointerId); });
  c.addEventListener('pointermove', e => {
    if (!drawing) return;
    ctx.strokeStyle = '#fff'; ctx.lineWidth = 22; ctx.lineCap = 'round'; ctx.lineJoin = 'round';
    ctx.lineTo(...at(e)); ctx.stroke();
  });
  c.addEventListener('pointerup', () => { drawing = false; });
  $('draw-clear').addEventListener('click', clear);
  $('explain-file').addEventListener('change', () => { ex.image = $('explain-file').files[0] || null; });
}

// The drawing (or the uploaded file) as a PNG blob: what the server prepares as predict does.
function explainImage() {
  if (ex.image) return Promise.resolve(ex.image);
  return new Promise(resolve => $('draw').toBlob(b => resolve(b), 'image/png'));
}

async function runExplain() {
  showError('explain-error');
  const id = $('explain-model').value;
  if (!id) { showError('explain-error', 'No model to explain: train one first.'); return; }
  const form = new FormData();
  form.append('image', await explainImage(), 'drawing.png');
  try {
    ex.result = await api(`/api/models/${encodeURIComponent(id)}/explain`, { form });
    ex.form = form;
    ex.id = id; // a map click asks the model that was explained, whatever the list shows now
    if (ex.result.nodes) drawGraphExplanation(); else drawExplanation();
  } catch (e) { showError('explain-error', e); }
}

function mapCanvas(values, h, w, c, channel, scale) {
  const canvas = el('canvas', { width: w, height: h });
  let lo = Infinity, hi = -Infinity;
  for (let i = channel; i < values.length; i += c) { lo = Math.min(lo, values[i]); hi = Math.max(hi, values[i]); }
  const ctx = canvas.getContext('2d'), img = ctx.createImageData(w, h), range = hi - lo || 1;
  for (let p = 0; p < h * w; p++) {
    const v = Math.round(255 * (values[p * c + channel] - lo) / range);
    img.data[4 * p] = img.data[4 * p + 1] = img.data[4 * p + 2] = v; img.data[4 * p + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  canvas.style.width = `${w * scale}px`;
  canvas.style.height = `${h * scale}px`;
  return canvas;
}

function drawExplanation() {
  const r = ex.result;
  $('explain-prediction').textContent = `${r.predicted.class} (${r.predicted.probability.toFixed(4)})`;
  $('explain-probs').replaceChildren(...r.probabilities.map((p, i) => {
    const fill = el('span', { class: 'fill' });
    fill.style.width = `${Math.max(1, p * 160)}px`;
    return el('div', { class: 'bar' }, el('span', { text: r.classes[i] }), fill, el('span', { text: p.toFixed(4) }));
  }));
  const net = $('network');
  net.replaceChildren();
  const [ih, iw, ic] = r.input.shape;
  const inputCol = el('div', { class: 'column' }, el('h4', { text: 'input' }), el('span', { class: 'shape', text: r.input.shape.join('x') }));
  for (let c = 0; c < ic; c++) inputCol.append(mapCanvas(r.input.values, ih, iw, ic, c, 2));
  net.append(inputCol);
  for (const layer of r.layers) {
    const col = el('div', { class: 'column' }, el('h4', { text: `${layer.name}` }), el('span', { class: 'shape', text: `${layer.type} ${layer.shape.join('x')}` }));
    if (layer.shape.length === 3) {
      const [h, w, c] = layer.shape, scale = Math.max(1, Math.floor(56 / Math.max(h, w)));
      // Up to 16 maps a column; a wider layer is laid out in several (64 maps: 4 columns of 16).
      const maps = el('div', { class: 'maps' });
      maps.style.gridTemplateColumns = `repeat(${Math.ceil(c / 16)}, auto)`;
      col.append(maps);
      for (let ch = 0; ch < c; ch++) {
        const m = mapCanvas(layer.values, h, w, c, ch, scale);
        m.classList.add('map');
        m.dataset.layer = layer.index; m.dataset.channel = ch;
        m.title = `${layer.name} map ${ch}`;
        m.addEventListener('click', () => selectMap(layer, ch, m));
        maps.append(m);
      }
    } else {
      const n = layer.values.length, v = mapCanvas(layer.values, n, 1, 1, 0, 1);
      v.classList.add('vector');
      v.style.width = '18px'; v.style.height = `${Math.min(400, Math.max(n, 40))}px`;
      v.addEventListener('click', () => showLayer(layer));
      col.append(v);
    }
    col.querySelector('h4').addEventListener('click', () => showLayer(layer));
    net.append(col);
  }
  $('conv-detail').replaceChildren();
  $('layer-detail').replaceChildren();
}

// An imported network: one column per node with a map or vector output (previews: up to 16 channels, 64 pixels a side).
function drawGraphExplanation() {
  const r = ex.result;
  $('explain-prediction').textContent = `${r.model}: ${r.task}`;
  const shown = r.truncated ? `the first ${r.nodes.length - 1} of ${r.totalNodes} nodes and the last` : `${r.nodes.length} nodes`;
  $('explain-probs').replaceChildren(el('p', { class: 'note', text: `input ${r.input.shape.join('x')}, made from ${r.input.region}; ${shown}. Click a node's name for its numbers.` }));
  const net = $('network');
  net.replaceChildren();
  r.nodes.forEach((n, i) => {
    const col = el('div', { class: 'column' }, el('h4', { text: n.name }), el('span', { class: 'shape', text: `${n.op} ${n.shape.join('x')}` }));
    if (n.preview.length === 3) {
      const [h, w, c] = n.preview, scale = Math.max(1, Math.floor(48 / Math.max(h, w)));
      const maps = el('div', { class: 'maps' });
      maps.style.gridTemplateColumns = `repeat(${Math.ceil(c / 8)}, auto)`;
      for (let ch = 0; ch < c; ch++) { const m = mapCanvas(n.values, h, w, c, ch, scale); m.classList.add('map'); m.dataset.node = i; maps.append(m); }
      col.append(maps);
    } else {
      const v = mapCanvas(n.values, n.values.length, 1, 1, 0, 1);
      v.classList.add('vector'); v.style.width = '18px'; v.style.height = `${Math.min(300, Math.max(n.values.length, 20))}px`;
      col.append(v);
    }
    col.querySelector('h4').addEventListener('click', () => showLayer({ name: n.name, type: n.op, shape: n.shape, formula: `${n.op} (preview: every ${n.step}. pixel, ${n.preview.join('x')})`, values: n.values }));
    net.append(col);
  });
  $('conv-detail').replaceChildren();
  $('layer-detail').replaceChildren();
}

// A layer's formula and its numbers (ReLU, pooling, flatten, dense, softmax).
function showLayer(layer) {
  const box = $('layer-detail');
  const values = layer.values;
  let lo = Infinity, hi = -Infinity, sum = 0;
  for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); sum += v; }
  const rows = [el('h3', { text: `${layer.name} (${layer.type})` }), el('p', { class: 'formula', text: layer.formula }),
    el('p', { text: `${values.length} values, shape ${layer.shape.join('x')}: min ${fmt(lo)}, max ${fmt(hi)}, sum ${fmt(sum)}` })];
  if (values.length <= 32) rows.push(el('p', { class: 'formula', text: values.map(v => fmt(v)).join('  ') }));
  box.replaceChildren(...rows);
}

// The connections into a selected map, as CNN Explainer draws them: from every map of the column before it for a
// convolution (each input channel is convolved and summed), from the same channel only for pooling.
function drawConnections(layer, channel, target) {
  const net = $('network');
  net.querySelector('svg.links')?.remove();
  const columns = [...net.querySelectorAll('.column')];
  const before = columns[layer.index]; // column 0 is the input
  if (!before) return;
  let sources = [...before.querySelectorAll('canvas')];
  if (layer.type !== 'Conv2D') sources = sources.filter((_, i) => i === channel);
  const box = net.getBoundingClientRect();
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.classList.add('links');
  svg.setAttribute('width', net.scrollWidth);
  svg.setAttribute('height', net.scrollHeight);
  const t = target.getBoundingClientRect();
  const x2 = t.left - box.left + net.scrollLeft, y2 = t.top + t.height / 2 - box.top;
  for (const s of sources) {
    const r = s.getBoundingClientRect();
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'line');
    line.setAttribute('x1', r.right - box.left + net.scrollLeft); line.setAttribute('y1', r.top + r.height / 2 - box.top);
    line.setAttribute('x2', x2); line.setAttribute('y2', y2);
    svg.append(line);
  }
  net.prepend(svg);
}

async function selectMap(layer, channel, canvas) {
  document.querySelectorAll('canvas.map.selected').forEach(c => c.classList.remove('selected'));
  canvas.classList.add('selected');
  drawConnections(layer, channel, canvas);
  showLayer(layer);
  const box = $('conv-detail');
  if (layer.type !== 'Conv2D') { box.replaceChildren(); return; }
  try {
    const d = await api(`/api/models/${encodeURIComponent(ex.id)}/explain/conv?layer=${layer.index}&channel=${channel}`, { form: ex.form });
    const scale = Math.max(2, Math.floor(84 / Math.max(d.inHeight, d.inWidth)));
    const parts = [el('h3', { text: `How ${d.name} map ${d.channel} was computed` }),
      el('p', { text: `Each input channel is convolved with its own ${d.kernelHeight}x${d.kernelWidth} kernel; the maps are summed, the bias ${fmt(d.bias)} is added, then ${d.activation}.` })];
    d.contributions.forEach((k, i) => {
      const kernel = [];
      for (let r = 0; r < d.kernelHeight; r++) kernel.push(k.kernel.slice(r * d.kernelWidth, (r + 1) * d.kernelWidth));
      const kt = grid(kernel); kt.classList.add('kernel'); kt.dataset.inputChannel = i;
      parts.push(el('div', { class: 'row' }, el('span', { text: `input ${i}` }), mapCanvas(d.inputs[i], d.inHeight, d.inWidth, 1, 0, scale),
        el('span', { text: '*' }), kt, el('span', { text: '=' }), mapCanvas(k.map, d.outHeight, d.outWidth, 1, 0, scale)));
    });
    parts.push(el('div', { class: 'row' }, el('span', { text: `sum + bias (${fmt(d.bias)})` }), mapCanvas(d.preActivation, d.outHeight, d.outWidth, 1, 0, scale),
      el('span', { text: `${d.activation} ->` }), mapCanvas(d.output, d.outHeight, d.outWidth, 1, 0, scale)));
    box.replaceChildren(...parts);
  } catch (e) { showError('explain-error', e); }
}

// ---------------------------------------------------------------- training
const tr = { id: null, source: null, batches: [], epochs: [] };

function drawChart() {
  const c = $('train-chart'), ctx = c.getContext('2d'), w = c.width, h = c.height;
  ctx.clearRect(0, 0, w, h);
  const pts = tr.batches;
  if (!pts.length) return;
  const maxLoss = Math.max(...pts.map(p => p.loss), 0.1);
  const line = (values, color, top) => {
    ctx.strokeStyle = color; ctx.beginPath();
    values.forEach((v, i) => { const x = 40 + (w - 50) * i / Math.max(1, values.length - 1), y = h - 20 - (h - 40) * v / top; i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
    ctx.stroke();
  };
  ctx.fillStyle = '#5b6475'; ctx.font = '12px sans-serif';
  ctx.fillText(`loss (red, max ${maxLoss.toFixed(2)}) and accuracy (blue, 0..1) per batch`, 40, 14);
  line(pts.map(p => p.loss), '#e2574c', maxLoss);
  line(pts.map(p => p.accuracy), '#2f6fdf', 1);
}

async function startTraining() {
  showError('train-error');
  const body = {
    // Layers written in the box (conv:16,pool,...) are the architecture; else the one chosen.
    dataset: $('train-dataset').value, model: $('train-layers').value.trim() || $('train-model').value, epochs: Number($('train-epochs').value),
    batchSize: Number($('train-batch').value), learningRate: Number($('train-lr').value), limit: Number($('train-limit').value),
  };
  try {
    const started = await api('/api/train', { json: body });
    tr.id = started.id; tr.batches = []; tr.epochs = [];
    $('train-log').querySelector('tbody').replaceChildren();
    $('train-open').hidden = true;
    $('train-stop').disabled = false; $('train-start').disabled = true;
    $('train-status').textContent = `Run ${started.id}: loading the data...`;
    follow(started.events);
  } catch (e) { showError('train-error', e); }
}

function follow(url) {
  if (tr.source) tr.source.close();
  const source = new EventSource(url);
  tr.source = source;
  source.addEventListener('start', e => { $('train-status').textContent = JSON.parse(e.data).description; });
  source.addEventListener('batch', e => {
    const b = JSON.parse(e.data);
    tr.batches.push(b);
    if (b.batch % 5 === 0 || b.batch === b.batches) {
      $('train-status').textContent = `epoch ${b.epoch}, batch ${b.batch}/${b.batches}: loss ${b.loss.toFixed(4)}, accuracy ${b.accuracy.toFixed(4)}`;
      drawChart();
    }
  });
  source.addEventListener('epoch', e => {
    const l = JSON.parse(e.data);
    tr.epochs.push(l);
    const cell = v => el('td', { text: v === null || v === undefined ? '-' : fmt(v) });
    $('train-log').querySelector('tbody').append(el('tr', {}, cell(l.epoch), cell(l.loss), cell(l.accuracy), cell(l.valLoss), cell(l.valAccuracy), cell(l.seconds)));
  });
  const done = text => {
    source.close(); tr.source = null;
    $('train-status').textContent = text;
    $('train-stop').disabled = true; $('train-start').disabled = false;
    drawChart();
  };
  source.addEventListener('end', e => {
    const r = JSON.parse(e.data);
    done(`Run ${r.id} ${r.cancelled ? 'stopped' : 'finished'} after ${r.epochs} epoch(s)${r.saved ? '; the best epoch is saved' : ', nothing saved'}.`);
    if (r.saved) {
      const link = $('train-open');
      link.hidden = false;
      link.onclick = () => { ex.pending = r.id; };
    }
  });
  source.addEventListener('error', e => {
    if (e.data) done(`Run failed: ${JSON.parse(e.data).error}`);
  });
}

async function stopTraining() {
  if (!tr.id) return;
  try { await api(`/api/train/${encodeURIComponent(tr.id)}/stop`, { method: 'POST' }); $('train-status').textContent += ' (stopping...)'; }
  catch (e) { showError('train-error', e); }
}

// ---------------------------------------------------------------- faces and objects
function drawPhoto(canvas, file, draw) {
  return new Promise(resolve => {
    const img = new Image();
    img.onload = () => {
      canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      ctx.lineWidth = Math.max(2, img.naturalWidth / 400);
      ctx.font = `${Math.max(12, img.naturalWidth / 60)}px sans-serif`;
      draw(ctx);
      resolve();
    };
    img.src = URL.createObjectURL(file);
  });
}

const runFaces = () => withPhoto('faces', { detector: $('faces-detector').value }, async (form, file) => {
  const r = await api('/api/faces/analyze', { form });
  $('faces-count').textContent = `${r.faces.length} face${r.faces.length === 1 ? '' : 's'} in ${r.width}x${r.height}`;
  await drawPhoto($('faces-canvas'), file, ctx => r.faces.forEach((f, i) => {
    ctx.strokeStyle = '#2f6fdf'; ctx.strokeRect(f.box.x, f.box.y, f.box.width, f.box.height);
    ctx.fillStyle = '#ffc95c';
    (f.landmarks || []).forEach(([x, y]) => ctx.fillRect(x - 1.5, y - 1.5, 3, 3));
    ctx.fillStyle = '#2f6fdf'; ctx.fillText(String(i + 1), f.box.x, f.box.y - 4);
  }));
  const top = f => f.expressions ? Object.entries(f.expressions).sort((a, b) => b[1] - a[1])[0] : null;
  $('faces-table').querySelector('tbody').replaceChildren(...r.faces.map((f, i) => {
    const e = top(f);
    return el('tr', {}, el('td', { text: i + 1 }), el('td', { text: f.score.toFixed(3) }), el('td', { text: e ? `${e[0]} ${e[1].toFixed(2)}` : '-' }),
      el('td', { text: f.age != null ? f.age.toFixed(0) : '-' }), el('td', { text: f.gender ? `${f.gender} ${f.genderProbability.toFixed(2)}` : '-' }));
  }));
});

// ---- 3-D viewer: hand-written WebGL 1, one textured mesh, turned by dragging ----

const mesh = { faces: [], gl: null, program: null, yaw: 0, pitch: 0, buffers: null, count: 0 };

const runMesh = () => withPhoto('faces', {}, async (form) => {
  const r = await api('/api/faces/mesh', { form });
  mesh.faces = r.faces.filter(f => f.positions);
  $('mesh-face').replaceChildren(...mesh.faces.map((f, i) => el('option', { value: i, text: `${i + 1}: yaw ${f.pose.yaw.toFixed(0)}, pitch ${f.pose.pitch.toFixed(0)}, roll ${f.pose.roll.toFixed(0)}` })));
  const refused = r.faces.filter(f => !f.positions).map(f => f.error);
  $('mesh-info').textContent = `${mesh.faces.length} of ${r.faces.length} faces in 3-D` + (refused.length ? `; ${refused.join(' ')}` : '');
  $('mesh-canvas').dataset.faces = mesh.faces.length;
  if (mesh.faces.length) await showMesh(0);
});

function shader(gl, type, source) {
  const s = gl.createShader(type);
  gl.shaderSource(s, source); gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
  return s;
}

function meshGl() {
  if (mesh.gl) return mesh.gl;
  const gl = $('mesh-canvas').getContext('webgl', { preserveDrawingBuffer: true });
  if (!gl) throw new Error('This browser has no WebGL: the 3-D view cannot be drawn.');
  const p = gl.createProgram();
  gl.attachShader(p, shader(gl, gl.VERTEX_SHADER, 'attribute vec3 p; attribute vec2 t; uniform mat4 m; varying vec2 v; void main() { v = t; gl_Position = m * vec4(p, 1.0); }'));
  gl.attachShader(p, shader(gl, gl.FRAGMENT_SHADER, 'precision mediump float; uniform sampler2D s; varying vec2 v; void main() { gl_FragColor = texture2D(s, v); }'));
  gl.linkProgram(p);
  if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(p));
  mesh.gl = gl; mesh.program = p;
  const c = $('mesh-canvas');
  let drag = null;
  c.addEventListener('pointerdown', e => { drag = [e.clientX, e.clientY]; c.setPointerCapture(e.pointerId); });
  c.addEventListener('pointerup', () => { drag = null; });
  c.addEventListener('pointermove', e => {
    if (!drag) return;
    mesh.yaw += (e.clientX - drag[0]) * 0.01; mesh.pitch += (e.clientY - drag[1]) * 0.01;
    mesh.pitch = Math.max(-1.5, Math.min(1.5, mesh.pitch));
    drag = [e.clientX, e.clientY];
    drawMesh();
  });
  return gl;
}

async function showMesh(i) {
  const f = mesh.faces[i], gl = meshGl(), p = mesh.program;
  const img = new Image();
  img.src = f.texture;
  await img.decode();
  // Centred on the mesh, scaled to fit the view: positions in centimetres become -1..1.
  const n = f.positions.length / 3, centre = [0, 0, 0];
  for (let k = 0; k < n; k++) for (let a = 0; a < 3; a++) centre[a] += f.positions[3 * k + a] / n;
  let r = 0;
  for (let k = 0; k < n; k++) r = Math.max(r, Math.hypot(f.positions[3 * k] - centre[0], f.positions[3 * k + 1] - centre[1], f.positions[3 * k + 2] - centre[2]));
  const xyz = new Float32Array(f.positions.map((v, k) => (v - centre[k % 3]) / r));
  const buffer = (data, target) => { const b = gl.createBuffer(); gl.bindBuffer(target, b); gl.bufferData(target, data, gl.STATIC_DRAW); return b; };
  mesh.buffers = { p: buffer(xyz, gl.ARRAY_BUFFER), t: buffer(new Float32Array(f.uv), gl.ARRAY_BUFFER), i: buffer(new Uint16Array(f.triangles), gl.ELEMENT_ARRAY_BUFFER) };
  mesh.count = f.triangles.length;
  const tex = gl.createTexture();
  gl.bindTexture(gl.TEXTURE_2D, tex);
  gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, img);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  gl.useProgram(p);
  mesh.yaw = 0; mesh.pitch = 0;
  drawMesh();
}

function drawMesh() {
  const gl = mesh.gl, p = mesh.program, b = mesh.buffers;
  if (!gl || !b) return;
  gl.viewport(0, 0, gl.canvas.width, gl.canvas.height);
  gl.clearColor(0.12, 0.12, 0.14, 1); gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
  gl.enable(gl.DEPTH_TEST);
  // M = scale * flip(z) * Rx(pitch) * Ry(yaw), written column by column (WebGL's order). The mesh's z points to the
  // viewer; clip space's depth grows away from it, hence the flip.
  const cy = Math.cos(mesh.yaw), sy = Math.sin(mesh.yaw), cx = Math.cos(mesh.pitch), sx = Math.sin(mesh.pitch), s = 0.9;
  const m = new Float32Array([
    s * cy, s * sx * sy, s * cx * sy, 0,
    0, s * cx, -s * sx, 0,
    s * sy, -s * sx * cy, -s * cx * cy, 0,
    0, 0, 0, 1]);
  gl.uniformMatrix4fv(gl.getUniformLocation(p, 'm'), false, m);
  const attribute = (name, buffer, size) => { const a = gl.getAttribLocation(p, name); gl.bindBuffer(gl.ARRAY_BUFFER, buffer); gl.enableVertexAttribArray(a); gl.vertexAttribPointer(a, size, gl.FLOAT, false, 0, 0); };
  attribute('p', b.p, 3); attribute('t', b.t, 2);
  gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, b.i);
  gl.drawElements(gl.TRIANGLES, mesh.count, gl.UNSIGNED_SHORT, 0);
}

async function runVerify() {
  const a = $('verify-first').files[0], b = $('verify-second').files[0];
  if (!a || !b) { $('verify-result').textContent = 'Choose two photos.'; return; }
  const form = new FormData();
  form.append('first', a); form.append('second', b);
  try {
    const r = await api('/api/faces/verify', { form });
    $('verify-result').textContent = `distance ${r.distance.toFixed(3)} against threshold ${r.threshold}: ${r.samePerson ? 'the same person' : 'different people'}`;
  } catch (e) { $('verify-result').textContent = e.message; }
}

// ---- gallery: enrol, identify, forget, over the same use cases as ./shikaku gallery ----

async function listGallery() {
  try {
    const r = await api('/api/gallery');
    $('gallery-people').querySelector('tbody').replaceChildren(...r.people.map(p => {
      const forget = el('button', { text: 'Forget' });
      forget.addEventListener('click', async () => {
        const form = new FormData();
        form.append('name', p.name);
        try { const r = await api('/api/gallery/forget', { form }); $('gallery-result').textContent = r.message; } catch (e) { showError('gallery-error', e); }
        listGallery();
      });
      return el('tr', {}, el('td', { text: p.name }), el('td', { text: p.descriptors }), el('td', { text: p.consent.purpose }), el('td', { text: p.consent.expires }), el('td', {}, forget));
    }));
  } catch (e) { showError('gallery-error', e); }
}

async function galleryPhoto(work) {
  showError('gallery-error');
  const file = $('faces-file').files[0];
  if (!file) { showError('gallery-error', 'Choose a photo above first.'); return; }
  const form = new FormData();
  form.append('image', file);
  try { await work(form); } catch (e) { showError('gallery-error', e); }
}

const enrollGallery = () => galleryPhoto(async form => {
  form.append('name', $('gallery-name').value);
  form.append('consent', $('gallery-consent').value);
  form.append('expires', $('gallery-expires').value);
  const p = await api('/api/gallery/enroll', { form });
  $('gallery-result').textContent = `${p.name}: ${p.descriptors} descriptor(s) enrolled, consent "${p.consent.purpose}" until ${p.consent.expires}.`;
  await listGallery();
});

const identifyGallery = () => galleryPhoto(async form => {
  const r = await api('/api/gallery/identify', { form });
  const faces = r.images[0].faces;
  $('gallery-result').textContent = faces.length === 0 ? 'No face found.'
    : faces.map((f, i) => `${i + 1}: ${f.name}${f.distance != null ? ` (${f.distance.toFixed(2)})` : ''}`).join(', ');
});

const runObjects = () => withPhoto('objects', { model: $('objects-model').value || 'centernet', threshold: $('objects-threshold').value }, async (form, file) => {
  const r = await api('/api/detect', { form });
  $('objects-count').textContent = `${r.objects.length} object${r.objects.length === 1 ? '' : 's'} (${r.model}, ${r.speedMs.inference} ms inference)`;
  await drawPhoto($('objects-canvas'), file, ctx => r.objects.forEach(o => {
    ctx.strokeStyle = '#e2574c'; ctx.strokeRect(o.box.x1, o.box.y1, o.box.x2 - o.box.x1, o.box.y2 - o.box.y1);
    ctx.fillStyle = '#e2574c'; ctx.fillText(`${o.name} ${o.confidence.toFixed(2)}`, o.box.x1 + 2, o.box.y1 - 4);
  }));
  $('objects-table').querySelector('tbody').replaceChildren(...r.objects.map((o, i) => el('tr', {}, el('td', { text: i + 1 }), el('td', { text: o.name }),
    el('td', { text: o.confidence.toFixed(3) }), el('td', { text: `${o.box.x1}, ${o.box.y1} - ${o.box.x2}, ${o.box.y2}` }))));
});

// ---------------------------------------------------------------- wiring
document.addEventListener('DOMContentLoaded', () => {
  $('conv-op').addEventListener('change', labMode);
  $('conv-run').addEventListener('click', runConv);
  document.querySelectorAll('button.example').forEach(b => b.addEventListener('click', () => {
    $('conv-op').value = b.dataset.op; $('conv-data').value = b.dataset.data;
    if (b.dataset.kernel) $('conv-kernel').value = b.dataset.kernel;
    labMode(); runConv();
  }));
  $('step-prev').addEventListener('click', () => step(-1));
  $('step-next').addEventListener('click', () => step(1));
  $('step-play').addEventListener('click', play);
  $('filter-run').addEventListener('click', runFilter);
  setupDrawing();
  $('explain-refresh').addEventListener('click', loadModels);
  $('explain-run').addEventListener('click', runExplain);
  $('train-start').addEventListener('click', startTraining);
  $('train-stop').addEventListener('click', stopTraining);
  $('faces-run').addEventListener('click', runFaces);
  $('verify-run').addEventListener('click', runVerify);
  $('mesh-run').addEventListener('click', runMesh);
  $('mesh-face').addEventListener('change', e => showMesh(Number(e.target.value)));
  $('objects-run').addEventListener('click', runObjects);
  $('gallery-enroll').addEventListener('click', enrollGallery);
  $('gallery-identify').addEventListener('click', identifyGallery);
  listGallery();
  labMode();
  showPage();
  loadModels();
  api('/api/train').then(t => { if (t.id && !t.finished) { tr.id = t.id; $('train-stop').disabled = false; $('train-start').disabled = true; follow(`/api/train/${encodeURIComponent(t.id)}/events`); } }).catch(() => {});
});
