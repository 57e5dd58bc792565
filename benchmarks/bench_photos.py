"""Your own photo: Fashion-MNIST test images saved as pictures and predicted back.

Trains the MLP (``brainkit.train("mlp", seed=0)``) on the full Fashion-MNIST,
takes the first ``--count`` test images, and saves each in three forms:

* ``png28``: the 28 x 28 image as a PNG, as it is;
* ``jpeg28``: the same as a JPEG (Pillow's default quality, 75);
* ``shop400``: a shop photo: enlarged to 300-380 px, negated to a dark garment
  on white, placed with white margins on a 400 px wide canvas, 400, 480 or
  533 px tall, saved as a colour JPEG.

Each picture is read back with :func:`brainkit.predict` (which converts it
with :func:`brainkit.images.load_image`) and the accuracy compared with the
images given directly. Also shown: the same pictures converted with
``style="mnist"`` (a 20-pixel box), close to what brainkit did before.

    python benchmarks/bench_photos.py                 # 1000 images, 10 epochs
    python benchmarks/bench_photos.py --count 300 --figures /tmp/photos

Results go to benchmarks/results/photos.md and photos.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
FORMS = {"png28": "28 px PNG", "jpeg28": "28 px JPEG", "shop400": "400 px dark-on-white JPEG, margins"}


def save_forms(image: np.ndarray, folder: Path, index: int, rng: np.random.Generator) -> dict[str, Path]:
    """Write one 28 x 28 test image in the three forms; return their paths."""
    paths = {form: folder / f"{index:05d}-{form}.{'png' if form == 'png28' else 'jpg'}" for form in FORMS}
    picture = Image.fromarray(image)
    picture.save(paths["png28"])
    picture.save(paths["jpeg28"])
    side = int(rng.integers(300, 381))
    garment = Image.fromarray(255 - image).resize((side, side), Image.BICUBIC)
    canvas = Image.new("L", (400, int(rng.choice([400, 480, 533]))), 255)
    top, left = (int(rng.integers(0, canvas.height - side + 1)), int(rng.integers(0, 400 - side + 1)))
    canvas.paste(garment, (left, top))
    canvas.convert("RGB").save(paths["shop400"])
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000, help="test images (the first ones)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--figures", type=Path, default=None, help="also save pictures and what-the-model-saw figures here")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "photos")
    parser.add_argument("--notes", default="")
    args = parser.parse_args()

    import brainkit
    from brainkit import datasets
    from brainkit.images import load_image

    data = datasets.load("fashion_mnist")
    result = brainkit.train("mlp", data, epochs=args.epochs, seed=0, verbose=0)
    x, y = data.x_test[: args.count], data.y_test[: args.count]
    direct = np.array([p.label for p in brainkit.predict(result, x)])
    rng = np.random.default_rng(0)
    rows = {"direct": {"accuracy": float(np.mean(direct == y))}}
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.figures or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [save_forms(image, folder, i, rng) for i, image in enumerate(x)]
        for form in FORMS:
            files = [p[form] for p in paths]
            start = time.perf_counter()
            converted = np.stack([load_image(f, style=result.dataset_name) for f in files])
            seconds = time.perf_counter() - start
            labels = np.array([p.label for p in brainkit.predict(result, files)])
            mnist = np.stack([load_image(f, style="mnist") for f in files])
            rows[form] = {
                "accuracy": float(np.mean(labels == y)),
                "agrees_with_direct": float(np.mean(labels == direct)),
                "mean_abs_pixel_difference": float(np.mean(np.abs(converted.astype(float) - x))),
                "ms_per_image": 1000 * seconds / len(files),
                "accuracy_mnist_style": float(np.mean(np.array([p.label for p in brainkit.predict(result, mnist)]) == y)),
            }
            print(form, rows[form], flush=True)
        if args.figures is not None:
            from brainkit.viz import plot_conversion
            from brainkit.viz.data import save_figure

            for i in range(8):
                prediction = brainkit.predict(result, paths[i]["shop400"])
                fig = plot_conversion(paths[i]["shop400"], style=result.dataset_name,
                                      probabilities=prediction.probabilities, class_names=result.class_names)
                save_figure(fig, folder / f"seen-{i}.png")
    meta = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "brainkit": brainkit.__version__,
        "backend": result.metrics["backend"],
        "images": int(args.count),
        "epochs": args.epochs,
        "model_test_accuracy": result.metrics["test_accuracy"],
        "notes": args.notes,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"meta": meta, "results": rows}, indent=2) + "\n")
    lines = [
        "# Your own photo: test images saved as pictures and predicted back",
        "",
        f"Machine: {meta['machine']}; Python {meta['python']}; {meta['date']}; brainkit {meta['brainkit']} "
        f"({meta['backend']}). `brainkit.train('mlp', epochs={args.epochs}, seed=0)` on Fashion-MNIST "
        f"(test accuracy {meta['model_test_accuracy']:.4f} on all 10,000); the first {args.count} test images.",
        "",
        "| form | accuracy | minus direct | agrees with direct | mean abs pixel difference | ms/image | "
        "accuracy with style='mnist' |",
        "|---|---|---|---|---|---|---|",
        f"| given directly (arrays) | {rows['direct']['accuracy']:.4f} | | | | | |",
    ]
    for form, name in FORMS.items():
        r = rows[form]
        lines.append(
            f"| {name} | {r['accuracy']:.4f} | {r['accuracy'] - rows['direct']['accuracy']:+.4f} | "
            f"{r['agrees_with_direct']:.4f} | {r['mean_abs_pixel_difference']:.1f} | {r['ms_per_image']:.1f} | "
            f"{r['accuracy_mnist_style']:.4f} |"
        )
    lines += [
        "",
        "Pictures are read back by `brainkit.predict(run, paths)`, i.e. `load_image(path, style=run.dataset_name)`: "
        "the Fashion-MNIST paper's conversion. *Mean abs pixel difference*: between the converted image and the "
        "original test image (0-255). The last column converts the same pictures the MNIST way (20-pixel box, "
        "centre of mass), close to what brainkit did for every data set before (the issue measured 42-44%).",
    ]
    if args.notes:
        lines += ["", f"Notes: {args.notes}"]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
