// Shikaku's reference runner for human's whole face pipeline (our own code; @vladmandic/human and its
// models are MIT, TensorFlow.js is Apache-2.0, jpeg-js is BSD-3-Clause).
//
//   node human_pipeline.js run    <pixels.npy> <out.json> [--iris] [--liveness]
//   node human_pipeline.js bench  <pixels.npy> [runs] [--iris] [--liveness]
//   node human_pipeline.js decode <in.jpg> <out.npy>
//
// <pixels.npy> is an RGB image as a NumPy .npy (uint8 or float32, [H, W, 3] or [1, H, W, 3], C order,
// little-endian), normally written by Shikaku from its own decoder so both sides see the same pixels.
// It becomes a float32 tensor [1, H, W, 3] with values 0..255 and goes to human.detect (human 3.3.6,
// dist/human.node-wasm.js) on TF.js's wasm backend, with a config that runs only the face pipeline:
// BlazeFace -> FaceMesh [-> Iris] [-> antispoof + liveness]. human's models are read from disk
// (node_modules/@vladmandic/human/models) through a file:// load router that hands TF.js an in-memory
// IOHandler, and the wasm binary from node_modules/@tensorflow/tfjs-backend-wasm/dist; global fetch is
// replaced by a function that throws, so nothing can be fetched at run time.
'use strict';

const fs = require('fs');
const path = require('path');
const { pathToFileURL, fileURLToPath } = require('url');

const PINNED = {
  '@vladmandic/human': '3.3.6',
  '@tensorflow/tfjs-core': '4.22.0',
  '@tensorflow/tfjs-converter': '4.22.0',
  '@tensorflow/tfjs-backend-wasm': '4.22.0',
};
const WASM_THREADS = 2;
const DEFAULT_RUNS = 10;
const WARMUP_RUNS = 2; // at least this many warm-up calls ...
const WARMUP_NS = 2000000000n; // ... and at least 2 s of them: V8 tiers wasm up from Liftoff to TurboFan in the background

function fail(message) {
  const e = new Error(message);
  e.clean = true;
  throw e;
}

// The folder of an installed package (human's "exports" map hides its package.json from require.resolve).
function packageDir(name) {
  for (const base of require.resolve.paths(name) || []) {
    const dir = path.join(base, name);
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  throw new Error(`cannot find ${name}`);
}

function packageVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(packageDir(name), 'package.json'), 'utf8')).version;
}

function checkPins() {
  for (const [name, want] of Object.entries(PINNED)) {
    let got;
    try { got = packageVersion(name); } catch (e) { fail(`${name} is not installed: run \`npm install\` in ${__dirname}`); }
    if (got !== want) fail(`${name} is ${got}, package.json pins ${want}: run \`npm install\` in ${__dirname}`);
  }
}

// ---- NumPy .npy (format versions 1.0, 2.0, 3.0) ----

const NPY_DTYPES = { '|u1': 'uint8', '<u1': 'uint8', u1: 'uint8', '<f4': 'float32' };

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
  if (!dtype) fail(`${file}: dtype '${descr[1]}' is not supported; write uint8 ('|u1') or little-endian float32 ('<f4')`);
  if (fortran[1] === 'True') fail(`${file}: Fortran-order arrays are not supported; write it in C order (np.ascontiguousarray)`);
  const shape = shapeText[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((d) => {
    if (!/^\d+$/.test(d)) fail(`${file}: shape entry '${d}' is not a non-negative integer`);
    return Number(d);
  });
  const ok = (shape.length === 3 && shape[2] === 3) || (shape.length === 4 && shape[0] === 1 && shape[3] === 3);
  if (!ok) fail(`${file}: shape [${shape}] is not [H, W, 3] or [1, H, W, 3]`);
  const [h, w] = shape.length === 3 ? shape : shape.slice(1);
  if (h < 1 || w < 1) fail(`${file}: empty image [${shape}]`);
  const count = h * w * 3;
  const itemBytes = dtype === 'uint8' ? 1 : 4;
  const dataBytes = buf.subarray(dataStart);
  if (dataBytes.length !== count * itemBytes) fail(`${file}: shape [${shape}] ${dtype} needs ${count * itemBytes} data bytes, the file has ${dataBytes.length}`);
  const data = new Float32Array(count); // the tensor human gets: float32, 0..255
  if (dtype === 'uint8') {
    for (let i = 0; i < count; i++) data[i] = dataBytes[i];
  } else {
    const copy = new ArrayBuffer(dataBytes.length); // aligned copy
    new Uint8Array(copy).set(dataBytes);
    data.set(new Float32Array(copy));
    for (let i = 0; i < count; i++) if (!Number.isFinite(data[i])) fail(`${file}: element ${i} is ${data[i]}`);
  }
  return { dtype, shape, height: h, width: w, data };
}

