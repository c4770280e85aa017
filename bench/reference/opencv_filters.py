"""Filter reference: OpenCV 4.6 (Debian python3-opencv) on the same real photo, float32 like Shikaku.

Border handling is OpenCV's default (reflect-101), which Shikaku's filters use too. uint8 timings
are printed as well for information (OpenCV has fixed-point paths for 8-bit images).
"""
import sys

import cv2
import numpy as np

from common import best_seconds, emit

photo = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
cv2.setNumThreads(threads)
u8 = cv2.cvtColor(cv2.imread(photo, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
f32 = u8.astype(np.float32)
cases = [
    ("gaussian 5x5", lambda img: cv2.GaussianBlur(img, (5, 5), 0)),
    ("box 3x3", lambda img: cv2.blur(img, (3, 3))),
    ("sobel x 3x3", lambda img: cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3)),
]
for name, fn in cases:
    emit("filters", name, "opencv", best_seconds(lambda: fn(f32)) * 1e3, "ms")
for name, fn in cases:
    emit("filters", name, "opencv-uint8", best_seconds(lambda: fn(u8)) * 1e3, "ms")
