"""Train, evaluate and predict (:doc:`/quickstart`); runs on disk: :mod:`brainkit.run_folders`."""

from __future__ import annotations

import itertools
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from brainkit import _fastfit, architectures, runtime
from brainkit._version import __version__
from brainkit.datasets import Dataset, load, registry
from brainkit.distribute import check_even_batches, distribution_scope
from brainkit.images import load_image
from brainkit.run_folders import (
    HISTORY_FILE,
    METRICS_FILE,
    MODEL_FILE,
    RUN_FILE,
    RUN_FORMAT,
    RunError,
    check_run_folder,
    reserve_run_folder,
    unfinished_run,
    write_run_folder,
)

__all__ = [
    "Prediction", "RunError", "TrainResult", "TrainingDiverged", "check_image_data",
    "check_run_folder", "evaluate", "load_run", "predict", "reserve_run_folder", "strict_json",
    "train",
]


class TrainingDiverged(RunError):
    """Training produced a NaN or infinite loss or metric; ``result`` holds the diverged run."""

    def __init__(self, message: str, result: TrainResult | None = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class TrainResult:
    """A trained model and everything needed to use it again.

    Attributes
    ----------
    model : keras.Model
        The trained (compiled) model.
    history : dict of str to list of float
        Per-epoch values: ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ...
    metrics : dict
        ``test_accuracy``, ``test_loss``, ``epochs``, ``backend``, ``train_seconds``, and more.
    class_names : tuple of str
        Name of each class, by label.
    recipe : dict
        The recipe actually used (after overrides).
    architecture : str
        Architecture name (or ``"custom"`` for a model you passed in).
    dataset_name : str
        The data set it was trained on.
    seconds : float
        Wall-clock time of ``fit``.
    input_shape : tuple of int
        The shape of one input image.
    fit_path : str
        How it trained: ``"jax-loop"``, ``"tf-loop"``, ``"torch-loop"`` or ``"keras-fit"``.
    fit_settings : dict
        The settings that ran, the ``reason`` Keras's ``fit`` ran, ``epoch_seconds`` and
        ``steps``, the optimizer steps planned (a cosine schedule spans them and leaves the
        rate at 0: compile the model again to train it further).
    path : pathlib.Path or None
        Where the run was saved or loaded from.
    """

    model: Any
    history: dict[str, list[float]]
    metrics: dict[str, Any]
    class_names: tuple[str, ...]
    recipe: dict[str, Any]
    architecture: str
    dataset_name: str
    seconds: float
    input_shape: tuple[int, ...] = (28, 28)
    fit_path: str = "keras-fit"
    fit_settings: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    _data: Any = field(default=None, repr=False, init=False, compare=False)

    @property
    def output(self) -> str:
        """``"logits"`` or ``"probabilities"``: what the model's last layer emits."""
        return str(self.recipe.get("output", "probabilities"))

    def preprocess(self, images: Any) -> np.ndarray:
        """Turn raw ``uint8`` images into what the model was trained on (``float32``, scaled)."""
        return architectures.Recipe(**self.recipe).scale_inputs(images)

    def dataset(self) -> Any:
        """Return the :class:`~brainkit.datasets.Dataset` this run was trained on (loaded once)."""
        if self._data is None:
            key = str(self.dataset_name).strip().lower().replace("-", "_")
            if self.path is not None and key not in registry():
                raise RunError(
                    f"{self.path / RUN_FILE} names the data set {self.dataset_name!r}, which this "
                    f"brainkit does not know (it knows {', '.join(registry())}). Restore its "
                    "'dataset' field, or install the plugin that provides that data set."
                )
            self._data = load(self.dataset_name)
        return self._data

    def save(
        self, path: str | os.PathLike[str], overwrite: bool = False, *,
        figures: Callable[[TrainResult, Path], Any] | None = None,
    ) -> Path:
        """Save the run atomically to a folder and return its path (see :doc:`/guarantees`).

        Parameters
        ----------
        path : str or path
            The run folder to create (an empty folder is used as it is).
        overwrite : bool
            Replace an existing brainkit run (only brainkit's own files; yours are kept).
        figures : callable, optional
            ``figures(result, folder)`` adds files, e.g. :func:`brainkit.run_figures.draw_into_run`.

        Raises
        ------
        RunError
            If the folder cannot be used or written; the message says why and what to do.
        """
        def fill(staging: Path) -> None:
            self.write_files(staging)
            if figures:  # False, the old default, draws nothing
                figures(self, staging)

        if figures and not callable(figures):
            raise RunError(
                f"figures must be a function that draws into the run folder, got {figures!r}: "
                "use result.save(path, figures=brainkit.run_figures.draw_into_run)."
            )
        write_run_folder(path, fill, overwrite)
        self.path = Path(path)
        return self.path

    def write_files(self, folder: Path) -> None:
        """Write the run's files into an existing folder (used by :meth:`save`)."""
        with runtime.tensorflow_unprobed():
            self.model.save(folder / MODEL_FILE)
        meta = {
            "format": RUN_FORMAT, "brainkit": __version__, "architecture": self.architecture,
            "dataset": self.dataset_name, "class_names": list(self.class_names),
            "input_shape": list(self.input_shape), "recipe": self.recipe, "seconds": self.seconds,
        }
        files = {HISTORY_FILE: self.history, METRICS_FILE: self.metrics, RUN_FILE: meta}
        for name, data in files.items():
            (folder / name).write_text(strict_json(data) + "\n")

    def evaluate(self, split: str = "test") -> dict[str, float]:
        """Evaluate on the run's data set; see :func:`evaluate`."""
        return evaluate(self, split=split)

    def predict(self, images: Any, top: int = 3) -> Any:
        """Predict classes for one image or a batch; see :func:`predict`."""
        return predict(self, images, top=top)

    def __repr__(self) -> str:
        acc = self.metrics.get("test_accuracy")
        shown = f"{acc:.4f}" if isinstance(acc, float) else "?"
        return (
            f"TrainResult({self.architecture!r} on {self.dataset_name!r}, "
            f"{self.metrics.get('epochs')} epochs, test accuracy {shown}, {self.seconds:.1f} s)"
        )


def _finite(data: Any) -> Any:
    """``data`` with every NaN or infinity (also inside lists and dicts) replaced by None."""
    if isinstance(data, (float, np.floating)):
        return float(data) if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    if isinstance(data, (np.ndarray, np.integer, np.bool_)):
        return _finite(data.tolist())
    return data


def strict_json(data: Any, indent: int | None = 2) -> str:
    """JSON that strict parsers accept: NaN and infinities are written as ``null``."""
    return json.dumps(_finite(data), indent=indent, default=str, allow_nan=False)


def _positive_int(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise RunError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _resolve_architecture(architecture: Any) -> tuple[str, Any, Callable[..., Any]]:
    """Return the name, the recipe and a ``build`` function (one returning a given model)."""
    if isinstance(architecture, str):
        arch = architectures.get(architecture)
        return architecture, arch.recipe, arch.build
    if isinstance(architecture, architectures.Architecture):
        return architecture.name or "custom", architecture.recipe, architecture.build
    if isinstance(architecture, runtime.import_keras().Model):
        last = architecture.layers[-1] if architecture.layers else None
        activation = getattr(getattr(last, "activation", None), "__name__", "")
        output = "probabilities" if activation in {"softmax", "sigmoid"} else "logits"
        recipe = architectures.Recipe(output=output)
        return architecture.name or "custom", recipe, lambda *args, **kwargs: architecture
    names = ", ".join(architectures.list_architectures())
    raise RunError(
        f"train() needs an architecture name (one of {names}), an Architecture, or a keras.Model; "
        f"got {type(architecture).__name__}."
    )


def _dataset(dataset: Any, **load_options: Any) -> Dataset:
    return dataset if isinstance(dataset, Dataset) else load(dataset, **load_options)


def train(
    architecture: Any = "mlp", dataset: Any = "fashion_mnist", *, epochs: int | None = None,
    batch_size: int | None = None, seed: int | None = None, optimizer: str | None = None,
    learning_rate: float | None = None, loss: str | None = None,
    metrics: Sequence[str] | None = None, hyperparameters: dict[str, Any] | None = None,
    validation: str | float | None = "test", verbose: int | str = "auto",
    callbacks: Sequence[Any] | None = None, steps_per_execution: int | str | None = "auto",
    distribute: str | Sequence[Any] | None = None, backend: str | None = None,
    data_dir: str | os.PathLike[str] | None = None, download: bool | None = None,
) -> TrainResult:
    """Train an architecture on a data set with its own recipe; return a :class:`TrainResult`.

    Parameters
    ----------
    architecture : str, Architecture or keras.Model
        A name from :func:`brainkit.architectures.list_architectures`, or an uncompiled model.
    dataset : str or Dataset
        A data set name or a loaded ``Dataset``.
    epochs, batch_size, optimizer, learning_rate, loss, metrics : optional
        Override the recipe's values (``optimizer`` and ``loss`` are names).
    seed : int, optional
        Seed Python, NumPy and the backend for a reproducible run.
    hyperparameters : dict, optional
        Passed to the architecture's builder, e.g. ``{"units": 64}``.
    validation : "test", float or None
        Validate each epoch on the test set, on this held-out fraction of the training set, or not.
    verbose : int or "auto"
        Progress: ``"auto"`` (a bar in a terminal), ``0`` (quiet) or ``2`` (a line per epoch).
    callbacks : sequence of keras.callbacks.Callback, optional
        Extra callbacks, e.g. :func:`brainkit.viz.live_learning_curves`.
    steps_per_execution : int or "auto"
        ``"auto"``: the fastest fit path (:doc:`/performance`), leaving Keras's default of 1 on the
        model; a number: Keras's ``fit`` with it, left set on the model.
    distribute : None, "auto", "data_parallel" or list of devices
        Data-parallel training with Keras's distribution API (see :mod:`brainkit.distribute`).
    backend : str, optional
        Keras backend, if Keras is not imported yet.
    data_dir, download : optional
        Passed to :func:`brainkit.datasets.load`.
    """
    keras = runtime.import_keras(backend)
    auto = steps_per_execution in (None, "auto")
    spe = None if auto else _positive_int("steps_per_execution", steps_per_execution)
    if spe not in (None, 1) and keras.backend.backend() == "torch":
        raise RunError(
            f"steps_per_execution={spe} needs JAX or TensorFlow; Keras runs one step per "
            "call on PyTorch. Leave it at 'auto' (or 1) there."
        )
    name, base, build = _resolve_architecture(architecture)
    data = _dataset(dataset, data_dir=data_dir, download=download)
    if data.x_train.ndim < 2:
        check_image_data(data)  # no inputs to train on: the message says what to use instead
    overrides = {
        "epochs": _positive_int("epochs", epochs),
        "batch_size": _positive_int("batch_size", batch_size),
        "optimizer": optimizer, "loss": loss, "learning_rate": learning_rate,
        "metrics": tuple(metrics) if metrics is not None else None,
    }
    recipe = base.replace(**{key: value for key, value in overrides.items() if value is not None})
    fraction = isinstance(validation, float)
    if validation not in ("test", None) and not (fraction and 0 < validation < 1):
        raise RunError(f"validation must be 'test', None or a fraction in (0, 1), "
                       f"got {validation!r}.")

    runtime.seed_everything(seed)
    on_test = validation == "test"
    pixels = None
    if data.x_train.dtype == np.uint8:
        # The fast paths keep the uint8 pixels on the device and look each batch up in this table
        # (it is recipe.scale_inputs elementwise); float inputs are made only for Keras's fit.
        table = recipe.scale_inputs(np.arange(256, dtype=np.uint8))
        pixels = _fastfit.Pixels(data.x_train, data.x_test if on_test else None, table)
    x_train = recipe.scale_inputs(data.x_train) if pixels is None else None
    x_test = recipe.scale_inputs(data.x_test)
    y_train = recipe.encode_labels(data.y_train, data.num_classes)
    y_test = recipe.encode_labels(data.y_test, data.num_classes)

    with runtime.ctrl_c_kept(), distribution_scope(distribute, recipe.batch_size) as mesh_info:
        if mesh_info:
            devices = len(mesh_info["devices"])
            check_even_batches(len(data.x_train), recipe.batch_size, devices, "the training set")
            check_even_batches(len(x_test), max(256, recipe.batch_size), devices, "the test set")
        model = build(data.input_shape, data.num_classes, **(hyperparameters or {}))
        fitted = int(len(data.x_train) * (1 - validation)) if fraction else len(data.x_train)
        steps = _planned_steps(recipe, fitted)  # for the cosine schedule
        model.compile(**recipe.compile_arguments(steps), steps_per_execution=spe or 1,
                      jit_compile=_fastfit.best_jit_compile(model, data.input_shape))
        started = time.perf_counter()
        outcome = _fastfit.fit(
            model, x_train, y_train, epochs=recipe.epochs, batch_size=recipe.batch_size,
            verbose=verbose, callbacks=list(callbacks or []), shuffle=True,
            distributed=mesh_info is not None, steps_per_execution=spe, pixels=pixels,
            validation_data=(x_test, y_test) if on_test else None,
            validation_split=validation if fraction else None,
        )
        seconds = time.perf_counter() - started
        test_values = model.evaluate(x_test, y_test, batch_size=max(256, recipe.batch_size),
                                     verbose=0, return_dict=True)

    history = {k: [float(v) for v in values] for k, values in outcome.history.history.items()}
    epoch_seconds = [round(s, 3) for s in outcome.epoch_seconds]
    fit_settings = {**outcome.settings, "reason": outcome.reason, "steps": steps,
                    "epoch_seconds": epoch_seconds}
    epochs_run = len(outcome.epoch_seconds)  # fewer than asked if training stopped early
    accuracy = test_values.get("accuracy", test_values.get("compile_metrics", float("nan")))
    metrics_out: dict[str, Any] = {
        "test_accuracy": float(accuracy), "test_loss": float(test_values["loss"]),
        "epochs": epochs_run, "batch_size": recipe.batch_size,
        "backend": keras.backend.backend(), "dataset": data.name, "dataset_source": data.source,
        "train_examples": len(data.x_train), "test_examples": len(x_test), "architecture": name,
        "parameters": int(model.count_params()), "train_seconds": round(seconds, 3),
        "seconds_per_epoch": round(seconds / max(1, epochs_run), 3), "seed": seed,
        "fit_path": outcome.path, "fit_settings": fit_settings,
        **({"distribution": mesh_info} if mesh_info else {}),
        **{f"test_{k}": float(v) for k, v in test_values.items() if k not in ("loss", "accuracy")},
    }
    result = TrainResult(
        model=model, history=history, metrics=metrics_out, class_names=tuple(data.class_names),
        recipe=recipe.as_dict(), architecture=name, dataset_name=data.name, seconds=seconds,
        input_shape=tuple(data.input_shape), fit_path=outcome.path, fit_settings=fit_settings,
    )
    result._data = data  # the data set it was trained on, so plots need no second load
    _check_finite(result)
    return result


def _check_finite(result: TrainResult) -> None:
    """Raise :class:`TrainingDiverged` if a loss or metric of any epoch is NaN or infinite."""
    history = result.history
    rows = itertools.zip_longest(*history.values(), fillvalue=0.0)  # one row per epoch
    for epoch, row in enumerate(rows, start=1):
        bad_keys = [key for key, v in zip(history, row, strict=True) if not math.isfinite(v)]
        if bad_keys:
            bad_epoch = epoch
            break
    else:
        test_loss = result.metrics.get("test_loss")
        if not isinstance(test_loss, float) or math.isfinite(test_loss):
            return
        bad_epoch, bad_keys = result.metrics.get("epochs"), ["test_loss"]
    rate = result.recipe.get("learning_rate")
    shown = f" ({rate:g})" if isinstance(rate, (int, float)) else ""
    raise TrainingDiverged(
        f"Training diverged: {', '.join(bad_keys)} became NaN or infinite in epoch {bad_epoch} of "
        f"{result.recipe.get('epochs') or len(next(iter(history.values()), []))}. "
        f"The learning rate{shown} is probably too large for {result.architecture} on "
        f"{result.dataset_name}: try a smaller one, e.g. ten times smaller (--learning-rate on "
        "the command line, learning_rate= in Python).",
        result,
    )


def check_image_data(data: Any) -> None:
    """Raise :class:`RunError`, saying what to use instead, unless ``data`` holds images."""
    shape = tuple(np.shape(data.x_train))
    if len(shape) >= 3:
        return
    what = f"{shape[1]} numbers per example" if len(shape) == 2 else "one number per example"
    instead = "use an image data set"
    if data.name == "hotdog":
        instead = "the hot-dog perceptron has its own command: brainkit hotdog (see its --help)"
    raise RunError(
        f"Data set {data.name!r} holds {what}, not images: brainkit train trains image "
        f"classifiers (fashion_mnist, mnist, fashion_mnist_sample). For {data.name!r}, {instead}."
    )


def _planned_steps(recipe: architectures.Recipe, examples: int) -> int:
    """Optimizer steps of ``recipe`` over ``examples`` (load_run's guess if a run lacks them)."""
    return recipe.epochs * -(-examples // recipe.batch_size)


def load_run(path: str | os.PathLike[str], backend: str | None = None) -> TrainResult:
    """Load a run saved by :meth:`TrainResult.save` or ``brainkit train``, in Keras's safe mode.

    Parameters
    ----------
    path : str or path
        The run folder.
    backend : str, optional
        Keras backend to load it on, if Keras is not imported yet.

    Raises
    ------
    RunError
        If ``path`` is not a brainkit run folder (the message says what is missing).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise RunError(f"{folder} is not a folder; pass the folder that 'brainkit train' wrote.")
    missing = [n for n in (RUN_FILE, MODEL_FILE, METRICS_FILE) if not (folder / n).is_file()]
    if missing:
        not_a_run = f"{folder} is not a brainkit run: {', '.join(missing)} missing."
        raise RunError(unfinished_run(folder) or not_a_run)
    run_file = folder / RUN_FILE
    meta = _read_json(run_file)
    metrics = _read_json(folder / METRICS_FILE)
    history_raw = _read_json(folder / HISTORY_FILE) if (folder / HISTORY_FILE).is_file() else {}
    if meta.get("format") != RUN_FORMAT:
        raise RunError(
            f"{run_file} says run format {meta.get('format')!r}; this brainkit reads format "
            f"{RUN_FORMAT}. A run of a newer brainkit needs that brainkit; otherwise the file "
            "is damaged: train the run again."
        )
    architecture = _field(run_file, meta, "architecture", str, "a name such as 'mlp'")
    dataset_name = _field(run_file, meta, "dataset", str, "a data set name such as 'fashion_mnist'")
    class_names = _field(
        run_file, meta, "class_names", list, "a non-empty list of class names",
        ok=lambda names: names and all(isinstance(c, str) for c in names),
    )
    input_shape = _field(
        run_file, meta, "input_shape", list, "a list of positive integers such as [28, 28]",
        [28, 28], ok=lambda shape: shape and all(type(n) is int and n > 0 for n in shape),
    )
    recipe_dict = _field(run_file, meta, "recipe", dict, "the recipe (a JSON object)")
    seconds = _field(run_file, meta, "seconds", (int, float), "a number of seconds", 0.0)
    numbers = (int, float, type(None))  # null stands for NaN; true and false are not numbers
    history = {}
    for key, values in history_raw.items():
        if not isinstance(values, list) or any(type(v) not in numbers for v in values):
            raise _bad_field(folder / HISTORY_FILE, key, "a list of numbers, one per epoch", values)
        history[key] = [math.nan if v is None else float(v) for v in values]
    fit_settings = metrics.get("fit_settings") or {}
    if not isinstance(fit_settings, dict):
        raise _bad_field(folder / METRICS_FILE, "fit_settings", "a JSON object", fit_settings)
    keras = runtime.import_keras(backend)
    try:
        # compile=False: the saved compile settings (e.g. steps_per_execution) may not suit this
        # backend; the model is compiled again from the run's recipe below.
        model = keras.saving.load_model(folder / MODEL_FILE, safe_mode=True, compile=False)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a bad file
        raise RunError(
            f"Cannot load {folder / MODEL_FILE}: {str(exc).rstrip('.')}. The file is damaged or "
            "not a Keras model: train the run again."
        ) from exc
    shape = tuple(int(n) for n in input_shape)
    _check_model_fits(folder, model, shape, class_names)
    try:
        recipe = architectures.Recipe(**recipe_dict)  # turns the JSON list of metrics to a tuple
        model.compile(
            **recipe.compile_arguments(fit_settings.get("steps") or _planned_steps(
                recipe, int(metrics.get("train_examples") or 1))),
            jit_compile=_fastfit.best_jit_compile(model, shape),
        )
    except (TypeError, ValueError, architectures.ArchitectureError) as exc:
        raise RunError(
            f"{run_file} holds a recipe this brainkit cannot use ({exc}); the file was edited "
            "or damaged: restore its 'recipe' field or train the run again."
        ) from exc
    return TrainResult(
        model=model, history=history, metrics=metrics, class_names=tuple(class_names),
        recipe=dict(recipe_dict), architecture=architecture, dataset_name=dataset_name,
        seconds=float(seconds), input_shape=shape, fit_settings=dict(fit_settings),
        fit_path=str(metrics.get("fit_path", "keras-fit")), path=folder,
    )


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RunError(f"Cannot read {path}: {exc.strerror or exc}; check permissions.") from exc
    except ValueError as exc:
        raise _damaged(path, f"it is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise _damaged(path, f"it holds a JSON {type(data).__name__}, not an object")
    return data


def _damaged(path: Path, problem: str) -> RunError:
    return RunError(
        f"{path} is damaged: {problem}. Restore the file (or the field) from a copy, or train "
        "the run again."
    )


def _bad_field(path: Path, key: str, expected: str, got: Any) -> RunError:
    shown = repr(got)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return _damaged(path, f"its field {key!r} should be {expected}, but it is {shown}")


def _field(
    path: Path, data: dict, key: str, kind: Any, expected: str, default: Any = None,
    ok: Callable[[Any], Any] | None = None,
) -> Any:
    """``data[key]`` (or ``default``), checked to be a ``kind`` that ``ok`` accepts."""
    if key not in data:
        if default is not None:
            return default
        raise _damaged(path, f"its field {key!r} ({expected}) is missing")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool) or (ok and not ok(value)):
        raise _bad_field(path, key, expected, value)
    return value


def _check_model_fits(folder: Path, model: Any, shape: tuple[int, ...], names: list) -> None:
    """The model's input and output sizes must agree with run.json (a hand edit may break them)."""
    try:
        inputs = tuple(model.inputs[0].shape[1:])
        outputs = int(model.outputs[0].shape[-1])
    except (AttributeError, IndexError, TypeError):
        return  # a subclassed model: nothing to compare with
    if None not in inputs and inputs != shape:
        raise _bad_field(
            folder / RUN_FILE, "input_shape", f"the model's input shape {list(inputs)}", list(shape)
        )
    if outputs != len(names):
        expected = f"a list of {outputs} class names (the model has {outputs} outputs)"
        raise _bad_field(folder / RUN_FILE, "class_names", expected, names)


def _as_run(run: Any) -> TrainResult:
    if isinstance(run, TrainResult):
        return run
    if isinstance(run, (str, os.PathLike)):
        return load_run(run)
    raise RunError(f"Expected a TrainResult or a run folder, got {type(run).__name__}.")


def evaluate(run: Any, dataset: Any = None, split: str = "test") -> dict[str, float]:
    """Return a run's ``loss``, ``accuracy``, other metrics and ``examples`` on a data set split.

    Parameters
    ----------
    run : TrainResult or path
        A result of :func:`train`, or a saved run folder.
    dataset : str or Dataset, optional
        Defaults to the data set the run was trained on.
    split : {"test", "train"}
    """
    result = _as_run(run)
    if split not in ("test", "train"):
        raise RunError(f"split must be 'test' or 'train', got {split!r}.")
    data = result.dataset() if dataset is None else _dataset(dataset)
    if tuple(data.input_shape) != tuple(result.input_shape):
        raise RunError(
            f"The run expects inputs of shape {tuple(result.input_shape)} but {data.name!r} has "
            f"{data.input_shape}."
        )
    x, y = (data.x_test, data.y_test) if split == "test" else (data.x_train, data.y_train)
    y = architectures.Recipe(**result.recipe).encode_labels(y, len(result.class_names))
    values = result.model.evaluate(result.preprocess(x), y, batch_size=512, verbose=0,
                                   return_dict=True)
    return {**{k: float(v) for k, v in values.items()}, "examples": len(x)}


@dataclass(frozen=True)
class Prediction:
    """The model's verdict on one image.

    Attributes
    ----------
    label : int
        The most probable class.
    class_name : str
        Its name.
    probability : float
        Its probability.
    probabilities : numpy.ndarray
        Probability of every class (sums to 1).
    top : list of (str, float)
        The most probable classes, best first.
    """

    label: int
    class_name: str
    probability: float
    probabilities: np.ndarray = field(repr=False)
    top: list[tuple[str, float]] = field(default_factory=list)

    def __str__(self) -> str:
        return ", ".join(f"{name} {p:.1%}" for name, p in self.top)


def probabilities(run: Any, images: Any) -> np.ndarray:
    """Return class probabilities ``(N, classes)`` for a batch of raw images."""
    result = _as_run(run)
    x = result.preprocess(images)
    outputs = np.asarray(result.model.predict(x, batch_size=512, verbose=0), dtype=np.float64)
    if result.output == "logits":  # softmax, shifted so that exp cannot overflow
        outputs = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
    return outputs / np.clip(outputs.sum(axis=-1, keepdims=True), 1e-12, None)


def predict(run: Any, images: Any, top: int = 3) -> Prediction | list[Prediction]:
    """Return a :class:`Prediction` for one image or path, a list of them for a batch.

    Parameters
    ----------
    run : TrainResult or path
        A trained run.
    images : array-like, path, or list of paths
        One image ``(H, W)``, a batch ``(N, H, W)``, or files read by :func:`.images.load_image`.
    top : int
        How many classes to list per prediction.
    """
    result = _as_run(run)
    shape = tuple(result.input_shape)
    single = False
    if isinstance(images, (str, os.PathLike)):
        images, single = [images], True
    if isinstance(images, (list, tuple)) and images and isinstance(images[0], (str, os.PathLike)):
        batch = np.stack([load_image(p, size=shape[:2], style=result.dataset_name) for p in images])
    else:
        batch = np.asarray(images)
        if batch.shape == shape:
            batch, single = batch[None], True
        elif batch.shape[1:] != shape:
            raise RunError(
                f"Images must have shape {shape} (one image) or (N, {', '.join(map(str, shape))}) "
                f"(a batch); got {batch.shape}. Read pictures with brainkit.images.load_image()."
            )
    names = result.class_names
    k = max(1, min(int(top), len(names)))
    out = []
    for row in probabilities(result, batch):
        order = [int(i) for i in np.argsort(row)[::-1][:k]]
        top_k = [(names[i], float(row[i])) for i in order]
        best = order[0]
        out.append(Prediction(best, names[best], float(row[best]), row, top_k))
    return out[0] if single else out
