#!/usr/bin/python3
"""Runs models that `ravine export --format torch` wrote, in PyTorch, as a user would (ExportAgreementTest).

    torch_export_check.py CASE_DIR [CASE_DIR ...]

Each CASE_DIR holds model.safetensors (the export), snippet.py (the Python the command printed) and x.f32 (raw
inputs, little-endian float32, [N, in_features] row-major). For each case this script

  1. builds nn.Sequential from the file's "ravine.sequential" metadata alone and loads the state dict with
     load_state_dict(strict=True) (every key present, none extra, every shape right);
  2. executes the printed snippet (with the safetensors stand-in in shim/ where the package is absent), which builds
     its own `model` and loads the file with strict=True too;
  3. runs both on x in float32 and requires bit-identical outputs (same weights, same operations);
  4. writes the last layer's outputs to CASE_DIR/torch_out.f32 for the Java side to compare with Ravine's.

Needs only Debian's python3-torch (and numpy). Exit status 0 when every case loaded and ran.
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch


def read_metadata(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
    return header.get("__metadata__", {})


def main(case_dirs):
    torch.set_num_threads(1)
    from safetensors.torch import load_file
    for case in map(Path, case_dirs):
        model_file = case / "model.safetensors"
        spec = json.loads(read_metadata(model_file)["ravine.sequential"])
        built = torch.nn.Sequential(*[getattr(torch.nn, m["type"])(**m["args"]) for m in spec["modules"]])
        built.load_state_dict(load_file(str(model_file)), strict=True)
        built.eval()
        namespace = {}
        exec(compile((case / "snippet.py").read_text(encoding="utf-8"), str(case / "snippet.py"), "exec"), namespace)
        model = namespace["model"]
        in_features = spec["modules"][0]["args"]["in_features"]
        x = np.fromfile(case / "x.f32", dtype="<f4").reshape(-1, in_features)
        with torch.no_grad():
            a = built(torch.from_numpy(x))
            b = model(torch.from_numpy(x))
        if not torch.equal(a, b):
            print(f"{case}: the snippet's model and the metadata's model disagree", file=sys.stderr)
            return 1
        a.numpy().astype("<f4").tofile(case / "torch_out.f32")
        print(f"{case.name}: {spec['architecture']}, {x.shape[0]} examples, strict load ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
