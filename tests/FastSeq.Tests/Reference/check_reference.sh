#!/usr/bin/env bash
# Regenerates every reference case with make_reference.py into a temporary folder and compares the
# bytes with the files in this folder; exits non-zero on any difference, missing or extra file.
# Needs Debian's python3-torch 1.13 (`apt-get install python3-torch`); CI has no torch and does not
# run it. PYTHON overrides the interpreter (default /usr/bin/python3, the one Debian's torch is for).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
made="$(mktemp -d)"
trap 'rm -rf "$made"' EXIT

"${PYTHON:-/usr/bin/python3}" "$here/make_reference.py" "$made"

status=0
for file in "$made"/*.safetensors; do
  name="$(basename "$file")"
  if [[ ! -f "$here/$name" ]]; then
    echo "MISSING here: $name"; status=1
  elif cmp -s "$file" "$here/$name"; then
    echo "same bytes: $name"
  else
    echo "DIFFERS: $name"; status=1
  fi
done
for file in "$here"/*.safetensors; do
  name="$(basename "$file")"
  [[ -f "$made/$name" ]] || { echo "NOT MADE by make_reference.py: $name"; status=1; }
done
exit "$status"
