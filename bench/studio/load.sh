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
# Warm-up: the models load on the first request, the JIT tiers up, the pools fill.
PHOTO="$photo" wrk -t1 -c"$connections" -d15s -s "$root/bench/studio/post_image.lua" "$url" > /dev/null
warm=$(rss)
PHOTO="$photo" wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$root/bench/studio/post_image.lua" "$url"
end=$(rss)
echo "resident memory: after warm-up ${warm} kB, at the end ${end} kB ($(awk -v a="$warm" -v b="$end" 'BEGIN { printf "%+.1f %%", 100 * (b - a) / a }'))"
