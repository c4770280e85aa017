// Shikaku's reference runner for face-api.js (our own code; face-api.js is MIT).
//
//   node faceapi_reference.js golden <pixel-dir> <model-dir> <out.json> [wasm|cpu]
//   node faceapi_reference.js bench  <pixel-dir> <model-dir> [wasm|cpu] [runs]
//
// <pixel-dir> holds sampleN.rgb (raw RGB bytes) + sampleN.json ({width, height}) written by
// `dotnet run --project bench/Shikaku.Bench -c Release -- face-pixels <pixel-dir>`: the exact pixels
// Shikaku decoded, so that JPEG decoders cannot explain a difference; what is left is the networks'.
'use strict';

const fs = require('fs');
const path = require('path');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const tf = faceapi.tf;

function loadPixels(dir, stem) {
  const { width, height } = JSON.parse(fs.readFileSync(path.join(dir, `${stem}.json`), 'utf8'));
  const bytes = fs.readFileSync(path.join(dir, `${stem}.rgb`));
  if (bytes.length !== width * height * 3) throw new Error(`${stem}.rgb has ${bytes.length} bytes, expected ${width * height * 3}`);
  return tf.tensor3d(Int32Array.from(bytes), [height, width, 3], 'int32');
}

async function setup(modelDir, backend) {
  await tf.setBackend(backend);
  await tf.ready();
  const nets = faceapi.nets;
  for (const net of [nets.ssdMobilenetv1, nets.tinyFaceDetector, nets.faceLandmark68Net, nets.faceLandmark68TinyNet,
    nets.faceRecognitionNet, nets.faceExpressionNet, nets.ageGenderNet]) {
    await net.loadFromDisk(modelDir);
  }
}

const rect = (b) => ({ x: b.x, y: b.y, width: b.width, height: b.height });
const points = (lm) => lm.positions.map((p) => [p.x, p.y]);
const ssdOptions = () => new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 });
const tinyOptions = () => new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 });

async function analyze(image) {
  return faceapi.detectAllFaces(image, ssdOptions()).withFaceLandmarks().withFaceExpressions().withAgeAndGender().withFaceDescriptors();
}

async function golden(pixDir, modelDir, outFile, backend) {
  await setup(modelDir, backend);
  const stems = fs.readdirSync(pixDir).filter((f) => f.endsWith('.rgb')).map((f) => f.slice(0, -4)).sort();
  const out = { reference: `@vladmandic/face-api 1.7.15, @tensorflow/tfjs 4.22.0, backend ${backend}`, images: {}, networks: {} };
  for (const stem of stems) {
    const image = loadPixels(pixDir, stem);
    const ssd = await faceapi.detectAllFaces(image, ssdOptions());
    const tiny = await faceapi.detectAllFaces(image, tinyOptions());
    const full = await analyze(image);
    const tinyLandmarks = await faceapi.detectAllFaces(image, ssdOptions()).withFaceLandmarks(true);
    out.images[stem] = {
      width: image.shape[1],
      height: image.shape[0],
      ssd: ssd.map((d) => ({ score: d.score, box: rect(d.box) })),
      tiny: tiny.map((d) => ({ score: d.score, box: rect(d.box) })),
      faces: full.map((f) => ({
        score: f.detection.score,
        box: rect(f.detection.box),
        landmarks: points(f.landmarks),
        alignedRect: rect(f.alignedRect.box),
        descriptorRect: rect(f.landmarks.align(null, { useDlibAlignment: true })),
        expressions: Object.fromEntries(Object.entries(f.expressions)),
        age: f.age,
        gender: f.gender,
        genderProbability: f.genderProbability,
        descriptor: Array.from(f.descriptor),
      })),
      tinyLandmarks: tinyLandmarks.map((f) => points(f.landmarks)),
    };
    if (stem === 'sample1') out.networks = await networks(image, full);
    image.dispose();
    process.stderr.write(`${stem}: ${ssd.length} ssd, ${tiny.length} tiny, ${full.length} analysed\n`);
  }
  fs.writeFileSync(outFile, JSON.stringify(out));
}

// Each network alone on fixed inputs (integer crops of sample1), so a mismatch points at one network.
async function networks(image, faces) {
  const nets = faceapi.nets;
  const result = {};
  const ssd = nets.ssdMobilenetv1.forwardInput(await faceapi.toNetInput(image));
  const scores = Array.from(ssd.scores[0].dataSync());
  const boxes = ssd.boxes[0].arraySync();
  const top = scores.map((s, i) => [s, i]).sort((a, b) => b[0] - a[0]).slice(0, 50);
  result.ssd = top.map(([s, i]) => ({ index: i, score: s, box: boxes[i] }));
  const tiny = await nets.tinyFaceDetector.forward(image, 416);
  result.tiny = { shape: tiny.shape, values: Array.from(tiny.dataSync()) };
  result.crops = [];
  for (const f of faces.slice(0, 3)) {
    const b = f.detection.box;
    const crop = { x: Math.floor(b.x), y: Math.floor(b.y), width: Math.floor(b.width), height: Math.floor(b.height) };
    const t = tf.slice3d(image, [crop.y, crop.x, 0], [crop.height, crop.width, 3]);
    const landmarks = await nets.faceLandmark68Net.forward(t);
    const landmarksTiny = await nets.faceLandmark68TinyNet.forward(t);
    const descriptor = await nets.faceRecognitionNet.forward(t);
    const expressions = await nets.faceExpressionNet.forward(t);
    const ag = await nets.ageGenderNet.forward(t);
    result.crops.push({
      crop,
      landmarks: Array.from(landmarks.dataSync()),
      landmarksTiny: Array.from(landmarksTiny.dataSync()),
      descriptor: Array.from(descriptor.dataSync()),
      expressions: Array.from(expressions.dataSync()),
      age: ag.age.dataSync()[0],
      gender: Array.from(ag.gender.dataSync()),
    });
    tf.dispose([t, landmarks, landmarksTiny, descriptor, expressions, ag.age, ag.gender]);
  }
  return result;
}

async function bench(pixDir, modelDir, backend, runs) {
  await setup(modelDir, backend);
  const image = loadPixels(pixDir, 'sample1');
  const time = async (name, fn) => {
    // Warm-up as on Shikaku's side: 3 runs when timing several (the first compiles the wasm kernels).
    for (let i = 0; i < (runs > 1 ? 3 : 1); i++) await fn();
    const times = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      await fn();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const best = Math.min(...times);
    console.log(JSON.stringify({ suite: 'faces', case: name, impl: `faceapi-${backend}`, value: best, unit: 'ms' }));
  };
  await time('detect-ssd', () => faceapi.detectAllFaces(image, ssdOptions()));
  await time('detect-tiny', () => faceapi.detectAllFaces(image, tinyOptions()));
  await time('analyze', () => analyze(image));
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'golden') await golden(args[0], args[1], args[2], args[3] || 'wasm');
  else if (mode === 'bench') await bench(args[0], args[1], args[2] || 'wasm', Number(args[3] || 3));
  else throw new Error('usage: faceapi_reference.js golden|bench ...');
}

main().catch((e) => { console.error(e); process.exit(1); });
