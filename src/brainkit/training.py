"""Train, evaluate and predict: the learner's loop.

>>> import brainkit
>>> result = brainkit.train("mlp", epochs=10, seed=0)          # doctest: +SKIP
>>> result.metrics["test_accuracy"]                            # doctest: +SKIP
0.88...
>>> result.save("my-run")                                      # doctest: +SKIP
>>> run = brainkit.load_run("my-run")                          # doctest: +SKIP
>>> brainkit.predict(run, run.dataset().x_test[0])             # doctest: +SKIP
Prediction('Ankle boot', 0.97, ...)

:func:`train` builds an architecture, compiles it with the recipe the
architecture declares (any field can be overridden), feeds it the inputs as
the recipe says (``float32``, scaled or not), fits with the test set as
validation (as the seed lessons do), and returns a :class:`TrainResult`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from brainkit import _fastfit
from brainkit._atomic import public_mode
from brainkit.errors import BrainkitError

__all__ = [
    "Prediction",
    "RunError",
    "TrainResult",
    "evaluate",
    "load_run",
    "predict",
    "train",
]

RUN_FORMAT = 1
MODEL_FILE = "model.keras"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.json"


class RunError(BrainkitError, ValueError):
    """A training argument or a run directory is not valid; the message says why and what to do."""


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
        ``test_accuracy``, ``test_loss``, ``epochs``, ``backend``, ``dataset``,
        ``architecture``, ``train_seconds`` and more.
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
        How the training ran: ``"jax-loop"``, ``"torch-loop"`` or ``"keras-fit"``
        (see :func:`brainkit.training.train`).
    fit_settings : dict
        The settings that ran (``steps_per_execution``, ``jit_compile``, ``threads``), the
        ``reason`` Keras's ``fit`` ran when it did, and ``epoch_seconds``.
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
        x = np.asarray(images, dtype=np.float32)
        return x / np.float32(255.0) if self.recipe.get("input_scaling", "unit") == "unit" else x

    def dataset(self) -> Any:
        """Return the :class:`~brainkit.datasets.Dataset` this run was trained on (loaded if needed)."""
        if self._data is None:
            from brainkit.datasets import load

            self._data = load(self.dataset_name)
        return self._data

    def save(self, path: str | os.PathLike[str], overwrite: bool = False) -> Path:
        """Save the run (model, history, metrics, class names, recipe) to a folder.

        The folder is written under a temporary name and renamed into place, so
        an interrupted save never leaves a half-written run.

        Parameters
        ----------
        path : str or path
            The run folder to create.
        overwrite : bool
            Replace an existing folder (only if it is a brainkit run).

        Returns
        -------
        pathlib.Path
        """
        target = Path(path)
        if target.exists():
            if not overwrite:
                raise RunError(
                    f"{target} already exists; choose another folder or pass overwrite=True."
                )
            if not (target / RUN_FILE).is_file():
                raise RunError(
                    f"{target} exists and is not a brainkit run; refusing to overwrite it."
                )
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            os.chmod(staging, public_mode(directory=True))
            self.write_files(staging)
            if target.exists():
                old = target.with_name(f".{target.name}.old-{os.getpid()}")
                os.replace(target, old)
                os.replace(staging, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self.path = target
        return target

    def write_files(self, folder: Path) -> None:
        """Write the run's files into an existing folder (used by :meth:`save`)."""
        from brainkit.runtime import tensorflow_unprobed

        with tensorflow_unprobed():
            self.model.save(folder / MODEL_FILE)
        _write_json(folder / HISTORY_FILE, self.history)
        _write_json(folder / METRICS_FILE, self.metrics)
        from brainkit._version import __version__

        _write_json(
            folder / RUN_FILE,
            {
                "format": RUN_FORMAT,
                "brainkit": __version__,
                "architecture": self.architecture,
                "dataset": self.dataset_name,
                "class_names": list(self.class_names),
                "input_shape": list(self.input_shape),
                "recipe": self.recipe,
                "seconds": self.seconds,
            },
        )

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


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _positive_int(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise RunError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _resolve_architecture(architecture: Any) -> tuple[str, Any, Any]:
    """Return (name, Architecture or None, keras model or None)."""
    from brainkit import architectures

    if isinstance(architecture, str):
        return architecture, architectures.get(architecture), None
    if isinstance(architecture, architectures.Architecture):
        return architecture.name or "custom", architecture, None
    keras = _keras()
    if isinstance(architecture, keras.Model):
        return architecture.name or "custom", None, architecture
    raise RunError(
        f"train() needs an architecture name (one of {', '.join(architectures.list_architectures())}), "
        f"an Architecture, or a keras.Model; got {type(architecture).__name__}."
    )


def _keras() -> Any:
    from brainkit.runtime import import_keras

    return import_keras()


def _guess_output(model: Any) -> str:
    """'probabilities' if the last layer ends in softmax/sigmoid, else 'logits'."""
    last = model.layers[-1] if model.layers else None
    activation = getattr(getattr(last, "activation", None), "__name__", "")
    return "probabilities" if activation in {"softmax", "sigmoid"} else "logits"


def train(
    architecture: Any = "mlp",
    dataset: Any = "fashion_mnist",
    *,
    epochs: int | None = None,
    batch_size: int | None = None,
    seed: int | None = None,
    optimizer: str | None = None,
    learning_rate: float | None = None,
    loss: str | None = None,
    metrics: Sequence[str] | None = None,
    hyperparameters: dict[str, Any] | None = None,
    validation: str | float | None = "test",
    verbose: int | str = "auto",
    callbacks: Sequence[Any] | None = None,
    steps_per_execution: int | str | None = "auto",
    distribute: str | Sequence[Any] | None = None,
    backend: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool | None = None,
) -> TrainResult:
    """Train an architecture on a data set with the recipe it was designed for.

    Parameters
    ----------
    architecture : str, Architecture or keras.Model
        An architecture name from :func:`brainkit.architectures.list_architectures`
        (default ``"mlp"``), or your own uncompiled ``keras.Model``.
    dataset : str or Dataset
        A data set name (default ``"fashion_mnist"``) or a loaded
        :class:`~brainkit.datasets.Dataset`.
    epochs, batch_size : int, optional
        Override the recipe's values.
    seed : int, optional
        Seed Python, NumPy and the backend for a reproducible run.
    optimizer, learning_rate, loss, metrics : optional
        Override the recipe's optimizer name, learning rate, loss name and metrics.
    hyperparameters : dict, optional
        Passed to the architecture's builder, e.g. ``{"units": 64}``.
    validation : "test", float or None
        ``"test"`` validates on the test set after each epoch (as the seed
        lessons do); a float holds out that fraction of the training set
        instead; ``None`` skips validation.
    verbose : int or "auto"
        Keras's progress display: ``"auto"`` shows a bar in a terminal; ``0``
        is quiet (for scripts and docs); ``2`` prints one line per epoch.
    callbacks : sequence of keras.callbacks.Callback, optional
        Extra callbacks, e.g. :func:`brainkit.viz.live_learning_curves`.
    steps_per_execution : int or "auto"
        ``"auto"`` (the default) trains in brainkit's fused loop where one applies
        (JAX, and small float32 models on PyTorch), else with Keras's ``fit``
        running 32 steps per compiled call when no callbacks watch the steps; the
        returned model keeps Keras's default of 1, so a later ``model.fit``
        behaves as for a model you compiled. A number runs Keras's ``fit`` with
        it and leaves it on the model. ``result.fit_path`` and
        ``result.fit_settings`` say what ran.
    distribute : None, "auto", "data_parallel" or list of devices
        Data-parallel training across devices with Keras's distribution API
        (see :mod:`brainkit.distribute`).
    backend : str, optional
        Keras backend, if Keras is not imported yet.
    data_dir, download : optional
        Passed to :func:`brainkit.datasets.load`.

    Returns
    -------
    TrainResult
        The model, history, final metrics, class names and timing.
    """
    from brainkit import runtime
    from brainkit.architectures import Recipe
    from brainkit.datasets import Dataset, load

    keras = runtime.import_keras(backend)
    spe = (
        None
        if steps_per_execution in (None, "auto")
        else _positive_int("steps_per_execution", steps_per_execution)
    )
    if spe not in (None, 1) and keras.backend.backend() == "torch":
        raise RunError(
            f"steps_per_execution={spe} needs JAX or TensorFlow; Keras runs one step per "
            "call on PyTorch. Leave it at 'auto' (or 1) there."
        )
    name, arch, given_model = _resolve_architecture(architecture)
    data = (
        dataset
        if isinstance(dataset, Dataset)
        else load(dataset, data_dir=data_dir, download=download)
    )
    if data.x_train.ndim < 2:
        raise RunError(f"Data set {data.name!r} has no image inputs to train on.")

    base = arch.recipe if arch is not None else Recipe(output=_guess_output(given_model))
    overrides: dict[str, Any] = {}
    for key, value in (
        ("epochs", _positive_int("epochs", epochs)),
        ("batch_size", _positive_int("batch_size", batch_size)),
        ("optimizer", optimizer),
        ("loss", loss),
        ("learning_rate", learning_rate),
        ("metrics", tuple(metrics) if metrics is not None else None),
    ):
        if value is not None:
            overrides[key] = value
    recipe = base.replace(**overrides) if overrides else base
    if isinstance(validation, float) and not 0.0 < validation < 1.0:
        raise RunError(
            f"validation must be 'test', None or a fraction in (0, 1), got {validation!r}."
        )
    if validation not in ("test", None) and not isinstance(validation, float):
        raise RunError(
            f"validation must be 'test', None or a fraction in (0, 1), got {validation!r}."
        )

    runtime.seed_everything(seed)
    num_classes = data.num_classes
    n_train = len(data.x_train)
    pixels_known = data.x_train.dtype == np.uint8
    # With uint8 pixels the float training inputs are made only if the path taken needs them
    # (the fast paths keep the pixels; Keras's fit gets floats; see _fastfit.fit's x=None).
    x_train = None if pixels_known else recipe.scale_inputs(data.x_train)
    x_test = recipe.scale_inputs(data.x_test)
    y_train = recipe.encode_labels(data.y_train, num_classes)
    y_test = recipe.encode_labels(data.y_test, num_classes)

    from brainkit.distribute import distribution_scope

    with distribution_scope(distribute, recipe.batch_size) as mesh_info:
        if mesh_info:
            from brainkit.distribute import check_even_batches

            devices = len(mesh_info["devices"])
            check_even_batches(n_train, recipe.batch_size, devices, "the training set")
            check_even_batches(len(x_test), max(256, recipe.batch_size), devices, "the test set")
        if given_model is not None:
            model = given_model
        else:
            model = arch.build(data.input_shape, num_classes, **(hyperparameters or {}))
        model.compile(
            **recipe.compile_arguments(),
            steps_per_execution=spe or 1,
            jit_compile=_fastfit.best_jit_compile(model, data.input_shape),
        )

        fit_kwargs: dict[str, Any] = {}
        if validation == "test":
            fit_kwargs["validation_data"] = (x_test, y_test)
        elif isinstance(validation, float):
            fit_kwargs["validation_split"] = validation
        pixels = None
        if pixels_known:
            # The inputs are recipe.scale_inputs(data.x_train) elementwise: the fast path may keep
            # the uint8 pixels on the device and look each batch up in this 256-value table.
            pixels = _fastfit.Pixels(
                data.x_train,
                data.x_test if validation == "test" else None,
                recipe.scale_inputs(np.arange(256, dtype=np.uint8)),
            )
        started = time.perf_counter()
        # The same training as model.fit, in a fused loop where one applies (brainkit._fastfit).
        outcome = _fastfit.fit(
            model,
            x_train,
            y_train,
            epochs=recipe.epochs,
            batch_size=recipe.batch_size,
            verbose=verbose,
            callbacks=list(callbacks or []),
            shuffle=True,
            distributed=mesh_info is not None,
            steps_per_execution=spe,
            pixels=pixels,
            **fit_kwargs,
        )
        seconds = time.perf_counter() - started
        test_values = model.evaluate(
            x_test, y_test, batch_size=max(256, recipe.batch_size), verbose=0, return_dict=True
        )

    history_dict = {k: [float(v) for v in values] for k, values in outcome.history.history.items()}
    fit_settings = {
        **outcome.settings,
        "reason": outcome.reason,
        "epoch_seconds": [round(s, 3) for s in outcome.epoch_seconds],
    }
    metrics_out: dict[str, Any] = {
        "test_accuracy": float(
            test_values.get("accuracy", test_values.get("compile_metrics", float("nan")))
        ),
        "test_loss": float(test_values["loss"]),
        "epochs": recipe.epochs,
        "batch_size": recipe.batch_size,
        "backend": keras.backend.backend(),
        "dataset": data.name,
        "dataset_source": data.source,
        "train_examples": int(n_train),
        "test_examples": int(len(x_test)),
        "architecture": name,
        "parameters": int(model.count_params()),
        "train_seconds": round(seconds, 3),
        "seconds_per_epoch": round(seconds / recipe.epochs, 3),
        "seed": seed,
        "fit_path": outcome.path,
        "fit_settings": fit_settings,
    }
    if mesh_info:
        metrics_out["distribution"] = mesh_info
    for key, value in test_values.items():
        if key not in ("loss", "accuracy"):
            metrics_out[f"test_{key}"] = float(value)
    result = TrainResult(
        model=model,
        history=history_dict,
        metrics=metrics_out,
        class_names=tuple(data.class_names),
        recipe=recipe.as_dict(),
        architecture=name,
        dataset_name=data.name,
        seconds=seconds,
        input_shape=tuple(data.input_shape),
        fit_path=outcome.path,
        fit_settings=fit_settings,
    )
    result._data = data  # the data set it was trained on, so plots need no second load
    return result


def load_run(path: str | os.PathLike[str], backend: str | None = None) -> TrainResult:
    """Load a run saved by :meth:`TrainResult.save` or ``brainkit train``.

    The model is loaded with Keras's safe mode (no arbitrary code), on any
    installed backend: a run trained with JAX loads on PyTorch or TensorFlow.

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
    missing = [
        name for name in (RUN_FILE, MODEL_FILE, METRICS_FILE) if not (folder / name).is_file()
    ]
    if missing:
        raise RunError(f"{folder} is not a brainkit run: {', '.join(missing)} missing.")
    try:
        meta = json.loads((folder / RUN_FILE).read_text())
        metrics = json.loads((folder / METRICS_FILE).read_text())
        history = (
            json.loads((folder / HISTORY_FILE).read_text())
            if (folder / HISTORY_FILE).is_file()
            else {}
        )
    except ValueError as exc:
        raise RunError(f"{folder} has a damaged JSON file ({exc}); train the run again.") from exc
    if meta.get("format") != RUN_FORMAT:
        raise RunError(
            f"{folder} was written in run format {meta.get('format')!r}; this brainkit reads {RUN_FORMAT}."
        )
    from brainkit import runtime

    keras = runtime.import_keras(backend)
    try:
        # compile=False: the saved compile settings (e.g. steps_per_execution) may not suit this
        # backend; the model is compiled again from the run's recipe below.
        model = keras.saving.load_model(folder / MODEL_FILE, safe_mode=True, compile=False)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a bad file
        raise RunError(f"Cannot load {folder / MODEL_FILE}: {exc}") from exc
    from brainkit.architectures import Recipe

    try:
        recipe = Recipe(
            **{**meta["recipe"], "metrics": tuple(meta["recipe"].get("metrics", ("accuracy",)))}
        )
    except (TypeError, ValueError) as exc:
        raise RunError(
            f"{folder / RUN_FILE} holds a recipe this brainkit cannot use: {exc}"
        ) from exc
    input_shape = tuple(meta.get("input_shape", (28, 28)))
    model.compile(
        **recipe.compile_arguments(), jit_compile=_fastfit.best_jit_compile(model, input_shape)
    )
    return TrainResult(
        model=model,
        history=history,
        metrics=metrics,
        class_names=tuple(meta["class_names"]),
        recipe=dict(meta["recipe"]),
        architecture=meta["architecture"],
        dataset_name=meta["dataset"],
        seconds=float(meta.get("seconds", 0.0)),
        input_shape=input_shape,
        fit_path=str(metrics.get("fit_path", "keras-fit")),
        fit_settings=dict(metrics.get("fit_settings") or {}),
        path=folder,
    )


def _as_run(run: Any) -> TrainResult:
    if isinstance(run, TrainResult):
        return run
    if isinstance(run, (str, os.PathLike)):
        return load_run(run)
    raise RunError(f"Expected a TrainResult or a run folder, got {type(run).__name__}.")


def evaluate(run: Any, dataset: Any = None, split: str = "test") -> dict[str, float]:
    """Evaluate a trained run on a data set split.

    Parameters
    ----------
    run : TrainResult or path
        A result of :func:`train`, or a saved run folder.
    dataset : str or Dataset, optional
        Defaults to the data set the run was trained on.
    split : {"test", "train"}

    Returns
    -------
    dict
        ``loss``, ``accuracy`` (and any other compiled metric), plus ``examples``.
    """
    result = _as_run(run)
    if split not in ("test", "train"):
        raise RunError(f"split must be 'test' or 'train', got {split!r}.")
    from brainkit.datasets import Dataset, load

    if dataset is None:
        data = result.dataset()
    else:
        data = dataset if isinstance(dataset, Dataset) else load(dataset)
    if tuple(data.input_shape) != tuple(result.input_shape):
        raise RunError(
            f"The run expects inputs of shape {tuple(result.input_shape)} but {data.name!r} has {data.input_shape}."
        )
    x, y = (data.x_test, data.y_test) if split == "test" else (data.x_train, data.y_train)
    y_enc = (
        np.eye(len(result.class_names), dtype="float32")[y]
        if result.recipe.get("label_encoding") == "one_hot"
        else y.astype("int32")
    )
    values = result.model.evaluate(
        result.preprocess(x), y_enc, batch_size=512, verbose=0, return_dict=True
    )
    out = {k: float(v) for k, v in values.items()}
    out["examples"] = int(len(x))
    return out


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


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def probabilities(run: Any, images: Any) -> np.ndarray:
    """Return class probabilities ``(N, classes)`` for a batch of raw images."""
    result = _as_run(run)
    x = result.preprocess(images)
    outputs = np.asarray(result.model.predict(x, batch_size=512, verbose=0), dtype=np.float64)
    if result.output == "logits":
        return _softmax(outputs)
    return outputs / np.clip(outputs.sum(axis=-1, keepdims=True), 1e-12, None)


def predict(run: Any, images: Any, top: int = 3) -> Prediction | list[Prediction]:
    """Predict the class of one image or a batch, with names and probabilities.

    A single image (``28 x 28``) is batched for you; a path to a PNG/JPEG is
    converted with :func:`brainkit.images.load_image` first. Logits are
    turned into probabilities with a softmax.

    Parameters
    ----------
    run : TrainResult or path
        A trained run.
    images : array-like, path, or list of paths
        One image ``(H, W)``, a batch ``(N, H, W)``, or image files.
    top : int
        How many classes to list per prediction.

    Returns
    -------
    Prediction or list of Prediction
        One :class:`Prediction` for a single image, a list for a batch.
    """
    result = _as_run(run)
    shape = tuple(result.input_shape)
    single = False
    if isinstance(images, (str, os.PathLike)):
        images, single = [images], True
    if isinstance(images, (list, tuple)) and images and isinstance(images[0], (str, os.PathLike)):
        from brainkit.images import load_image

        batch = np.stack([load_image(p, size=shape[:2], style=result.dataset_name) for p in images])
    else:
        batch = np.asarray(images)
        if batch.shape == shape:
            batch, single = batch[None], True
        elif batch.shape[1:] != shape:
            raise RunError(
                f"Images must have shape {shape} (one image) or (N, {', '.join(map(str, shape))}) "
                f"(a batch); got {batch.shape}. Use brainkit.images.load_image() for a picture file."
            )
    probs = probabilities(result, batch)
    names = result.class_names
    k = max(1, min(int(top), len(names)))
    out = []
    for row in probs:
        order = np.argsort(row)[::-1][:k]
        out.append(
            Prediction(
                label=int(order[0]),
                class_name=names[int(order[0])],
                probability=float(row[order[0]]),
                probabilities=row,
                top=[(names[int(i)], float(row[i])) for i in order],
            )
        )
    return out[0] if single else out
