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
peak = data[("peak", "fma")].get("shikaku", float("nan"))

out = []
w = out.append
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
w("| n | Shikaku GFLOPS | % of FMA peak | OpenBLAS best GFLOPS | **Shikaku / OpenBLAS** | oneDNN GFLOPS | **Shikaku / oneDNN** | OpenBLAS autodetect GFLOPS |")
w("|---|---|---|---|---|---|---|---|")
for case in cases.get("sgemm", []):
    d = data[("sgemm", case)]
    ours = d.get("shikaku", float("nan"))
    best = max(d.get("numpy-openblas-skylakex", 0), d.get("numpy-openblas-cooperlake", 0)) or float("nan")
    dnnl = d.get("onednn", float("nan"))
    w(f"| {case} | {ours:.0f} | {100 * ours / peak:.0f} % | {best:.0f} | **{ours / best:.2f}x** | {dnnl:.0f} | **{ours / dnnl:.2f}x** | {d.get('numpy-openblas-autodetect', float('nan')):.0f} |")

w("\n## Conv2D forward (+ bias + ReLU)\n")
w("PyTorch is timed in NCHW and channels_last; the faster is used. Higher ratio = Shikaku faster.\n")
w("| layer | Shikaku GFLOPS | PyTorch GFLOPS | **Shikaku speed / PyTorch speed** |")
w("|---|---|---|---|")
for case in cases.get("conv", []):
    d = data[("conv", case)]
    ours, ref = d.get("shikaku", float("nan")), d.get("pytorch", float("nan"))
    w(f"| {case} | {ours:.1f} | {ref:.1f} | **{ours / ref:.2f}x** |")

w("\n## Image filters on a real 1920x1280 RGB photo (float32, reflect-101 border)\n")
w("Time ratio: below 1 = Shikaku faster. OpenCV's 8-bit path is shown for information (different arithmetic).\n")
w("| filter | **Shikaku time / OpenCV time** | Shikaku ms | OpenCV float32 ms | OpenCV uint8 ms |")
w("|---|---|---|---|---|")
for case in cases.get("filters", []):
    d = data[("filters", case)]
    ours, ref = d.get("shikaku", float("nan")), d.get("opencv", float("nan"))
    w(f"| {case} | **{ours / ref:.2f}x** | {ours:.2f} | {ref:.2f} | {d.get('opencv-uint8', float('nan')):.2f} |")

w("\n## Training the lecture CNN (MNIST, Adam, batch 128)\n")
w("Accuracy over 10 epochs (`./shikaku train --dataset mnist --model lecture-cnn --epochs 10 --batch-size 128")
w("--lr-schedule step:4:0.3`): **99.23 %** on the 10,000 test images (best epoch; 99.20 % after the last); curves and confusion matrix in")
w("[docs/mnist/](mnist/). The same command on Fashion-MNIST: **92.44 %** ([docs/fashion-mnist/](fashion-mnist/)).")
w("Peak working set of a 10-epoch training run: 460 MB (`run.json`, `peak_working_set_mb`).\n")
w("One epoch over the 60,000 training images, and predicting the 10,000 test images (after a warm-up),")
w("PyTorch running the same network, optimizer, batch and thread count. Time ratio: below 1 = Shikaku faster.\n")
w("| measurement | **Shikaku / PyTorch** | Shikaku | PyTorch |")
w("|---|---|---|---|")
for case in cases.get("train", []):
    d = data[("train", case)]
    ours, ref = d.get("shikaku", float("nan")), d.get("pytorch", float("nan"))
    ratio = f"**{ours / ref:.2f}x**" if "accuracy" not in case else "-"
    w(f"| {case} | {ratio} | {ours:.4g} | {ref:.4g} |")

w("\n## Inference: ONNX Runtime running the same trained network\n")
w("The model trained above is exported (bench/reference/export_onnx.py, through PyTorch, NHWC input) and")
w("run by ONNX Runtime (NuGet Microsoft.ML.OnnxRuntime, all graph optimisations, same threads) on the 10,000")
w("test images in batches of 1000. The two are timed alternately (best of 6 rounds after 3 warm-up rounds each);")
w("ORT's threads do not spin-wait after a run (`session.intra_op.allow_spinning = 0`: on 2 cores the spinning took")
w("the CPU from the next run; ORT itself measured no slower without it). Time ratio: below 1 = Shikaku faster.\n")
onnx = {c: data[("onnx", c)] for c in cases.get("onnx", [])}
for case, d in onnx.items():
    if "seconds" in case:
        ours, ref = d.get("shikaku", float("nan")), d.get("onnxruntime", float("nan"))
        w(f"| {case} | **Shikaku / ONNX Runtime: {ours / ref:.2f}x** | Shikaku {ours:.3f} s | ONNX Runtime {ref:.3f} s |")
        w("|---|---|---|---|")
for case, d in onnx.items():
    if "seconds" not in case:
        w(f"- {case}: {d.get('shikaku', float('nan')):.6g}")
w("")

if cases.get("faces"):
    w("## Faces: face-api.js's networks, Shikaku against face-api.js in Node\n")
    w("Per image on sample1.jpg (1920x1280, 3 faces): best of 10 runs after 3 warm-up runs (both sides; the cpu backend: 1 run after 1). face-api.js 1.7.15")
    w("runs in Node 20 with TF.js 4.22: the wasm backend (XNNPACK, single-threaded in Node) and the pure-JS")
    w("cpu backend; Shikaku uses its thread count above. Both see the same decoded pixels and give the same")
    w("answers (tests/golden, checked by the parity tests). Target: Shikaku at most 0.5x the wasm backend's time.\n")
    w("| task | **Shikaku / face-api wasm** | Shikaku ms | face-api wasm ms | face-api cpu ms |")
    w("|---|---|---|---|---|")
    names = {"detect-ssd": "detect (SSD MobileNet V1)", "detect-tiny": "detect (tiny detector, 416)",
             "analyze": "analyze: SSD + landmarks + expression + age/gender + descriptor"}
    for case in cases["faces"]:
        d = data[("faces", case)]
        ours, ref = d.get("shikaku", float("nan")), d.get("faceapi-wasm", float("nan"))
        w(f"| {names.get(case, case)} | **{ours / ref:.2f}x** | {ours:.1f} | {ref:.1f} | {d.get('faceapi-cpu', float('nan')):.0f} |")
    w("")
# Measured by bench/memory.sh, not by this run: kept as written.
memory = os.path.join(os.path.dirname(os.path.abspath(__file__)), "memory.md")
if os.path.exists(memory):
    w(open(memory).read().rstrip() + "\n")
print("\n".join(out))
