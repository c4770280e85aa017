#!/usr/bin/env bash
# Peak memory of `shikaku filter` on decompression bombs (10000 x 10000 pixels in a few hundred KB),
# measured by GNU time (max resident set). Prints the rows of docs/BENCHMARKS.md's "Memory on hostile images".
#   bench/memory.sh            the 10000 x 10000 bombs
#   bench/memory.sh 5000 4000  another size
# Needs: python3 (standard library only) and Debian's 'time' package (/usr/bin/time).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
w="${1:-10000}" h="${2:-10000}"
if [ ! -x /usr/bin/time ]; then
  echo "error: /usr/bin/time is missing; install it with: apt-get install -y time" >&2
  exit 1
fi
out="$root/out/memory"
mkdir -p "$out"
echo "Building the CLI (Release)..." >&2
dotnet build "$root/src/Shikaku.Cli/Shikaku.Cli.csproj" -c Release -nologo -v q >/dev/null
dll="$root/src/Shikaku.Cli/bin/Release/net10.0/shikaku.dll"
python3 "$root/bench/bombs.py" "$out" "$w" "$h"
pixels=$((w * h))
echo "| input | file | peak MB | bytes per pixel | seconds |"
echo "|---|---|---|---|---|"
for bomb in bomb.png bomb.tif; do
  rm -f "$out/filtered.png"
  /usr/bin/time -f "%M %e" -o "$out/time.txt" dotnet "$dll" filter "$out/$bomb" --kernel box:3 -o "$out/filtered.png" >&2
  read -r kb seconds < <(tail -1 "$out/time.txt")
  size_kb=$(( $(stat -c %s "$out/$bomb") / 1024 ))
  awk -v b="$bomb" -v s="$size_kb" -v kb="$kb" -v px="$pixels" -v t="$seconds" -v w="$w" -v h="$h" \
    'BEGIN { printf "| %s %dx%d | %d KB | %.0f | %.1f | %.1f |\n", b, w, h, s, kb / 1024, kb * 1024 / px, t }'
done

# Face detection on a real 100-megapixel photo (face-api.js's sample1.jpg tiled to 12240 x 8160).
echo "Building the benchmark tool (Release)..." >&2
dotnet build "$root/bench/Shikaku.Bench/Shikaku.Bench.csproj" -c Release -nologo -v q >/dev/null
dotnet "$root/bench/Shikaku.Bench/bin/Release/net10.0/Shikaku.Bench.dll" big-photo "$out/photo-100mp.jpg" 12240 8160
echo
echo "| command | input | peak MB | bytes per pixel | seconds |"
echo "|---|---|---|---|---|"
for detector in ssd tiny; do
  /usr/bin/time -f "%M %e" -o "$out/time.txt" dotnet "$dll" faces detect "$out/photo-100mp.jpg" --detector "$detector" --json >/dev/null
  read -r kb seconds < <(tail -1 "$out/time.txt")
  awk -v d="$detector" -v kb="$kb" -v t="$seconds" \
    'BEGIN { printf "| faces detect --detector %s | photo 12240x8160 (99.9 MP) | %.0f | %.1f | %.1f |\n", d, kb / 1024, kb * 1024 / 99878400, t }'
done
