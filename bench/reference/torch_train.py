"""Training reference: the lecture CNN in PyTorch 1.13 (Debian), same data, batch, optimizer, threads.

Usage: torch_train.py MNIST_DATA_DIR [epochs] [threads]
Prints seconds per training epoch, seconds to predict the 10,000 test images, and test accuracy.
"""
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from common import emit

data_dir = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
torch.set_num_threads(threads)
torch.manual_seed(0)


def idx(path):
    raw = open(path, "rb").read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


x_train = torch.from_numpy(idx(f"{data_dir}/train-images-idx3-ubyte").astype(np.float32) / 255).unsqueeze(1)
y_train = torch.from_numpy(idx(f"{data_dir}/train-labels-idx1-ubyte").astype(np.int64))
x_test = torch.from_numpy(idx(f"{data_dir}/t10k-images-idx3-ubyte").astype(np.float32) / 255).unsqueeze(1)
y_test = torch.from_numpy(idx(f"{data_dir}/t10k-labels-idx1-ubyte").astype(np.int64))


class LectureCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.dropout(F.max_pool2d(x, 2), 0.25, self.training)
        x = F.dropout(F.relu(self.fc1(torch.flatten(x, 1))), 0.5, self.training)
        return self.fc2(x)


model = LectureCnn()
opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
for epoch in range(epochs):
    model.train()
    perm = torch.randperm(len(x_train))
    start = time.perf_counter()
    for i in range(0, len(x_train), 128):
        idx_b = perm[i:i + 128]
        opt.zero_grad()
        loss = F.cross_entropy(model(x_train[idx_b]), y_train[idx_b])
        loss.backward()
        opt.step()
    emit("train", "seconds per epoch (lecture CNN, MNIST, batch 128)", "pytorch", time.perf_counter() - start, "s")
model.eval()
with torch.no_grad():
    start = time.perf_counter()
    pred = torch.cat([model(x_test[i:i + 1000]) for i in range(0, len(x_test), 1000)]).argmax(1)
    emit("train", "seconds to predict 10,000 test images", "pytorch", time.perf_counter() - start, "s")
emit("train", "test accuracy after the timed epochs", "pytorch", float((pred == y_test).float().mean()), "")
