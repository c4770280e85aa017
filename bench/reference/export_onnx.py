"""Exports a Shikaku lecture-CNN run (model.safetensors) to ONNX through PyTorch, for ONNX Runtime.

The ONNX graph takes NHWC input [N, 28, 28, 1] like Shikaku, and flattens in NHWC order, so it is
the same function with the same weights. Usage: export_onnx.py RUN_FOLDER OUT.onnx
"""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

run, out = sys.argv[1], sys.argv[2]
raw = open(f"{run}/model.safetensors", "rb").read()
(header_len,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + header_len])
base = 8 + header_len


def tensor(name):
    meta = header[name]
    start, end = meta["data_offsets"]
    return torch.from_numpy(np.frombuffer(raw[base + start: base + end], dtype="<f4").reshape(meta["shape"]).copy())


layers = json.load(open(f"{run}/model.json"))["layers"]
names = {l["class_name"]: [] for l in layers}
for l in layers:
    names[l["class_name"]].append(l["name"])
conv1, conv2 = names["Conv2D"]
dense1, dense2 = names["Dense"]


class LectureCnnNhwc(nn.Module):
    def __init__(self):
        super().__init__()
        # HWIO -> OIHW for convolutions; [in, out] -> [out, in] for dense layers.
        self.w1 = nn.Parameter(tensor(f"{conv1}/kernel").permute(3, 2, 0, 1).contiguous())
        self.b1 = nn.Parameter(tensor(f"{conv1}/bias"))
        self.w2 = nn.Parameter(tensor(f"{conv2}/kernel").permute(3, 2, 0, 1).contiguous())
        self.b2 = nn.Parameter(tensor(f"{conv2}/bias"))
        self.w3 = nn.Parameter(tensor(f"{dense1}/kernel").t().contiguous())
        self.b3 = nn.Parameter(tensor(f"{dense1}/bias"))
        self.w4 = nn.Parameter(tensor(f"{dense2}/kernel").t().contiguous())
        self.b4 = nn.Parameter(tensor(f"{dense2}/bias"))

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        x = F.relu(F.conv2d(x, self.w1, self.b1))
        x = F.relu(F.conv2d(x, self.w2, self.b2))
        x = F.max_pool2d(x, 2)
        x = x.permute(0, 2, 3, 1).flatten(1)  # NHWC order, as Shikaku's Flatten
        x = F.relu(F.linear(x, self.w3, self.b3))
        return F.softmax(F.linear(x, self.w4, self.b4), dim=1)


model = LectureCnnNhwc().eval()
torch.onnx.export(model, torch.zeros(1, 28, 28, 1), out, input_names=["input"], output_names=["probabilities"],
                  dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}}, opset_version=13)
print(f"wrote {out}", file=sys.stderr)
