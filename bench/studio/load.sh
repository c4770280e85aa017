#!/usr/bin/env bash
# Load on the studio's face analysis: wrk (Debian) with 4 connections for 60 s on loopback against
# POST /api/faces/analyze with a real photo (face-api.js's sample1.jpg, 1920x1280, 3 faces).
# Prints wrk's report and the server's resident memory after the warm-up and at the end.
#   bench/studio/load.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-60}"
connections="${2:-4}"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
dotnet build "$root/src/Shikaku.Cli/Shikaku.Cli.csproj" -c Release -nologo -v q >/dev/null
photo="$(find "${SHIKAKU_CACHE:-$HOME/.cache/shikaku}" -path '*face-api*demo/sample1.jpg' | head -1)"
[ -n "$photo" ] || { echo "sample1.jpg not in the cache: run ./shikaku demo once" >&2; exit 1; }
port=18737
runs="$(mktemp -d)"
dotnet "$root/src/Shikaku.Cli/bin/Release/net10.0/shikaku.dll" studio --port "$port" --runs "$runs" > "$runs/studio.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$runs"' EXIT
for _ in $(seq 60); do grep -q "Shikaku Studio:" "$runs/studio.log" 2>/dev/null && break; sleep 0.5; done
url="http://127.0.0.1:$port/api/faces/analyze"
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
# The resident set swings by hundreds of MB with when the GC last ran, so one reading says little: sample it every
# second and compare the peaks of like periods (the warm-up's last 10 s, the run's first and last 20 s).
samples="$runs/rss.txt"
( start=$(date +%s); while kill -0 $server 2>/dev/null; do echo "$(( $(date +%s) - start )) $(rss)" >> "$samples"; sleep 1; done ) &
sampler=$!
trap 'kill $server $sampler 2>/dev/null; rm -rf "$runs"' EXIT
# Warm-up: the models load on the first request, the JIT tiers up, the pools fill.
PHOTO="$photo" wrk -t1 -c"$connections" -d15s -s "$root/bench/studio/post_image.lua" "$url" > /dev/null
PHOTO="$photo" wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$root/bench/studio/post_image.lua" "$url"
kill $sampler 2>/dev/null || true
peak() { awk -v from="$1" -v to="$2" '$1 >= from && $1 < to && $2 > m { m = $2 } END { print m + 0 }' "$samples"; }
warm=$(peak 5 15); first=$(peak 15 35); last=$(peak $((15 + seconds - 20)) $((15 + seconds + 1)))
echo "resident memory peaks: warm-up ${warm} kB, first 20 s ${first} kB, last 20 s ${last} kB ($(awk -v a="$warm" -v b="$last" 'BEGIN { printf "%+.1f %%", 100 * (b - a) / a }') from the warm-up)"
