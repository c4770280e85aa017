"""Conv2D reference: PyTorch (Debian python3-torch 1.13) forward convolution + bias + ReLU, no grad.

Each layer is timed in PyTorch's default NCHW layout and in channels_last (NHWC); the faster is
reported, so Shikaku is compared with PyTorch at its best on this CPU.
"""
import sys

import torch
import torch.nn.functional as F

from common import best_seconds, emit

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(threads)
torch.manual_seed(2)

cases = [
    ("conv1 128x28x28x1->26x26x32", 128, 28, 28, 1, 3, 32, 1, 0),
    ("conv2 128x26x26x32->24x24x64", 128, 26, 26, 32, 3, 64, 1, 0),
    ("depthwise 1x112x112x32 3x3 same", 1, 112, 112, 32, 3, 32, 32, 1),
]
with torch.no_grad():
    for name, n, h, w, c, k, cout, groups, pad in cases:
        best = float("inf")
        for fmt in (torch.contiguous_format, torch.channels_last):
            x = torch.rand(n, c, h, w).contiguous(memory_format=fmt)
            weight = (torch.rand(cout, c // groups, k, k) - 0.5).contiguous(memory_format=fmt)
            bias = torch.zeros(cout)
            best = min(best, best_seconds(lambda: F.relu(F.conv2d(x, weight, bias, padding=pad, groups=groups))))
        oh, ow = h - k + 1 + 2 * pad, w - k + 1 + 2 * pad
        flops = 2.0 * n * oh * ow * cout * k * k * (c // groups)
        emit("conv", name, "pytorch", flops / best / 1e9, "GFLOPS")
