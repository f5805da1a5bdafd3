#!/usr/bin/env python3
"""The peer to beat: index a folder with PyTorch + Hugging Face transformers, CLIP or SigLIP.

The method of the team's `peer_clip_bench.py` (PIL decode with EXIF orientation, the model's
own image processor, get_image_features in batches, L2 normalisation, timed end to end),
extended to SigLIP: the architecture comes from the folder's `config.json` (`model_type`
`clip` or `siglip`), and text queries are tokenised as each model's processor does (SigLIP:
padded to 64 tokens). Used for docs/BENCHMARKS.md's Glimpse-against-PyTorch figures.

Set-up (once; PyPI's torch wheel is large):
    python3 -m venv peer-venv && peer-venv/bin/pip install torch transformers pillow numpy
Run:
    peer-venv/bin/python peer_bench.py --model-dir DIR --images DIR [--batch 32] [--threads 2]
Prints one JSON object: images/s end to end (decode + preprocess + model), the split, and
the median latency of a short text query.
"""
import argparse
import json
import os
import statistics
import time
from pathlib import Path

import torch
from PIL import Image, ImageOps
from transformers import (
    AutoTokenizer,
    CLIPImageProcessor,
    CLIPModel,
    SiglipImageProcessor,
    SiglipModel,
)

EXTS = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}


def features(out):
    return out if isinstance(out, torch.Tensor) else out.pooler_output


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="use at most this many images")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    config = json.loads((Path(args.model_dir) / "config.json").read_text())
    kind = config.get("model_type", "clip")
    if kind == "siglip":
        model = SiglipModel.from_pretrained(args.model_dir, attn_implementation="sdpa").eval()
        proc = SiglipImageProcessor.from_pretrained(args.model_dir)
        text_kwargs = {"padding": "max_length", "max_length": 64}
    else:
        model = CLIPModel.from_pretrained(args.model_dir).eval()
        proc = CLIPImageProcessor.from_pretrained(args.model_dir)
        text_kwargs = {}
    tok = AutoTokenizer.from_pretrained(args.model_dir)
    paths = sorted(p for p in Path(args.images).rglob("*") if p.suffix.lower() in EXTS)
    if args.limit:
        paths = paths[: args.limit]

    decode_s = model_s = 0.0
    n = 0
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(paths), args.batch):
            t = time.perf_counter()
            imgs = []
            for p in paths[i : i + args.batch]:
                try:
                    with Image.open(p) as im:
                        imgs.append(ImageOps.exif_transpose(im).convert("RGB"))
                except Exception:  # a bad file is skipped, as an indexer would
                    continue
            pix = proc(images=imgs, return_tensors="pt")["pixel_values"]
            decode_s += time.perf_counter() - t
            t = time.perf_counter()
            v = features(model.get_image_features(pixel_values=pix))
            v = v / v.norm(dim=-1, keepdim=True)
            model_s += time.perf_counter() - t
            n += len(imgs)
        total = time.perf_counter() - start

        query = "a photo of a dog on the beach"
        q = tok([query], return_tensors="pt", **text_kwargs)
        features(model.get_text_features(**q))
        lat = []
        for _ in range(30):
            t = time.perf_counter()
            q = tok([query], return_tensors="pt", **text_kwargs)
            features(model.get_text_features(**q))
            lat.append(time.perf_counter() - t)

    print(json.dumps({
        "peer": f"pytorch+transformers {kind}",
        "torch": torch.__version__, "threads": args.threads, "batch": args.batch,
        "images": n, "seconds": round(total, 3), "images_per_second": round(n / total, 3),
        "decode_preprocess_seconds": round(decode_s, 3), "model_seconds": round(model_s, 3),
        "text_query_ms_median": round(1e3 * statistics.median(lat), 2),
        "loadavg": os.getloadavg(),
    }, indent=1))


if __name__ == "__main__":
    main()
