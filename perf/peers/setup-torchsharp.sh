#!/usr/bin/env bash
# Makes the TorchSharp peer of perf/FastSeq.Benchmarks load on Debian 12 (run once per machine).
#
# TorchSharp 0.107's libLibTorchSharp.so was linked against GCC 13's libstdc++ and lists
# std::ios_base_library_init() under symbol version GLIBCXX_3.4.32; Debian 12's libstdc++ (GCC 12)
# stops at GLIBCXX_3.4.30, so the dynamic loader refuses the library and TorchSharp reports,
# misleadingly, that the app has "no reference to libtorch-cpu-linux-x64". That symbol has no
# relocation in the library (nothing calls it or takes its address), so this script marks the
# GLIBCXX_3.4.32 requirement weak (VER_FLG_WEAK, 2 bytes of .gnu.version_r) in the restored
# NuGet package with relax_glibcxx_version.py; ld.so then loads it. The unmodified file is kept as
# <packages>/torchsharp/<version>/libLibTorchSharp.so.original.
#
# An LD_PRELOAD shim defining that symbol under GLIBCXX_3.4.32 does not help: ld.so checks a
# version requirement against the library it names (libstdc++.so.6), not against the global scope.
#
# Needs: dotnet, /usr/bin/python3 (standard library only). Downloads nothing but NuGet packages.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=$(sed -n 's/.*PackageVersion Include="TorchSharp-cpu" Version="\([^"]*\)".*/\1/p' Directory.Packages.props)
[ -n "$version" ] || { echo "TorchSharp-cpu version not found in Directory.Packages.props" >&2; exit 1; }
[ -x /usr/bin/python3 ] || apt-get install -y python3

echo "== restoring perf/FastSeq.Benchmarks (TorchSharp-cpu $version, libtorch ~600 MB the first time)"
dotnet restore perf/FastSeq.Benchmarks

packages=${NUGET_PACKAGES:-$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')}
packages=${packages%/}
library="$packages/torchsharp/$version/runtimes/linux-x64/native/libLibTorchSharp.so"
[ -f "$library" ] || { echo "not found: $library" >&2; exit 1; }

libstdcxx=$(/sbin/ldconfig -p | sed -n 's/.*libstdc++.so.6 (libc6,x86-64) => //p' | head -n 1)
if grep -qa 'GLIBCXX_3\.4\.32' "$libstdcxx"; then
  echo "== $libstdcxx already provides GLIBCXX_3.4.32; nothing to patch"
else
  echo "== $libstdcxx lacks GLIBCXX_3.4.32; relaxing that requirement of $library"
  original="$packages/torchsharp/$version/libLibTorchSharp.so.original"
  [ -f "$original" ] || cp "$library" "$original"
  /usr/bin/python3 perf/peers/relax_glibcxx_version.py "$library"
fi

# A failed load earlier made TorchSharp copy libtorch (~480 MB) into bin/*/cpu; it is not needed.
find perf/FastSeq.Benchmarks/bin -maxdepth 3 -type d -name cpu -path '*/net10.0/cpu' -exec rm -rf {} + 2>/dev/null || true

echo "== checking that TorchSharp loads"
dotnet build perf/FastSeq.Benchmarks -c Release -v quiet -nologo
dotnet run -c Release --project perf/FastSeq.Benchmarks --no-build -- --check-torch
