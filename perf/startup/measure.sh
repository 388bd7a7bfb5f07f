#!/usr/bin/env bash
# Size and time to first prediction, for docs/shipping.md: samples/FirstPrediction published with
# NativeAOT and as a framework-dependent (JIT) app, and its TorchSharp twin published self-contained.
# Each program is timed as a whole process (start, construct the model, predict once, exit) with
# hyperfine (Debian: apt-get install hyperfine). Results on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet publish samples/FirstPrediction -c Release -r linux-x64 -o "$out/aot" >/dev/null
dotnet publish samples/FirstPrediction -c Release -r linux-x64 --self-contained false -p:PublishAot=false -o "$out/jit" >/dev/null
dotnet publish perf/startup/TorchSharpFirstPrediction -c Release -r linux-x64 --self-contained true -o "$out/torch" >/dev/null
# TorchSharp 0.107's libLibTorchSharp.so asks for GLIBCXX_3.4.32 (GCC 13); Debian 12 has GCC 12's
# libstdc++. perf/peers/relax_glibcxx_version.py makes that one unused requirement weak.
python3 "${RELAX_GLIBCXX:-perf/peers/relax_glibcxx_version.py}" "$out/torch/libLibTorchSharp.so"

echo "== sizes (bytes)"
echo "FastSeq NativeAOT binary:            $(stat -c %s "$out/aot/FirstPrediction")"
echo "FastSeq framework-dependent folder:  $(du -sb --exclude='*.pdb' --exclude='*.xml' --exclude='*.dbg' "$out/jit" | cut -f1) (needs the .NET runtime)"
echo "TorchSharp self-contained folder:    $(du -sb --exclude='*.pdb' "$out/torch" | cut -f1)"

echo "== first prediction"
for program in "$out/aot/FirstPrediction" "$out/jit/FirstPrediction" "$out/torch/TorchSharpFirstPrediction"; do
  "$program"
done

echo "== time from process start to first prediction (whole process)"
cd "$out"
hyperfine -N --warmup 3 --runs "${RUNS:-30}" \
  -n "FastSeq NativeAOT" "$out/aot/FirstPrediction" \
  -n "FastSeq JIT" "$out/jit/FirstPrediction" \
  -n "TorchSharp" "$out/torch/TorchSharpFirstPrediction"
