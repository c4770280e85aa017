"""Turns bench/run.sh's JSON lines into docs/BENCHMARKS.md: machine, command, ratios."""
import collections
import datetime
import json
import os
import platform
import subprocess
import sys


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception:  # noqa: BLE001 - a missing tool only leaves a blank in the report
        return ""


results_path, threads = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(results_path) if line.startswith("{")]
data = collections.defaultdict(dict)
for r in rows:
    # A case measured more than once (run.sh alternates Shikaku and the reference to even out the
    # machine's drift) keeps its best value: highest GFLOPS, lowest time.
    d = data[(r["suite"], r["case"])]
    better = max if r["unit"] == "GFLOPS" else min
    d[r["impl"]] = better(d[r["impl"]], r["value"]) if r["impl"] in d and r["unit"] in ("GFLOPS", "s", "ms") else r["value"]
cases = collections.OrderedDict()
for r in rows:
    cases.setdefault(r["suite"], [])
    if r["case"] not in cases[r["suite"]]:
        cases[r["suite"]].append(r["case"])

cpu = sh("lscpu | sed -n 's/^Model name: *//p'")
versions = sh("/usr/bin/python3 -c 'import numpy, torch, cv2; print(\"numpy\", numpy.__version__, \"| torch\", torch.__version__, \"| opencv\", cv2.__version__)'")
openblas = sh("dpkg-query -W -f='${Version}' libopenblas0-pthread")
onednn = sh("dpkg-query -W -f='${Version}' libdnnl-dev")
dotnet = sh("dotnet --version")
NAN = float("nan")
peak = data[("peak", "fma")].get("shikaku", NAN)

out = []
w = out.append


def table(suite, columns, row):
    """A markdown table with one row per case of the suite; row(case, values) gives the cells."""
    w("| " + " | ".join(columns) + " |")
    w("|" + "---|" * len(columns))
    for case in cases.get(suite, []):
        w("| " + " | ".join(row(case, data[(suite, case)])) + " |")


w("# Benchmarks\n")
w("Shikaku against the reference tools, measured side by side in one run on the same machine with the")
w("same number of threads. Speeds are best-of-N after warm-up. **Ratios are what to read**: absolute")
w("numbers depend on the machine; ratios were all taken in the same run.\n")
w("This is a shared 2-core virtual machine: the same measurement moves by 10-30 % between runs (other")
w("tenants, turbo), for the references as much as for Shikaku; each number is the best of many repetitions")
w("within the run, and both sides of a ratio come from the same few minutes.\n")
w("Reproduce (needs Debian's python3-numpy, python3-torch, python3-opencv, libopenblas0-pthread, libdnnl-dev, gcc):\n")
w("```\nbench/run.sh            # THREADS=2 by default; SUITES=\"faces\" bench/run.sh reruns one suite\n```\n")
w(f"- Run: {datetime.date.today().isoformat()}, {threads} thread(s)")
w(f"- CPU: {cpu} ({os.cpu_count()} logical cores), {platform.system()} {platform.release()}")
w(f"- .NET SDK {dotnet}; references: {versions} | OpenBLAS {openblas} (Debian libopenblas0-pthread) | oneDNN {onednn} (Debian libdnnl-dev)")
w(f"- Measured FMA peak (bench/Shikaku.Bench/FmaPeak.cs, {threads} threads): **{peak:.0f} GFLOPS**\n")

w("## SGEMM (square, float32)\n")
w("OpenBLAS 0.3.21 does not recognise this CPU and falls back to a generic SSE3 kernel ('autodetect');")
w("the fair reference is its best AVX-512 kernel, forced with `OPENBLAS_CORETYPE` (the better of SkylakeX")
w("and Cooperlake is used for the ratio). Shikaku and OpenBLAS are measured alternately, twice each, and")
w("the best of each is kept, so that the machine's drift between minutes falls on both sides. numpy")
w("allocates large arrays on transparent huge pages (madvise); Shikaku's benchmark matrices, its large")
w("tensors and its packing buffers are advised the same way.\n")
w("oneDNN's `dnnl_sgemm` (bench/reference/dnnl_sgemm.c, built by the script) is the second reference,")
w("measured in the same alternation.\n")


