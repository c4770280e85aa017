#!/usr/bin/env python3
# Shikaku's own helper (not part of the goldens Shikaku checks against): writes one realistic input
# tensor per model as <model>.npy, so human_reference.js can be tried before Shikaku writes the real
# inputs itself. Pixels come from real photos, decoded by OpenCV; each tensor has the shape, layout
# and value range human@3.3.6 feeds the model (nanodet: as NanoDet's authors trained it instead).
#
#   python3 make_test_inputs.py <out-dir> --faces sample1.jpg --scene dog.jpg --person person.jpg
#
# --faces: face-api.js's demo photo sample1.jpg (1920x1280; the crops below are its left face)
# --scene: darknet's data/dog.jpg;  --person: darknet's data/person.jpg
import argparse
import os
import sys

import cv2
import numpy as np

FACE = (314, 600, 371, 657)   # rows, columns of the left face in sample1.jpg (286 x 286)
EYE = (420, 484, 411, 475)    # its right eye (viewer's left), 64 x 64


def rgb01(bgr):
    return bgr[..., ::-1].astype(np.float32) / np.float32(255)


def resized(img, size):
    return cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)


def gray_pm1(bgr, size):
    # human's grayscale for emotion/gender: 0.2989 R + 0.587 G + 0.114 B of 0..1 RGB, then (g - 0.5) * 2
    rgb = rgb01(resized(bgr, size))
    g = rgb @ np.array([0.2989, 0.5870, 0.1140], np.float32)
    return ((g - np.float32(0.5)) * np.float32(2))[None, :, :, None]


def load(path):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        sys.exit(f'cannot read {path}')
    return img


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--faces', required=True)
    ap.add_argument('--scene', required=True)
    ap.add_argument('--person', required=True)
    a = ap.parse_args()
    faces, scene, person = load(a.faces), load(a.scene), load(a.person)
    if faces.shape[:2] != (1280, 1920):
        sys.exit(f'{a.faces} is {faces.shape[1]}x{faces.shape[0]}, expected face-api.js sample1.jpg (1920x1280)')
    face = faces[FACE[0]:FACE[1], FACE[2]:FACE[3]]
    eye = faces[EYE[0]:EYE[1], EYE[2]:EYE[3]]
    x = {}
    x['centernet'] = rgb01(resized(scene, 512))[None] * np.float32(255)              # RGB 0..255
    bgr = resized(scene, 416).astype(np.float32)
    mean = np.array([103.53, 116.28, 123.675], np.float32)
    std = np.array([57.375, 57.12, 58.395], np.float32)
    x['nanodet'] = ((bgr - mean) / std).transpose(2, 0, 1)[None]                        # NCHW BGR, normalised
    x['blazeface'] = rgb01(resized(faces, 256))[None] * np.float32(2) - np.float32(1)  # whole photo, -1..1
    x['facemesh'] = rgb01(resized(face, 192))[None]                                     # 0..1
    x['iris'] = rgb01(resized(eye, 64))[None]                                           # 0..1
    x['emotion'] = gray_pm1(face, 64)                                                   # gray -1..1
    x['age'] = rgb01(resized(face, 64))[None] * np.float32(255)                         # 0..255
    x['gender'] = gray_pm1(face, 64)                                                    # gray -1..1
    x['faceres'] = rgb01(resized(face, 224))[None] * np.float32(255)                    # 0..255
    x['antispoof'] = rgb01(resized(face, 128))[None]                                    # 0..1
    x['liveness'] = rgb01(resized(face, 32))[None]                                      # 0..1
    x['movenet-lightning'] = np.round(rgb01(resized(person, 192))[None] * 255)          # 0..255 integers (int32 input)
    x['selfie'] = rgb01(resized(person, 256))[None]                                     # 0..1
    os.makedirs(a.out, exist_ok=True)
    for name, t in x.items():
        t = np.ascontiguousarray(t, dtype='<f4')
        np.save(os.path.join(a.out, f'{name}.npy'), t)
        print(name, t.shape, float(t.min()), float(t.max()))


if __name__ == '__main__':
    main()
