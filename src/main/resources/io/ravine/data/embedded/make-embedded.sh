#!/usr/bin/env bash
# Regenerates the embedded Fashion-MNIST subset next to this script from Debian's dataset-fashion-mnist package.
# Cuts are the first N examples (no shuffling) so the subset is the same wherever it is rebuilt; gzip's header
# timestamp is pinned to 0 so rebuilding gives byte-identical files.
# Usage: make-embedded.sh [SOURCE_DIR]   (default /usr/share/datasets/fashion-mnist)
set -euo pipefail
src="${1:-/usr/share/datasets/fashion-mnist}"
out="$(cd "$(dirname "$0")" && pwd)"
python3 - "$src" "$out" <<'PY'
import gzip, struct, sys
src, out = sys.argv[1], sys.argv[2]

def cut(name, count):
    with gzip.open(f"{src}/{name}", "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, f"{name}: not an unsigned-byte IDX file"
    dims = list(struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim]))
    per_item = 1
    for d in dims[1:]:
        per_item *= d
    header = 4 + 4 * ndim
    body = data[header:header + count * per_item]
    dims[0] = count
    with open(f"{out}/{name}", "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0, filename="") as g:
        g.write(struct.pack(">HBB", 0, 0x08, ndim) + struct.pack(f">{ndim}I", *dims) + body)

cut("train-images-idx3-ubyte.gz", 5000)
cut("train-labels-idx1-ubyte.gz", 5000)
cut("t10k-images-idx3-ubyte.gz", 1000)
cut("t10k-labels-idx1-ubyte.gz", 1000)
PY