function writeNpyU8(file, rgb, h, w) {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${h}, ${w}, 3), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(pre);
  pre.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength)]));
}

// ---- decode (self-test only: Shikaku writes the .npy from its own decoder for parity runs) ----

function decode(inFile, outFile) {
  let jpeg;
  try { jpeg = require('jpeg-js'); } catch (e) { fail(`jpeg-js is not installed: run \`npm install\` in ${__dirname}`); }
  const img = jpeg.decode(fs.readFileSync(inFile), { useTArray: true, formatAsRGBA: false, maxResolutionInMP: 200, maxMemoryUsageInMB: 2048 });
  if (img.data.length !== img.width * img.height * 3) fail(`${inFile}: jpeg-js returned ${img.data.length} bytes for ${img.width}x${img.height} RGB`);
  writeNpyU8(outFile, img.data, img.height, img.width);
  process.stderr.write(`wrote ${outFile}: uint8 [${img.height}, ${img.width}, 3] decoded by jpeg-js ${packageVersion('jpeg-js')}\n`);
}

// ---- models: graph-model JSON + weight shards, read from disk into an in-memory IOHandler ----

const ELEMENT_BYTES = { float32: 4, int32: 4, bool: 1, float16: 2, uint8: 1, uint16: 2 };

function weightBytes(spec, file) {
  const dtype = spec.quantization ? spec.quantization.dtype : spec.dtype;
  const size = ELEMENT_BYTES[dtype];
  if (!size) fail(`${file}: weight '${spec.name}' has dtype '${dtype}', which this runner cannot size`);
  return (spec.shape || []).reduce((a, b) => a * b, 1) * size;
}

const loadedFiles = []; // every model JSON the router served, in load order

