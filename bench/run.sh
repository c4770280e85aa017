#!/usr/bin/env bash
# Runs Shikaku's benchmarks and the reference tools side by side, on the same machine in one run,
# with the same thread count, and writes docs/BENCHMARKS.md.
#   bench/run.sh            all suites, 2 threads
#   THREADS=1 bench/run.sh  single-threaded
#   SUITES="faces" bench/run.sh   rerun some suites (peak sgemm conv filters train faces graph), keeping the others' last results
# Needs (Debian): python3-numpy python3-torch python3-opencv libopenblas0-pthread libdnnl-dev gcc; Node.js and npm for
# the photos, the face models and the face-api.js reference (bench/reference/faceapi, npm install on first use).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
threads="${THREADS:-2}"
py=/usr/bin/python3
out="$root/out/bench"
mkdir -p "$out"
results="$out/results.jsonl"
suites="${SUITES:-all}"
want() { [ "$suites" = all ] || [[ " $suites " == *" $1 "* ]]; }
if [ "$suites" = all ] || [ ! -f "$results" ]; then
  : > "$results"
else
  # Keep the last results of the suites not rerun ("onnx" goes with "train").
  keep="$(mktemp)"
  grep -v -E "\"suite\": ?\"($(echo "$suites" | sed 's/train/train|onnx/; s/ /|/g'))\"" "$results" > "$keep" || true
  mv "$keep" "$results"
fi

missing=()
for module in numpy torch cv2; do
  "$py" -c "import $module" 2>/dev/null || missing+=("$module")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "error: Debian's python3 lacks: ${missing[*]}." >&2
  echo "install them with: apt-get install -y python3-numpy python3-torch python3-opencv libopenblas0-pthread libdnnl-dev gcc" >&2
  exit 1
fi

echo "Building the benchmark (Release)..." >&2
dotnet build "$root/bench/Shikaku.Bench/Shikaku.Bench.csproj" -c Release -nologo -v q >/dev/null
bench="dotnet $root/bench/Shikaku.Bench/bin/Release/net10.0/Shikaku.Bench.dll"
export SHIKAKU_THREADS="$threads" OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"

photo="$($bench photo-path 2>/dev/null | tail -1)"
cd "$root/bench/reference"
run() { echo "+ $*" >&2; "$@" | tee -a "$results"; }

want peak && run $bench peak
# OpenBLAS 0.3.21 picks its kernel from the CPU model; on CPUs newer than it knows it falls back to
# a generic SSE3 kernel. Measure both what it picks and its best AVX-512 kernels forced by name,
# alternating with Shikaku twice so that drift of the machine's speed falls on both (report keeps the best).
# oneDNN (Debian libdnnl-dev) is the second SGEMM reference: a few lines of C around dnnl_sgemm.
if want sgemm; then
  if [ ! -f /usr/include/dnnl.h ]; then
    echo "error: the oneDNN reference needs Debian's libdnnl-dev: apt-get install -y libdnnl-dev" >&2
    exit 1
  fi
  dnnl="$out/dnnl_sgemm"
  cc -O2 -o "$dnnl" "$root/bench/reference/dnnl_sgemm.c" -ldnnl
  run "$py" numpy_sgemm.py numpy-openblas-autodetect
  for round in 1 2; do
    run $bench sgemm
    OPENBLAS_CORETYPE=SkylakeX run "$py" numpy_sgemm.py numpy-openblas-skylakex
    OPENBLAS_CORETYPE=Cooperlake run "$py" numpy_sgemm.py numpy-openblas-cooperlake
    run "$dnnl" onednn
  done
fi
if want conv; then
  run $bench conv
  run "$py" torch_conv.py "$threads"
fi
if want filters; then
  run $bench filters
  run "$py" opencv_filters.py "$photo" "$threads"
fi
if want train; then
  run $bench train "$out/model"
  mnist="$($bench mnist-path 2>/dev/null | tail -1)"
  run "$py" torch_train.py "$mnist" 1 "$threads"
  # ONNX Runtime runs the very network Shikaku just trained, exported through PyTorch.
  "$py" export_onnx.py "$out/model" "$out/lecture-cnn.onnx"
  run $bench onnx "$out/model" "$out/lecture-cnn.onnx"
fi
if want faces; then
  # face-api.js itself in Node (TF.js wasm backend, single-threaded as it runs in Node, and the pure-JS
  # cpu backend) on the exact pixels Shikaku decodes from sample1.jpg.
  (cd "$root/bench/reference/faceapi" && { [ -d node_modules ] || npm install --no-audit --no-fund --package-lock=false >&2; })
  models="$($bench face-pixels "$out/face-pixels" | tail -1)"
  run $bench faces
  (cd "$root/bench/reference/faceapi" && run node faceapi_reference.js bench "$out/face-pixels" "$models" wasm 10)
  (cd "$root/bench/reference/faceapi" && run node faceapi_reference.js bench "$out/face-pixels" "$models" cpu 1)
fi

if want graph; then
  # TF.js 4.22 itself (wasm backend, single-threaded in Node) on the same golden input tensors Shikaku feeds its graph runtime.
  (cd "$root/bench/reference/human" && { [ -d node_modules ] || npm install --no-audit --no-fund --package-lock=false >&2; })
  $bench human-inputs "$out/human-inputs" 2>/dev/null
  for round in 1 2; do
    run $bench graph
    (cd "$root/bench/reference/human" && node human_reference.js bench "$out/human-inputs" wasm 20 2>/dev/null) \
      | awk '$1 == "model" { printf "{\"suite\": \"graph\", \"case\": \"%s\", \"impl\": \"tfjs-wasm\", \"value\": %s, \"unit\": \"ms\"}\n", $2, $5 }' \
      | tee -a "$results"
  done
fi

if want mesh; then
  # faces mesh of sample1.jpg stage by stage, and human's own face pipeline (BlazeFace + FaceMesh, then with Iris;
  # TF.js wasm) on the same decoded pixels; both alternate twice. The section in docs/BENCHMARKS.md is written from these lines by hand.
  (cd "$root/bench/reference/human-pipeline" && { [ -d node_modules ] || npm install --no-audit --no-fund >&2; })
  for round in 1 2; do
    run $bench mesh "$out/sample1-pixels.npy" 20
    (cd "$root/bench/reference/human-pipeline" && node human_pipeline.js bench "$out/sample1-pixels.npy" 20 2>/dev/null | grep '^pipeline' >&2)
    (cd "$root/bench/reference/human-pipeline" && node human_pipeline.js bench "$out/sample1-pixels.npy" 20 --iris 2>/dev/null | grep '^pipeline' >&2)
  done
fi

cd "$root"
"$py" bench/report.py "$results" "$threads" > docs/BENCHMARKS.md
echo "Wrote docs/BENCHMARKS.md" >&2
