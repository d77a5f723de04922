#!/bin/sh
# Regenerates the metastore's Thrift code (src/metastore/gen) from our IDL with Debian's thrift-compiler 0.17.
# Usage: scripts/gen-metastore.sh [out-dir]   (default: src/metastore/gen; the test suite diffs a fresh copy)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/src/metastore/gen}
if ! command -v thrift >/dev/null; then
  echo "thrift-compiler is not installed (apt-get install thrift-compiler)" >&2
  exit 2
fi
rm -rf "$out" && mkdir -p "$out"
thrift -r --gen js:node,ts -out "$out" "$here/src/metastore/idl/hive_metastore.thrift"
# The package is ESM; the generated modules are CommonJS.
printf '{\n  "type": "commonjs"\n}\n' > "$out/package.json"