def sgemm_row(case, d):
    ours, dnnl = d.get("shikaku", NAN), d.get("onednn", NAN)
    best = max(d.get("numpy-openblas-skylakex", 0), d.get("numpy-openblas-cooperlake", 0)) or NAN
    return [case, f"{ours:.0f}", f"{100 * ours / peak:.0f} %", f"{best:.0f}", f"**{ours / best:.2f}x**",
            f"{dnnl:.0f}", f"**{ours / dnnl:.2f}x**", f"{d.get('numpy-openblas-autodetect', NAN):.0f}"]


table("sgemm", ["n", "Shikaku GFLOPS", "% of FMA peak", "OpenBLAS best GFLOPS", "**Shikaku / OpenBLAS**",
                "oneDNN GFLOPS", "**Shikaku / oneDNN**", "OpenBLAS autodetect GFLOPS"], sgemm_row)

w("\n## Conv2D forward (+ bias + ReLU)\n")
w("PyTorch is timed in NCHW and channels_last; the faster is used. Higher ratio = Shikaku faster.\n")
table("conv", ["layer", "Shikaku GFLOPS", "PyTorch GFLOPS", "**Shikaku speed / PyTorch speed**"],
      lambda case, d: [case, f"{d.get('shikaku', NAN):.1f}", f"{d.get('pytorch', NAN):.1f}",
                       f"**{d.get('shikaku', NAN) / d.get('pytorch', NAN):.2f}x**"])

w("\n## Image filters on a real 1920x1280 RGB photo (float32, reflect-101 border)\n")
w("Time ratio: below 1 = Shikaku faster. OpenCV's 8-bit path is shown for information (different arithmetic).\n")
table("filters", ["filter", "**Shikaku time / OpenCV time**", "Shikaku ms", "OpenCV float32 ms", "OpenCV uint8 ms"],
      lambda case, d: [case, f"**{d.get('shikaku', NAN) / d.get('opencv', NAN):.2f}x**", f"{d.get('shikaku', NAN):.2f}",
                       f"{d.get('opencv', NAN):.2f}", f"{d.get('opencv-uint8', NAN):.2f}"])

w("\n## Training the lecture CNN (MNIST, Adam, batch 128)\n")
w("Accuracy over 10 epochs (`./shikaku train --dataset mnist --model lecture-cnn --epochs 10 --batch-size 128")
w("--lr-schedule step:4:0.3`): **99.23 %** on the 10,000 test images (best epoch; 99.20 % after the last); curves and confusion matrix in")
w("[docs/mnist/](mnist/). The same command on Fashion-MNIST: **92.44 %** ([docs/fashion-mnist/](fashion-mnist/)).")
w("Peak working set of a 10-epoch training run: 460 MB (`run.json`, `peak_working_set_mb`).\n")
w("One epoch over the 60,000 training images, and predicting the 10,000 test images (after a warm-up),")
w("PyTorch running the same network, optimizer, batch and thread count. Time ratio: below 1 = Shikaku faster.\n")
table("train", ["measurement", "**Shikaku / PyTorch**", "Shikaku", "PyTorch"],
      lambda case, d: [case, f"**{d.get('shikaku', NAN) / d.get('pytorch', NAN):.2f}x**" if "accuracy" not in case else "-",
                       f"{d.get('shikaku', NAN):.4g}", f"{d.get('pytorch', NAN):.4g}"])

w("\n## Inference: ONNX Runtime running the same trained network\n")
w("The model trained above is exported (bench/reference/export_onnx.py, through PyTorch, NHWC input) and")
w("run by ONNX Runtime (NuGet Microsoft.ML.OnnxRuntime, all graph optimisations, same threads) on the 10,000")
w("test images in batches of 1000. The two are timed alternately (best of 6 rounds after 3 warm-up rounds each);")
w("ORT's threads do not spin-wait after a run (`session.intra_op.allow_spinning = 0`: on 2 cores the spinning took")
w("the CPU from the next run; ORT itself measured no slower without it). Time ratio: below 1 = Shikaku faster.\n")
onnx = {c: data[("onnx", c)] for c in cases.get("onnx", [])}
for case, d in onnx.items():
    if "seconds" in case and "onnxruntime" not in d:
        # Shikaku alone (e.g. Predict(dataset), which also turns the dataset's bytes into floats).
        w(f"- {case}: Shikaku {d.get('shikaku', NAN):.3f} s")