function fileHandler(url) {
  const jsonFile = fileURLToPath(url);
  return {
    load: async () => {
      const dir = path.dirname(jsonFile);
      const json = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
      if (json.format !== 'graph-model') fail(`${jsonFile}: format is '${json.format}', expected 'graph-model'`);
      const specs = [];
      const shards = [];
      for (const group of json.weightsManifest || []) {
        for (const p of group.paths) {
          if (path.basename(p) !== p || p === '.' || p === '..') fail(`${jsonFile}: shard path '${p}' leaves the model folder`);
          shards.push(fs.readFileSync(path.join(dir, p)));
        }
        specs.push(...group.weights);
      }
      const total = shards.reduce((a, s) => a + s.length, 0);
      const expected = specs.reduce((a, s) => a + weightBytes(s, jsonFile), 0);
      if (total !== expected) fail(`${jsonFile}: the manifest's weights need ${expected} bytes, its shards hold ${total}`);
      const weightData = new ArrayBuffer(total);
      let at = 0;
      for (const s of shards) { new Uint8Array(weightData, at, s.length).set(s); at += s.length; }
      loadedFiles.push(path.basename(jsonFile));
      return {
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
    },
  };
}

// ---- human ----

function makeConfig(opts) {
  return {
    backend: 'wasm',
    wasmPath: `${path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist')}${path.sep}`, // local folder, read with fs
    wasmPlatformFetch: false,
    modelBasePath: `${pathToFileURL(path.join(packageDir('@vladmandic/human'), 'models')).href}/`,
    cacheModels: false,
    validateModels: true,
    debug: false,
    async: false, // sequential, so that result.performance keeps the per-stage times (async deletes them)
    warmup: 'none',
    cacheSensitivity: 0, // no frame-change caching: every detect call runs the detector afresh
    skipAllowed: false,
    deallocate: false,
    softwareKernels: false,
    filter: { enabled: false, equalization: false, width: 0, height: 0, flip: false, return: false, autoBrightness: false },
    gesture: { enabled: false },
    face: {
      enabled: true,
      detector: {
        modelPath: 'blazeface.json', rotation: false, maxDetected: 10, skipFrames: 0, skipTime: 0,
        minConfidence: 0.2, minSize: 0, iouThreshold: 0.1, scale: 1.4, mask: false, return: false, square: false,
      },
      mesh: { enabled: true, modelPath: 'facemesh.json', keepInvalid: false },
      attention: { enabled: false },
      iris: { enabled: opts.iris, scale: 2.3, modelPath: 'iris.json' },
      emotion: { enabled: false },
      description: { enabled: false },
      gear: { enabled: false },
      antispoof: { enabled: opts.liveness, skipFrames: 0, skipTime: 0, modelPath: 'antispoof.json' },
      liveness: { enabled: opts.liveness, skipFrames: 0, skipTime: 0, modelPath: 'liveness.json' },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    segmentation: { enabled: false },
  };
}

async function setup(opts) {
  checkPins();
  globalThis.fetch = async (url) => { throw new Error(`human_pipeline.js fetches nothing; refused ${url}`); };
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  // by file path: human's "exports" map spells this entry without the leading "./", which Node rejects
  const H = require(path.join(packageDir('@vladmandic/human'), 'dist', 'human.node-wasm.js'));
  if (typeof H.Human !== 'function') fail('@vladmandic/human did not export Human');
  const userConfig = makeConfig(opts);
  const human = new H.Human(userConfig); // only stores the config; backend and models come below
  const { tf } = human; // tfjs-core + tfjs-converter + tfjs-backend-wasm as human's dist requires them
  if (require('@tensorflow/tfjs-core').engine() !== tf.engine()) fail('human and this script see different @tensorflow/tfjs-core instances');
  // human's loader does new tf.GraphModel(url).findIOHandler(): this router answers its file:// URLs.
  tf.io.registerLoadRouter((url) => (typeof url === 'string' && url.startsWith('file://') ? fileHandler(url) : null));
  // Takes effect only with the threaded build, which TF.js 4.22 never picks in Node
  // (its WASM_HAS_MULTITHREAD_SUPPORT flag is false whenever IS_NODE); the actual count is reported.
  wasm.setThreadsCount(WASM_THREADS);
  await human.init();
  if (tf.getBackend() !== 'wasm') fail(`asked for backend wasm, TF.js runs ${tf.getBackend()}`);
  await human.load();
  const want = ['blazeface.json', 'facemesh.json', ...(opts.iris ? ['iris.json'] : []), ...(opts.liveness ? ['antispoof.json', 'liveness.json'] : [])];
  const missing = want.filter((m) => !loadedFiles.includes(m));
  if (missing.length) fail(`models not loaded: ${missing.join(' ')} (loaded: ${loadedFiles.join(' ') || 'none'})`);
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const backend = {
    name: tf.getBackend(),
    simd,
    multithread,
    threads_requested: WASM_THREADS,
    threads: wasm.getThreadsCount(),
    binary: simd && multithread ? 'tfjs-backend-wasm-threaded-simd.wasm' : simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm',
  };
  const versions = {
    '@vladmandic/human': human.version,
    '@tensorflow/tfjs-core': tf.version_core,
    '@tensorflow/tfjs-converter': tf.version_converter,
    '@tensorflow/tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm'),
    human_bundled_tfjs: tf.version,
    node: process.version,
  };
  return { tf, human, userConfig, backend, versions, models: loadedFiles.slice() };
}

function parseArgs(args) {
  const opts = { iris: false, liveness: false };
  const rest = [];
  for (const a of args) {
    if (a === '--iris') opts.iris = true;
    else if (a === '--liveness') opts.liveness = true;
    else if (a.startsWith('--')) fail(`unknown option ${a}`);
    else rest.push(a);
  }
  return { opts, rest };
}

function inputTensor(tf, npy) {
  return tf.tensor4d(npy.data, [1, npy.height, npy.width, 3], 'float32');
}

// ---- run ----

const raw = new Map();
function rawJson(text) {
  const key = `@@raw${raw.size}@@`;
  raw.set(key, text);
  return key;
}
function stringify(obj) {
  return JSON.stringify(obj, null, 1).replace(/"(@@raw\d+@@)"/g, (_, k) => raw.get(k));
}
const num = (v) => (Number.isFinite(v) ? (Object.is(v, -0) ? '-0' : JSON.stringify(v)) : JSON.stringify(String(v)));
const points = (pts) => rawJson(`[\n${pts.map((p) => `  [${p.map(num).join(', ')}]`).join(',\n')}\n ]`);
const flat = (arr) => rawJson(`[${arr.map(num).join(', ')}]`);

function describeFace(f, opts) {
  const out = {
    id: f.id,
    score: f.score,
    boxScore: f.boxScore,
    faceScore: f.faceScore,
    box: flat(f.box),
    boxRaw: flat(f.boxRaw),
    size: f.size,
    mesh_points: f.mesh.length,
    mesh: points(f.mesh),
    meshRaw: points(f.meshRaw),
    rotation: f.rotation ? {
      angle: { roll: f.rotation.angle.roll, yaw: f.rotation.angle.yaw, pitch: f.rotation.angle.pitch },
      matrix: flat(f.rotation.matrix),
      gaze: { bearing: f.rotation.gaze.bearing, strength: f.rotation.gaze.strength },
    } : null,
  };
  if (opts.iris) out.distance = f.distance === undefined ? null : f.distance;
  if (opts.liveness) { out.real = f.real === undefined ? null : f.real; out.live = f.live === undefined ? null : f.live; }
  return out;
}

async function run(npyFile, outFile, opts) {
  const npy = readNpy(npyFile);
  const s = await setup(opts);
  const x = inputTensor(s.tf, npy);
  const result = await s.human.detect(x);
  if (result.error) fail(`human.detect: ${result.error}`);
  const out = {
    tool: 'bench/reference/human-pipeline/human_pipeline.js run',
    versions: s.versions,
    backend: s.backend,
    models: s.models,
    input: { file: path.basename(npyFile), npy_dtype: npy.dtype, npy_shape: npy.shape, tensor_shape: x.shape, tensor_dtype: x.dtype },
    human_processed_shape: s.human.process && s.human.process.tensor ? s.human.process.tensor.shape : null,
    options: opts,
    user_config: s.userConfig,
    effective_config: JSON.parse(JSON.stringify(s.human.config)),
    notes: 'mesh is human\'s face.mesh (pixel x, y and z, each Math.trunc-ed by human); meshRaw is mesh / [W, H, 192]; box is integer pixels [x, y, w, h], boxRaw is box / [W, H, W, H]; score/boxScore/faceScore are rounded by human to 2 decimals; angles in radians',
    performance_ms: { ...result.performance },
    face_count: result.face.length,
    faces: result.face.map((f) => describeFace(f, opts)),
  };
  x.dispose();
  fs.writeFileSync(outFile, `${stringify(out)}\n`);
  const rot = result.face.map((f, i) => `face ${i} score ${f.score} points ${f.mesh.length} roll/yaw/pitch ${f.rotation ? [f.rotation.angle.roll, f.rotation.angle.yaw, f.rotation.angle.pitch].map((v) => v.toFixed(4)).join('/') : '-'}`);
  process.stderr.write(`wrote ${outFile}: ${result.face.length} faces on ${s.backend.name} (simd ${s.backend.simd}, threads ${s.backend.threads})\n${rot.join('\n')}\n`);
}

// ---- bench ----

async function bench(npyFile, runs, opts) {
  if (!Number.isInteger(runs) || runs < 1) fail(`runs must be a positive integer, got ${runs}`);
  const npy = readNpy(npyFile);
  const s = await setup(opts);
  const x = inputTensor(s.tf, npy);
  let faces = -1;
  let firstKey = null;
  const once = async () => {
    const t0 = process.hrtime.bigint();
    const r = await s.human.detect(x);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.error) fail(`human.detect: ${r.error}`);
    if (faces >= 0 && r.face.length !== faces) fail(`face count changed between calls: ${faces} then ${r.face.length}`);
    faces = r.face.length;
    const key = JSON.stringify(r.face.map((f) => [f.boxScore, f.faceScore, f.box, f.mesh]));
    if (firstKey === null) firstKey = key;
    else if (key !== firstKey) fail('human.detect gave a different result on the same tensor: something is cached between calls');
    return { ms, perf: { ...r.performance } };
  };
  const warm = process.hrtime.bigint();
  let warmups = 0;
  for (; warmups < WARMUP_RUNS || process.hrtime.bigint() - warm < WARMUP_NS; warmups++) await once();
  const tensorsBefore = s.tf.memory().numTensors;
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  const tensorsAfter = s.tf.memory().numTensors;
  const sorted = times.map((t) => t.ms).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const best = times.reduce((a, b) => (b.ms < a.ms ? b : a));
  const stages = opts.iris || opts.liveness ? `mesh${opts.iris ? '+iris' : ''}${opts.liveness ? '+liveness' : ''}` : 'mesh';
  console.log(`# human ${s.versions['@vladmandic/human']} tfjs ${s.versions['@tensorflow/tfjs-core']} backend ${s.backend.name} simd ${s.backend.simd} threads ${s.backend.threads} node ${s.versions.node}`);
  console.log(`# input ${path.basename(npyFile)} [1, ${npy.height}, ${npy.width}, 3] stages blazeface+${stages} faces ${faces} warmup ${warmups} runs ${runs}`);
  console.log(`pipeline human.detect ${stages} min_ms ${sorted[0].toFixed(3)} median_ms ${median.toFixed(3)} runs ${runs}`);
  console.log(`performance_best_run_ms ${JSON.stringify(best.perf)}`);
  if (tensorsAfter !== tensorsBefore) console.log(`# warning: ${tensorsAfter - tensorsBefore} tensors leaked over ${runs} runs`);
  x.dispose();
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  const usage = 'usage:\n  node human_pipeline.js run    <pixels.npy> <out.json> [--iris] [--liveness]\n'
    + '  node human_pipeline.js bench  <pixels.npy> [runs] [--iris] [--liveness]\n  node human_pipeline.js decode <in.jpg> <out.npy>';
  const { opts, rest } = parseArgs(args);
  if (mode === 'run' && rest.length === 2) await run(rest[0], rest[1], opts);
  else if (mode === 'bench' && rest.length >= 1 && rest.length <= 2) await bench(rest[0], Number(rest[1] || DEFAULT_RUNS), opts);
  else if (mode === 'decode' && rest.length === 2 && !opts.iris && !opts.liveness) decode(rest[0], rest[1]);
  else { console.error(usage); process.exitCode = 2; }
}

main().catch((e) => {
  console.error(e && e.clean ? `error: ${e.message}` : e);
  process.exit(1);
});