for case, d in onnx.items():
    if "seconds" in case and "onnxruntime" in d:
        ours, ref = d.get("shikaku", NAN), d.get("onnxruntime", NAN)
        w(f"| {case} | **Shikaku / ONNX Runtime: {ours / ref:.2f}x** | Shikaku {ours:.3f} s | ONNX Runtime {ref:.3f} s |")
        w("|---|---|---|---|")
for case, d in onnx.items():
    if "seconds" not in case:
        w(f"- {case}: {d.get('shikaku', NAN):.6g}")
w("")

if cases.get("faces"):
    w("## Faces: face-api.js's networks, Shikaku against face-api.js in Node\n")
    w("Per image on sample1.jpg (1920x1280, 3 faces): best of 10 runs after 3 warm-up runs (both sides; the cpu backend: 1 run after 1). face-api.js 1.7.15")
    w("runs in Node 20 with TF.js 4.22: the wasm backend (XNNPACK, single-threaded in Node) and the pure-JS")
    w("cpu backend; Shikaku uses its thread count above. Both see the same decoded pixels and give the same")
    w("answers (tests/golden, checked by the parity tests). Target: Shikaku at most 0.5x the wasm backend's time.\n")
    names = {"detect-ssd": "detect (SSD MobileNet V1)", "detect-tiny": "detect (tiny detector, 416)",
             "analyze": "analyze: SSD + landmarks + expression + age/gender + descriptor"}
    table("faces", ["task", "**Shikaku / face-api wasm**", "Shikaku ms", "face-api wasm ms", "face-api cpu ms"],
          lambda case, d: [names.get(case, case), f"**{d.get('shikaku', NAN) / d.get('faceapi-wasm', NAN):.2f}x**",
                           f"{d.get('shikaku', NAN):.1f}", f"{d.get('faceapi-wasm', NAN):.1f}", f"{d.get('faceapi-cpu', NAN):.0f}"])
    w("")
if cases.get("graph"):
    w("## TF.js graph models (human-models 3.0.4): Shikaku's graph runtime against TensorFlow.js\n")
    w("One forward pass of each model on the same golden input tensor (tests/Shikaku.Vision.Tests/HumanGoldenInputs.cs: real photos),")
    w("best of 30 (Shikaku) and of 20 (TF.js 4.22, wasm backend with SIMD; TF.js runs it single-threaded in Node), after warm-up;")
    w("both sides give the same outputs (the parity tests: within 1e-5 of each output's scale). Target: Shikaku at most 0.25x.\n")
    models = [c for c in cases["graph"] if not c.startswith("detect")]
    table_cases = cases["graph"]
    cases["graph"] = models
    table("graph", ["model", "**Shikaku / TF.js wasm**", "Shikaku ms", "TF.js wasm ms"],
          lambda case, d: [case, f"**{d.get('shikaku', NAN) / d.get('tfjs-wasm', NAN):.2f}x**", f"{d.get('shikaku', NAN):.2f}", f"{d.get('tfjs-wasm', NAN):.2f}"])
    cases["graph"] = table_cases
    w("")
    detects = [c for c in table_cases if c.startswith("detect") and "peak" not in c]
    if detects:
        w("The whole `detect` of sample1.jpg (1920x1280; decoding excluded: letterbox, inference, decoding and NMS), best of 15,")
        w("against TF.js's forward pass of the same model alone (what human.js's detect costs at least):\n")
        w("| detect | Shikaku ms | **Shikaku / TF.js model alone** | peak working set of the bench process (all 13 models ran in it first) |")
        w("|---|---|---|---|")
        for c in detects:
            model = c.split()[1]
            ours, ref = data[("graph", c)].get("shikaku", NAN), data[("graph", model)].get("tfjs-wasm", NAN)
            mb = data[("graph", c + " peak memory")].get("shikaku", NAN)
            w(f"| {c} | {ours:.1f} | **{ours / ref:.2f}x** | {mb:.0f} MB |")
        w("")
# Measured by bench/memory.sh, not by this run: kept as written.
memory = os.path.join(os.path.dirname(os.path.abspath(__file__)), "memory.md")
if os.path.exists(memory):
    w(open(memory).read().rstrip() + "\n")
print("\n".join(out))
