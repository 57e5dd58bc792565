"""brainkit's fit: Keras's ``model.fit`` with the best settings Keras offers, and three fused loops.

:func:`fit` trains a compiled model exactly as ``model.fit`` would (same model,
optimizer, loss, metrics, batch size, epochs, each epoch's order drawn as
``fit`` draws it, the last smaller batch as a step of its own) and returns
what ran in a :class:`FitOutcome`. Where Keras's own loop is measurably
slower for the lessons' small models (``benchmarks/bench_lessons.py``: the
loops must beat Keras's best settings by 1.5x in the same run), a loop runs
chunks of an epoch in one compiled call:

JAX (``"jax-loop"``)
    The images go to the device once (as ``uint8`` pixels when :class:`Pixels`
    says how they became the inputs); a jitted ``jax.lax.fori_loop`` calls
    the model's own stateless ``train_step``, so the loss, optimizer, loss
    scaling, metrics, batch-norm statistics, dropout seeds and the logs of a
    custom ``train_step`` are Keras's. Models whose forward pass convolves
    use ``fit``: XLA runs convolutions inside a long loop several times slower
    on a CPU.
TensorFlow (``"tf-loop"``)
    The same design in a ``tf.function`` (XLA when the model is compiled with
    ``jit_compile=True``, see :func:`best_jit_compile`) calling ``train_step``.
PyTorch (``"torch-loop"``)
    For models whose layers compute the same in training and inference and
    keep no state besides float32 weights, the forward pass and loss are
    recorded once with ``torch.jit.trace`` on the model's own weights; the
    update is the model's Keras optimizer (plain Adam as PyTorch's fused
    Adam kernel, the same arithmetic). Small models run on one thread.

Elsewhere ``model.fit`` runs, with ``steps_per_execution`` raised while no
callbacks watch the steps and set back afterwards. The loops are tested
against ``model.fit`` (``tests/test_fit_parity.py``) with the Keras versions
in :data:`TESTED_KERAS`; with another version, callbacks, a distribution, an
explicit ``steps_per_execution`` or ``BRAINKIT_FASTFIT=0``, :func:`fit` uses
``model.fit`` and says why.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from brainkit.runtime import enable_compile_cache, import_keras

__all__ = [
    "DISABLE_ENV",
    "TESTED_KERAS",
    "FitOutcome",
    "Pixels",
    "best_jit_compile",
    "fit",
    "why_not_fast",
]

#: Set to ``0`` to always train with Keras's ``model.fit``.
DISABLE_ENV = "BRAINKIT_FASTFIT"

#: Keras versions (major, minor) the loops are tested with; others use ``model.fit``.
TESTED_KERAS = ((3, 15),)

#: ``steps_per_execution`` for ``model.fit`` when no callback watches the steps (JAX, TF).
FIT_STEPS_PER_EXECUTION = 32

#: Validation batch size of the loops (results do not depend on it beyond rounding).
VALIDATION_BATCH = 1000

#: Progress-bar updates per epoch with ``verbose=1``.
PROGRESS_UPDATES = 20

#: Data larger than this stays with Keras's ``fit`` (it streams batches from the host).
MAX_DEVICE_BYTES = 4 << 30


@dataclass
class FitOutcome:
    """What :func:`fit` ran, and what it gave.

    Attributes
    ----------
    history : keras.callbacks.History
        As ``model.fit`` returns it (``history.history`` holds the per-epoch values).
    path : str
        ``"jax-loop"``, ``"tf-loop"``, ``"torch-loop"`` or ``"keras-fit"``.
    reason : str or None
        Why ``model.fit`` ran instead of a loop (``None`` when a loop ran).
    settings : dict
        The settings that ran: ``steps_per_execution``, ``jit_compile`` and, for the
        PyTorch loop, ``threads``.
    epoch_seconds : list of float
        Wall time of every epoch (the first includes compiling).
    """

    history: Any
    path: str
    reason: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    epoch_seconds: list[float] = field(default_factory=list)


def _backend() -> str:
    return str(import_keras().backend.backend())


def best_jit_compile(model: Any, input_shape: Sequence[int]) -> bool | str:
    """The ``jit_compile`` to compile ``model`` with: Keras's ``"auto"``, except on TensorFlow.

    On a CPU Keras leaves XLA off for TensorFlow; for the lessons' small dense
    models XLA with several steps per call is the fastest way Keras offers
    (``benchmarks/bench_lessons.py``). Models whose graph convolves keep
    TensorFlow's own kernels, which XLA's CPU backend does not beat.
    """
    if _backend() != "tensorflow" or not all(
        getattr(layer, "supports_jit", True) for layer in model._flatten_layers()
    ):
        return "auto"
    import tensorflow as tf

    spec = tf.TensorSpec((1, *input_shape), tf.float32)
    graph = tf.function(lambda x: model(x)).get_concrete_function(spec).graph
    return not any("Conv" in op.type for op in graph.get_operations())


def why_not_fast(
    model: Any,
    x: Any,
    y: Any,
    *,
    callbacks: Sequence[Any] | None = None,
    distributed: bool = False,
    validation_data: Any = None,
    steps_per_execution: int | None = None,
) -> str | None:
    """Return why no loop can train this model (so ``model.fit`` will), or ``None`` when one can."""
    keras = import_keras()
    backend = _backend()
    if steps_per_execution is not None:
        return f"steps_per_execution={steps_per_execution} was asked for"
    if os.environ.get(DISABLE_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return f"{DISABLE_ENV}=0"
    if backend not in ("jax", "torch", "tensorflow"):
        return f"backend {backend!r} has no brainkit loop"
    version = tuple(int(p) for p in keras.__version__.split(".")[:2] if p.isdigit())
    if version not in TESTED_KERAS:
        tested = ", ".join(".".join(map(str, v)) for v in TESTED_KERAS)
        return f"the {backend} loop is tested with Keras {tested}, not {keras.__version__}"
    if callbacks:
        return "callbacks were given (they may watch every step)"
    if distributed or keras.distribution.distribution() is not None:
        return "training is distributed"
    if getattr(model, "run_eagerly", False):
        return "the model runs eagerly"
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        return "the model is not compiled with an optimizer and a loss"
    arrays = [x, y] + (list(validation_data[:2]) if validation_data is not None else [])
    if not all(isinstance(a, (np.ndarray, _PixelRows)) for a in arrays):
        return "the data are not NumPy arrays"
    if validation_data is not None and len(validation_data) > 2 and validation_data[2] is not None:
        return "validation sample weights were given"
    if sum(a.nbytes for a in arrays) > MAX_DEVICE_BYTES:
        return "the data are too large to keep on the device"
    if backend == "jax":
        if not model.jit_compile:
            return "the model is not jit-compiled"
        with contextlib.suppress(AttributeError):  # Keras without Flax NNX support
            if keras.config.is_nnx_enabled():
                return "Flax NNX is enabled"
    return None  # the loops look further while preparing (convolutions, training-only layers)


def _torch_why_not(model: Any, keras: Any, probe: np.ndarray) -> str | None:
    """The PyTorch loop records the forward pass once: it must not depend on training or state."""
    if not model.built:
        return "the model is not built yet (Keras's fit builds it)"
    kind = type(model)
    for name in ("train_step", "compute_loss", "compute_metrics"):
        if getattr(kind, name) is not getattr(keras.Model, name):
            return f"the model has its own {name}"
    if model.non_trainable_variables:
        return "the model has non-trainable state"
    if model.losses:
        return "the model adds regularization losses"
    if any(str(v.dtype) != "float32" for v in model.trainable_variables) or (
        getattr(model.dtype_policy, "compute_dtype", "float32") != "float32"
    ):
        return "the model does not compute in float32 (e.g. mixed precision)"
    opt = model.optimizer
    if isinstance(opt, keras.optimizers.LossScaleOptimizer):
        return "the optimizer scales the loss (mixed precision)"
    if getattr(opt, "gradient_accumulation_steps", None) or getattr(opt, "use_ema", False):
        return "the optimizer accumulates gradients or keeps an EMA"
    outputs = [keras.ops.convert_to_numpy(model(probe, training=t)) for t in (False, True, True)]
    if not all(np.allclose(outputs[0], o, rtol=1e-5, atol=1e-6) for o in outputs[1:]):
        return "the model computes differently in training"
    return None


def fit(
    model: Any,
    x: Any,
    y: Any,
    *,
    epochs: int,
    batch_size: int,
    verbose: int | str = "auto",
    callbacks: Sequence[Any] | None = None,
    validation_data: Any = None,
    validation_split: float | None = None,
    shuffle: bool = True,
    distributed: bool = False,
    steps_per_execution: int | None = None,
    pixels: Pixels | None = None,
) -> FitOutcome:
    """Train a compiled Keras model as ``model.fit`` does; say what ran.

    Parameters
    ----------
    model : keras.Model
        A compiled model.
    x : numpy.ndarray or None
        Training inputs; ``None`` when ``pixels`` gives them (``pixels.table[pixels.train]``):
        the float array is then made only if the path taken needs it.
    y : numpy.ndarray
        Training targets.
    epochs, batch_size : int
        As for ``fit``.
    verbose : int or "auto"
        ``0`` prints nothing, ``1`` (``"auto"``) a progress bar, ``2`` one line per epoch.
    callbacks : sequence of keras.callbacks.Callback, optional
        Given callbacks make it use ``model.fit`` (one step per call, so they see every batch).
    validation_data : (x, y), optional
        Validated on after every epoch (``val_`` keys in the history).
    validation_split : float, optional
        Hold out the last fraction of ``x, y`` (before shuffling), as ``fit`` does.
    shuffle : bool
        A new random order of the training examples every epoch.
    distributed : bool
        True inside a :func:`brainkit.distribute.distribution_scope` that distributes.
    steps_per_execution : int, optional
        Run ``model.fit`` with this setting (and keep it on the model). By default
        ``model.fit`` runs :data:`FIT_STEPS_PER_EXECUTION` steps per call on JAX and
        TensorFlow when no callbacks are given, and the model keeps Keras's default of 1.
    pixels : Pixels, optional
        The ``uint8`` images ``x`` (and the validation inputs) were made from: the
        loops then keep those on the device instead of the floats.

    Returns
    -------
    FitOutcome
    """
    if x is None:
        if pixels is None:
            raise ValueError("fit needs x, or pixels to make x from")
        x = _PixelRows(pixels.train, pixels.table)
    reason = why_not_fast(
        model,
        x,
        y,
        callbacks=callbacks,
        distributed=distributed,
        validation_data=validation_data,
        steps_per_execution=steps_per_execution,
    )
    if reason is None:
        loop = {"jax": _JaxLoop, "torch": _TorchLoop, "tensorflow": _TfLoop}[_backend()]
        try:
            runner = loop(
                model, x, y, batch_size, validation_data, validation_split, shuffle, pixels
            )
        except _Declined as exc:
            reason = str(exc)
        else:
            history, seconds = runner.run(epochs, verbose)
            return FitOutcome(history, runner.name, None, runner.settings(), seconds)
    return _keras_fit(
        model,
        _materialize(x),
        y,
        reason,
        epochs=epochs,
        batch_size=batch_size,
        verbose=verbose,
        callbacks=list(callbacks or []),
        validation_data=validation_data,
        validation_split=validation_split,
        shuffle=shuffle,
        steps_per_execution=steps_per_execution,
    )


class _Declined(Exception):
    """A loop found, while preparing, that ``model.fit`` must train this model (the message says why)."""


def _keras_fit(
    model: Any,
    x: Any,
    y: Any,
    reason: str,
    *,
    callbacks: list[Any],
    steps_per_execution: int | None,
    **kwargs: Any,
) -> FitOutcome:
    if kwargs.get("validation_data") is None:
        kwargs.pop("validation_data")
    if not kwargs.get("validation_split"):
        kwargs.pop("validation_split")
    spe = steps_per_execution
    if spe is None:
        unwatched = not callbacks and _backend() in ("jax", "tensorflow")
        spe = FIT_STEPS_PER_EXECUTION if unwatched else 1
    timer = _epoch_timer()
    # (One thread, which helps brainkit's PyTorch loop, made Keras's own PyTorch fit slower:
    # 72 s against 60 s with the default threads for the lesson MLP, benchmarks/results.)
    with _steps_per_execution(model, spe, keep=steps_per_execution is not None), _flush_denormals():
        from keras.callbacks import TerminateOnNaN

        history = model.fit(x, y, callbacks=[*callbacks, timer, TerminateOnNaN()], **kwargs)
    settings = {"steps_per_execution": spe, "jit_compile": bool(model.jit_compile)}
    return FitOutcome(history, "keras-fit", reason, settings, list(timer.seconds))


def _diverged(logs: dict[str, float]) -> bool:
    """Whether an epoch's values went non-finite: training stops there, as Keras's
    ``TerminateOnNaN`` stops ``fit`` (``brainkit.train`` then says what diverged)."""
    return not all(math.isfinite(v) for v in logs.values())


def _small_model_threads(model: Any, batch_size: int) -> int | None:
    """1 for a small model at a small batch on PyTorch (handing 32-row products between threads
    costs more than it saves), else None (the library's default)."""
    if _backend() != "torch" or not model.built:
        return None
    return 1 if model.count_params() * batch_size <= 2e7 else None


@contextlib.contextmanager
def _flush_denormals() -> Iterator[None]:
    """On PyTorch, treat numbers below ~1e-38 as zero while training, as XLA does on JAX and
    TensorFlow: x86 CPUs compute with such "denormal" numbers many times slower, and Adam's
    second moments reach them (the lesson's PyTorch epochs took twice as long)."""
    import sys

    torch = sys.modules.get("torch")
    if _backend() != "torch" or torch is None or not torch.set_flush_denormal(True):
        yield
        return
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


@contextlib.contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    if not threads:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def _steps_per_execution(model: Any, steps: int, keep: bool) -> Iterator[None]:
    """Run Keras's fit with ``steps`` per call; afterwards the model has its own setting back.

    ``model.steps_per_execution`` is what ``compile`` sets and what ``fit``,
    ``evaluate`` and ``predict`` read; the compiled functions are made again
    (``make_*_function(force=True)``) so that they follow it.
    """
    before = model.steps_per_execution
    if steps == before:
        yield
        return
    _set_steps_per_execution(model, steps)
    try:
        yield
    finally:
        if not keep:
            _set_steps_per_execution(model, before)


def _set_steps_per_execution(model: Any, steps: int) -> None:
    model.steps_per_execution = steps
    for make in (model.make_train_function, model.make_test_function, model.make_predict_function):
        make(force=True)


def _epoch_timer() -> Any:
    """A callback that keeps the wall time of every epoch."""
    from keras.callbacks import Callback

    class EpochTimer(Callback):
        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []
            self._started = 0.0

        def on_epoch_begin(self, epoch, logs=None):  # noqa: ANN001 - Keras's signature
            self._started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):  # noqa: ANN001 - Keras's signature
            self.seconds.append(time.perf_counter() - self._started)

    return EpochTimer()


def _callbacks(model: Any, epochs: int, steps: int, verbose: int) -> Any:
    from keras.callbacks import CallbackList

    return CallbackList(
        None,
        add_history=True,
        add_progbar=verbose != 0,
        verbose=verbose,
        epochs=epochs,
        steps=steps,
        model=model,
    )


def _chunks(steps: int, verbose: int) -> list[tuple[int, int]]:
    """The (start, stop) step ranges of one epoch: one call, or 20 so that a progress bar moves."""
    parts = min(PROGRESS_UPDATES, steps) if verbose == 1 else 1
    edges = [round(i * steps / parts) for i in range(parts + 1)]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def _split(x: Any, y: np.ndarray, fraction: float) -> tuple[Any, ...]:
    # Keras's own rule (array_slicing.train_validation_split): the last fraction, unshuffled.
    split_at = int(math.floor(len(x) * (1.0 - fraction)))
    if split_at == 0 or split_at == len(x):
        raise ValueError(f"validation_split={fraction} leaves no training or no validation data")
    if isinstance(x, _PixelRows):
        return (
            x.rows(slice(None, split_at)),
            y[:split_at],
            x.rows(slice(split_at, None)),
            y[split_at:],
        )
    return x[:split_at], y[:split_at], x[split_at:], y[split_at:]


def _prepare(
    model: Any,
    x: Any,
    y: np.ndarray,
    batch_size: int,
    validation_data: Any,
    validation_split: float | None,
) -> tuple[Any, np.ndarray, Any, bool]:
    """Split off validation data as ``fit`` would; build the model, metrics and optimizer.

    Returns the training inputs and targets, the validation pair (or None), and whether
    Keras's ``fit`` would take a first batch from a shuffled epoch to build what ``compile``
    left unbuilt (it does on the first ``fit`` after ``compile``, drawing one shuffle: the
    loops draw it too, so that the epochs' orders are ``fit``'s).
    """
    val = None
    if validation_data is not None:
        val = (np.asarray(validation_data[0]), np.asarray(validation_data[1]))
    elif validation_split:
        x, y, vx, vy = _split(x, y, validation_split)
        val = (vx, vy)
    if len(x) == 0:
        raise _Declined("there are no training examples")
    bs = min(int(batch_size), len(x))
    parts = (model._compile_metrics, model._compile_loss)
    unbuilt = not all(layer.built for layer in model._flatten_layers()) or any(
        p is not None and not p.built for p in parts
    )
    model._symbolic_build(data_batch=(x[:bs], y[:bs]))  # what fit does first, from a batch's shapes
    if getattr(model.optimizer, "built", True) is False:
        model.optimizer.build(model.trainable_variables)
    return x, y, val, unbuilt


class Pixels:
    """Raw ``uint8`` images behind float inputs: ``x == table[codes]`` exactly.

    When brainkit knows that the float inputs were made from ``uint8`` pixels
    by an elementwise rule (``x / 255``), the fast path keeps the pixels on
    the device (4x less memory) and turns each batch into floats with the
    256-entry ``table``, giving bit-for-bit the inputs ``fit`` would see.

    Attributes
    ----------
    train : numpy.ndarray of uint8
        The training images (before any validation split).
    validation : numpy.ndarray of uint8 or None
        The images of ``validation_data``, if any.
    table : numpy.ndarray
        ``table[v]`` is the input value of pixel value ``v`` (256 entries).
    """

    def __init__(self, train: Any, validation: Any, table: Any) -> None:
        self.train = np.asarray(train)
        self.validation = None if validation is None else np.asarray(validation)
        self.table = np.asarray(table)

    def matches(self, codes: np.ndarray | None, x: np.ndarray) -> bool:
        """Whether ``x`` is ``table[codes]`` (checked on the first rows, shapes in full)."""
        if codes is None or codes.dtype != np.uint8 or codes.shape != x.shape:
            return False
        if self.table.shape != (256,) or self.table.dtype != x.dtype:
            return False
        head = slice(0, min(len(x), 512))
        return bool(np.array_equal(self.table[codes[head]], x[head]))


class _PixelRows:
    """The float inputs ``table[codes]``, made only for the rows asked for.

    Stands for ``x`` when :func:`fit` is given ``x=None`` and :class:`Pixels`:
    a fast path that keeps the ``uint8`` pixels on the device never needs the
    whole float array (188 MB for Fashion-MNIST's training set). Indexing
    returns floats; ``numpy.asarray`` makes the whole array (for Keras's
    ``fit``).
    """

    def __init__(self, codes: np.ndarray, table: np.ndarray) -> None:
        self.codes = codes
        self.table = table
        self.shape = codes.shape
        self.dtype = table.dtype
        self.ndim = codes.ndim
        self.nbytes = int(codes.size) * table.dtype.itemsize

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, index: Any) -> np.ndarray:
        return self.table[self.codes[index]]

    def rows(self, index: slice) -> _PixelRows:
        """The same, for a slice of the rows (nothing is made)."""
        return _PixelRows(self.codes[index], self.table)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        values = self.table[self.codes]
        return values if dtype is None else values.astype(dtype, copy=False)


def _materialize(x: Any) -> np.ndarray:
    return np.asarray(x) if isinstance(x, _PixelRows) else x


class _EpochLoop:
    """What the JAX and TensorFlow loops share: the data on the device, and the epochs.

    A subclass puts arrays on the device (:meth:`put`), runs ``stop - start`` steps of
    an epoch's ``order`` in one compiled call (:meth:`train_chunk`), the smaller last
    batch (:meth:`train_rest`) and a validation pass (:meth:`validate`), each returning
    the logs of the last ``train_step`` / ``test_step``.
    """

    name = ""

    def __init__(
        self,
        model: Any,
        x: Any,
        y: np.ndarray,
        batch_size: int,
        validation_data: Any,
        validation_split: float | None,
        shuffle: bool,
        pixels: Pixels | None,
    ) -> None:
        n_all = len(x)
        x, y, val, self.unbuilt = _prepare(
            model, x, y, batch_size, validation_data, validation_split
        )
        codes = val_codes = None
        if pixels is not None:
            codes, val_codes = pixels.train[: len(x)], pixels.validation
            if validation_split and len(pixels.train) == n_all:
                val_codes = pixels.train[len(x) :]
        self.model, self.shuffle = model, shuffle
        self.n = len(x)
        self.batch_size = min(int(batch_size), self.n)
        self.steps, self.remainder = divmod(self.n, self.batch_size)
        self.x_host, self.y_host = x, y
        # uint8 pixels stay uint8 on the device; each batch becomes floats through the table.
        use_codes = pixels is not None and pixels.matches(codes, x)
        self.table = self.put(pixels.table) if use_codes else None
        self.x = self.put(codes if use_codes else _materialize(x))
        self.y = self.put(y)
        self.val = None
        if val is not None and len(val[0]):
            self.val_host = val
            self.val_batch = min(VALIDATION_BATCH, len(val[0]))
            self.val_steps = len(val[0]) // self.val_batch
            val_codes_ok = use_codes and pixels.matches(val_codes, val[0])
            self.val_table = self.table if val_codes_ok else None
            self.val = (
                self.put(val_codes if val_codes_ok else _materialize(val[0])),
                self.put(val[1]),
            )

    def put(self, array: np.ndarray) -> Any:
        raise NotImplementedError

    def settings(self) -> dict[str, Any]:
        return {"steps_per_execution": None, "jit_compile": bool(self.model.jit_compile)}

    def run(self, epochs: int, verbose: int | str) -> tuple[Any, list[float]]:
        verbose = 1 if verbose == "auto" else int(verbose)
        model = self.model
        total_steps = self.steps + (1 if self.remainder else 0)
        callbacks = _callbacks(model, epochs, total_steps, verbose)
        model.stop_training = False
        seconds: list[float] = []
        epoch_logs: dict[str, float] = {}
        callbacks.on_train_begin()
        for epoch in range(epochs):
            started = time.perf_counter()
            model.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            order = self.begin_epoch()
            logs: dict[str, Any] = {}
            for start, stop in _chunks(self.steps, verbose):
                logs = self.train_chunk(order, start, stop)
                if verbose == 1:
                    callbacks.on_train_batch_end(stop - 1, logs)
            if self.remainder:
                rest = np.asarray(order)[self.steps * self.batch_size :]
                logs = self.train_rest(_materialize(self.x_host[rest]), self.y_host[rest])
                if verbose == 1:
                    callbacks.on_train_batch_end(total_steps - 1, logs)
            epoch_logs = {k: float(v) for k, v in logs.items()}
            if self.val is not None:
                epoch_logs.update({f"val_{k}": float(v) for k, v in self.validate().items()})
            self.end_epoch()
            seconds.append(time.perf_counter() - started)
            callbacks.on_epoch_end(epoch, epoch_logs)
            if model.stop_training or _diverged(epoch_logs):
                break
        if epochs > 0 and hasattr(model.optimizer, "finalize_variable_values"):
            model.optimizer.finalize_variable_values(model.trainable_weights)
        callbacks.on_train_end(logs=epoch_logs)
        return model.history, seconds


class _JaxLoop(_EpochLoop):
    """JAX: a jitted ``fori_loop`` calling the model's stateless ``train_step``."""

    name = "jax-loop"

    def __init__(self, model: Any, x: Any, y: np.ndarray, *args: Any) -> None:
        import jax
        import jax.numpy as jnp

        self.jax, self.jnp = jax, jnp
        if not model.built:
            raise _Declined("the model is not built yet (Keras's fit builds it)")
        forward = jax.make_jaxpr(lambda tv, ntv, xb: model.stateless_call(tv, ntv, xb))
        tv = [v.value for v in model.trainable_variables]
        ntv = [v.value for v in model.non_trainable_variables]
        if "conv_general_dilated" in str(forward(tv, ntv, _materialize(x[:1]))):
            # Measured on a 2-core CPU: a CNN epoch inside one long compiled loop ran ~10x slower
            # (about 360 s against 31 s) than Keras's fit, whose steps are compiled one by one.
            raise _Declined(
                "the model convolves, which XLA runs faster through Keras's fit on a CPU"
            )
        super().__init__(model, x, y, *args)
        if self.unbuilt and self.shuffle:
            np.random.permutation(self.n)  # the shuffle fit draws to build (see _prepare)
        enable_compile_cache()  # also when Keras was imported before brainkit
        self._train_chunk = jax.jit(self._train_loop)
        self._eval_chunk = jax.jit(self._eval_loop, static_argnums=(5,))
        self._train_one = jax.jit(self._train_step)
        self._eval_one = jax.jit(self._test_step)

    def put(self, array: np.ndarray) -> Any:
        return self.jax.device_put(array)

    # -- state: the lists Keras's own JAX fit passes to train_step ---------------------------
    def _groups(self) -> tuple[list[Any], ...]:
        m = self.model
        return (m.trainable_variables, m.non_trainable_variables,
                m.optimizer.variables, m.metrics_variables)  # fmt: skip

    def begin_epoch(self) -> np.ndarray:
        self.state = tuple([v.value for v in group] for group in self._groups())
        self.reset_metrics = self.state[3]
        # fit's own draw (the NumPy iterator of Keras's array adapter): the same order.
        order = np.random.permutation(self.n) if self.shuffle else np.arange(self.n)
        self.order = order.astype(np.int32)
        full = self.order[: self.steps * self.batch_size].reshape(self.steps, self.batch_size)
        self.device_order = self.jax.device_put(full)
        return self.order

    def train_chunk(self, order: Any, start: int, stop: int) -> dict[str, Any]:
        self.state, logs = self._train_chunk(
            self.state, self.x, self.y, self.table, self.device_order, start, stop
        )
        return logs

    def train_rest(self, xb: np.ndarray, yb: np.ndarray) -> dict[str, Any]:
        self.state, logs = self._train_one(self.state, xb, yb)
        return logs

    def validate(self) -> dict[str, Any]:
        vx, vy = self.val
        state: Any = (self.state[0], self.state[1], self.reset_metrics)
        logs: dict[str, Any] = {}
        done = self.val_steps * self.val_batch
        if self.val_steps:
            state, logs = self._eval_chunk(
                state, vx, vy, self.val_table, self.val_steps, self.val_batch
            )
        if done < len(vx):
            hx, hy = self.val_host
            state, logs = self._eval_one(state, _materialize(hx[done:]), hy[done:])
        # After fit the metrics hold the last values computed: validation's.
        self.state = (*self.state[:3], state[2])
        return logs

    def end_epoch(self) -> None:
        for variables, values in zip(self._groups(), self.state, strict=True):
            for variable, value in zip(variables, values, strict=True):
                variable.assign(value)

    # -- the compiled functions (logs are what the last train_step / test_step returned) -----
    def _train_batch(self, state, x, y, table, order, i):  # noqa: ANN001 - traced
        jax, jnp = self.jax, self.jnp
        batch = jax.lax.dynamic_index_in_dim(order, i, keepdims=False)
        xb = jnp.take(x, batch, axis=0)
        if table is not None:
            xb = jnp.take(table, xb.astype(jnp.int32), axis=0)
        logs, state = self.model.train_step(state, (xb, jnp.take(y, batch, axis=0)))
        return state, logs

    def _train_loop(self, state, x, y, table, order, start, stop):  # noqa: ANN001 - traced
        def body(i, st):
            return self._train_batch(st, x, y, table, order, i)[0]

        state = self.jax.lax.fori_loop(start, stop - 1, body, state)
        return self._train_batch(state, x, y, table, order, stop - 1)

    def _train_step(self, state, xb, yb):  # noqa: ANN001 - traced
        logs, state = self.model.train_step(state, (xb, yb))
        return state, logs

    def _eval_batch(self, state, x, y, table, i, batch):  # noqa: ANN001 - traced
        jax, jnp = self.jax, self.jnp
        xb = jax.lax.dynamic_slice_in_dim(x, i * batch, batch)
        if table is not None:
            xb = jnp.take(table, xb.astype(jnp.int32), axis=0)
        yb = jax.lax.dynamic_slice_in_dim(y, i * batch, batch)
        logs, state = self.model.test_step(state, (xb, yb))
        return state, logs

    def _eval_loop(self, state, x, y, table, steps, batch):  # noqa: ANN001 - traced
        def body(i, st):
            return self._eval_batch(st, x, y, table, i, batch)[0]

        state = self.jax.lax.fori_loop(0, steps - 1, body, state)
        return self._eval_batch(state, x, y, table, steps - 1, batch)

    def _test_step(self, state, xb, yb):  # noqa: ANN001 - traced
        logs, state = self.model.test_step(state, (xb, yb))
        return state, logs


class _TorchLoop:
    """A lean PyTorch loop: the model's forward pass and loss recorded once, Keras's optimizer.

    Keras's PyTorch ``fit`` runs every layer's Python ``__call__`` at every step;
    here the forward pass and the loss are recorded once with ``torch.jit.trace``
    (for models whose layers behave the same in training and inference and keep
    no state, see :func:`_torch_why_not`), the data stay in ``torch`` tensors, and the
    optimizer is the model's own Keras optimizer (Adam without extras runs as
    the same update in PyTorch's fused Adam kernel). Small
    models at small batches run on one thread: handing 32-row products between
    threads costs more than it saves.
    """

    name = "torch-loop"

    def __init__(
        self,
        model: Any,
        x: Any,
        y: np.ndarray,
        batch_size: int,
        validation_data: Any,
        validation_split: float | None,
        shuffle: bool,
        pixels: Pixels | None = None,
    ) -> None:
        import torch

        self.torch = torch
        reason = _torch_why_not(model, import_keras(), _materialize(x[:2]))
        if reason:
            raise _Declined(reason)
        x, y, val, unbuilt = _prepare(model, x, y, batch_size, validation_data, validation_split)
        self.model = model
        self.val = None if val is None else (_materialize(val[0]), val[1])
        self.n = len(x)
        self.batch_size = min(int(batch_size), self.n)
        self.steps = -(-self.n // self.batch_size)
        self.shuffle = shuffle
        if unbuilt and shuffle:
            self._order(self.n)  # the shuffle fit draws to build (see _prepare)
        # uint8 pixels stay uint8 (4x less memory); each batch becomes floats through the table.
        self.table = None
        if isinstance(x, _PixelRows):
            self.table = torch.from_numpy(np.ascontiguousarray(x.table))
            x = x.codes
        self.x = torch.from_numpy(np.ascontiguousarray(x))
        self.y = torch.from_numpy(np.ascontiguousarray(y))
        self.variables = list(model.trainable_variables)
        self.params = [v.value for v in self.variables]
        self.threads = _small_model_threads(model, self.batch_size)
        self.forward = self._trace(self.batch_size)
        rest = self.n % self.batch_size
        # The last, smaller batch gets its own recording (a recording may hold its shapes).
        self.forward_rest = self._trace(rest) if rest else None
        self.adam = self._plain_adam()
        self._step_tensor = torch.ones((), dtype=torch.float32)  # the fused kernel's step count
        self._fused = self._fused_available()

    def _order(self, n: int) -> Any:
        """This epoch's order: fit's own draw (a DataLoader over a RandomSampler, as Keras makes)."""
        loader = self.torch.utils.data.DataLoader(range(n), batch_size=n, shuffle=self.shuffle)
        return next(iter(loader))

    def _inputs(self, idx: Any) -> Any:
        """The float inputs of the examples ``idx`` (a tensor of indices)."""
        xb = self.x.index_select(0, idx)
        return xb if self.table is None else self.torch.take(self.table, xb.long())

    def _trace(self, bs: int) -> Any:
        torch = self.torch
        model = self.model
        training = {"training": True} if getattr(model, "_call_has_training_arg", False) else {}

        class ForwardAndLoss(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, xb, yb):  # noqa: ANN001 - traced
                y_pred = self.model(xb, **training)
                loss = model._compute_loss(
                    x=xb, y=yb, y_pred=y_pred, sample_weight=None, training=True
                )
                return loss, y_pred

        with warnings.catch_warnings():  # the tracer warns about Python values it records
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(
                ForwardAndLoss(), (self._inputs(torch.arange(bs)), self.y[:bs]), check_trace=False
            )
        # The recording must use the model's own weights, not copies.
        mine = {id(p) for p in traced.parameters()}
        if not all(id(p) in mine for p in self.params):
            raise _Declined("the recorded forward pass does not share the model's weights")
        return traced

    def _plain_adam(self) -> Any:
        """Keras's Adam update as fused torch ops, when the optimizer has no extras."""
        keras = import_keras()
        opt = self.model.optimizer
        # Keras's own Adam (on torch, a backend subclass of keras.optimizers.Adam), not a user's.
        own = type(opt).__name__ == "Adam" and type(opt).__module__.startswith("keras.")
        if not (own and isinstance(opt, keras.optimizers.Adam)) or opt.amsgrad:
            return None
        if any(
            getattr(opt, k, None)
            for k in ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")
        ):
            return None
        if not isinstance(opt._learning_rate, keras.Variable) or getattr(
            opt, "loss_scale_factor", None
        ):
            return None
        if len(opt._momentums) != len(self.variables):
            return None
        return opt

    def _fused_adam(self, params, grads, m, v, lr, b1, b2, eps):  # noqa: ANN001, ANN202, PLR0913
        self.torch._fused_adam_(
            params,
            grads,
            m,
            v,
            [],
            [self._step_tensor] * len(params),
            lr=lr,
            beta1=b1,
            beta2=b2,
            weight_decay=0.0,
            eps=eps,
            amsgrad=False,
            maximize=False,
        )

    def _fused_available(self) -> bool:
        """Whether PyTorch's fused Adam kernel runs here, for these weights' dtypes (tried)."""
        torch = self.torch
        if self.adam is None or not hasattr(torch, "_fused_adam_"):
            return False
        try:
            with torch.no_grad():
                w, g, m, v = (
                    [torch.zeros(2, dtype=p.dtype, device=p.device) for p in self.params]
                    for _ in range(4)
                )
                self._fused_adam(w, g, m, v, 1e-3, 0.9, 0.999, 1e-7)
        except (RuntimeError, TypeError, NotImplementedError):
            return False  # foreach operations instead
        return True

    def _adam_state(self) -> tuple[list[Any], list[Any], float, float, float, float]:
        opt = self.adam
        return (
            [v.value for v in opt._momentums],
            [w.value for w in opt._velocities],
            float(opt.learning_rate),
            float(opt.beta_1),
            float(opt.beta_2),
            float(opt.epsilon),
        )

    def _adam_step(self, grads: list[Any], step: int, adam: tuple) -> None:
        # Keras's Adam: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
        # w -= m * alpha / (sqrt(v) + eps), alpha = lr sqrt(1 - b2^t) / (1 - b1^t).
        torch = self.torch
        m, v, lr, b1, b2, eps = adam
        if self._fused:
            # PyTorch's one-kernel Adam computes w -= lr/(1 - b1^t) m / (sqrt(v)/sqrt(1 - b2^t)
            # + eps'); with eps' = eps / sqrt(1 - b2^t) that is Keras's update exactly.
            self._step_tensor.fill_(step)
            self._fused_adam(self.params, grads, m, v, lr, b1, b2, eps / math.sqrt(1 - b2**step))
            return
        alpha = lr * math.sqrt(1 - b2**step) / (1 - b1**step)
        torch._foreach_lerp_(m, grads, 1 - b1)
        torch._foreach_lerp_(v, torch._foreach_mul(grads, grads), 1 - b2)
        denom = torch._foreach_sqrt(v)
        torch._foreach_add_(denom, eps)
        torch._foreach_div_(denom, alpha)
        torch._foreach_addcdiv_(self.params, m, denom, value=-1.0)

    def _epoch(self, epoch: int, callbacks: Any, verbose: int) -> dict[str, float]:
        torch = self.torch
        model = self.model
        bs, n = self.batch_size, self.n
        order_t = self._order(n)
        loss_sum = torch.zeros((), dtype=torch.float64)
        metrics = model._compile_metrics
        # Predictions are kept and the metrics updated in a few large batches: the same
        # totals (the metrics accumulate over the epoch) for far less Python per step.
        preds: Any = None
        flushed = 0

        def flush(upto: int) -> None:
            nonlocal flushed
            if metrics is not None and upto > flushed:
                metrics.update_state(self.y[order_t[flushed:upto]], preds[flushed:upto])
            flushed = upto

        opt = model.optimizer
        adam = self._adam_state() if self.adam is not None else None
        every = max(1, self.steps // PROGRESS_UPDATES)
        step = int(opt.iterations.value)
        for i in range(self.steps):
            idx = order_t[i * bs : (i + 1) * bs]
            xb, yb = self._inputs(idx), self.y.index_select(0, idx)
            for p in self.params:
                p.grad = None
            forward = self.forward if len(yb) == bs else self.forward_rest
            loss, y_pred = forward(xb, yb)
            loss.backward()
            grads = [p.grad for p in self.params]
            with torch.no_grad():
                if adam is not None:
                    step += 1
                    self._adam_step(grads, step, adam)
                else:
                    opt.apply(grads, self.variables)
                loss_sum += loss.detach().double() * len(yb)
                if preds is None:
                    preds = y_pred.new_empty((n, *y_pred.shape[1:]))
                preds[i * bs : i * bs + len(yb)] = y_pred.detach()
            if verbose == 1 and ((i + 1) % every == 0 or i + 1 == self.steps):
                seen = min(n, (i + 1) * bs)
                flush(seen)
                callbacks.on_train_batch_end(i, self._logs(loss_sum, seen))
        if adam is not None:
            opt.iterations.assign(step)
        flush(n)
        if self.shuffle:
            # Keras 3.15's epoch iterator opens its DataLoader again once an epoch is done: one
            # more draw from torch's generator, taken here too so the next epoch's order is fit's.
            torch.empty((), dtype=torch.int64).random_()
        return self._logs(loss_sum, n)

    def _logs(self, loss_sum: Any, seen: int) -> dict[str, float]:
        tracker = self.model._loss_tracker
        tracker.reset_state()
        tracker.update_state(float(loss_sum) / seen, sample_weight=seen)
        return {k: float(v) for k, v in self.model.get_metrics_result().items()}

    def settings(self) -> dict[str, Any]:
        return {
            "steps_per_execution": None,
            "jit_compile": False,
            "threads": self.threads or self.torch.get_num_threads(),
        }

    def run(self, epochs: int, verbose: int | str) -> tuple[Any, list[float]]:
        verbose = 1 if verbose == "auto" else int(verbose)
        model = self.model
        callbacks = _callbacks(model, epochs, self.steps, verbose)
        model.stop_training = False
        seconds: list[float] = []
        epoch_logs: dict[str, float] = {}
        with _torch_threads(self.threads), _flush_denormals():
            callbacks.on_train_begin()
            for epoch in range(epochs):
                started = time.perf_counter()
                model.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                epoch_logs = self._epoch(epoch, callbacks, verbose)
                if self.val is not None and len(self.val[0]):
                    values = model.evaluate(
                        *self.val, batch_size=VALIDATION_BATCH, verbose=0, return_dict=True
                    )
                    epoch_logs.update({f"val_{k}": float(v) for k, v in values.items()})
                seconds.append(time.perf_counter() - started)
                callbacks.on_epoch_end(epoch, epoch_logs)
                if model.stop_training or _diverged(epoch_logs):
                    break
        optimizer = model.optimizer
        if epochs > 0 and hasattr(optimizer, "finalize_variable_values"):
            optimizer.finalize_variable_values(model.trainable_weights)
        callbacks.on_train_end(logs=epoch_logs)
        return model.history, seconds


class _TfLoop(_EpochLoop):
    """TensorFlow: a ``tf.function`` (XLA when the model is compiled with ``jit_compile=True``,
    see :func:`best_jit_compile`) whose ``tf.while_loop`` calls the model's own ``train_step``."""

    name = "tf-loop"

    def __init__(self, model: Any, x: Any, y: np.ndarray, *args: Any) -> None:
        import tensorflow as tf
        from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

        self.tf = tf
        super().__init__(model, x, y, *args)
        # fit's own order: the permutation of Keras's tf.data pipeline, drawn the same way.
        self.orders = ArrayDataAdapter(
            np.arange(self.n), batch_size=self.n, shuffle=self.shuffle
        ).get_tf_dataset()
        jit = bool(model.jit_compile)
        self._train_chunk = tf.function(self._train_loop, jit_compile=jit)
        self._eval_chunk = tf.function(self._eval_loop, jit_compile=jit)
        self.train_rest = tf.function(self._train_step, jit_compile=jit)
        self._eval_one = tf.function(self._test_step, jit_compile=jit)

    def put(self, array: np.ndarray) -> Any:
        return self.tf.constant(array)

    def begin_epoch(self) -> Any:
        order = next(iter(self.orders))
        full = self.tf.reshape(order[: self.steps * self.batch_size], (self.steps, self.batch_size))
        self.device_order = self.tf.cast(full, self.tf.int32)
        return order

    def end_epoch(self) -> None:
        pass

    def train_chunk(self, order: Any, start: int, stop: int) -> dict[str, Any]:
        return self._train_chunk(self.device_order, self.tf.constant(start), self.tf.constant(stop))

    def validate(self) -> dict[str, Any]:
        self.model.reset_metrics()
        logs: dict[str, Any] = {}
        done = self.val_steps * self.val_batch
        if self.val_steps:
            logs = self._eval_chunk(self.tf.constant(self.val_steps))
        hx, hy = self.val_host
        if done < len(hx):
            logs = self._eval_one(_materialize(hx[done:]), hy[done:])
        return logs

    # -- the compiled functions (logs are what the last train_step / test_step returned) -----
    def _decode(self, xb: Any, table: Any) -> Any:
        tf = self.tf
        return xb if table is None else tf.gather(table, tf.cast(xb, tf.int32))

    def _train_batch(self, order, i):  # noqa: ANN001 - traced
        tf = self.tf
        batch = order[i]
        xb = self._decode(tf.gather(self.x, batch), self.table)
        return self.model.train_step((xb, tf.gather(self.y, batch)))

    def _train_loop(self, order, start, stop):  # noqa: ANN001 - traced
        for i in self.tf.range(start, stop - 1):
            self._train_batch(order, i)
        return self._train_batch(order, stop - 1)

    def _train_step(self, xb, yb):  # noqa: ANN001 - traced
        return self.model.train_step((xb, yb))

    def _eval_batch(self, i):  # noqa: ANN001 - traced
        (vx, vy), b = self.val, self.val_batch
        xb = self._decode(vx[i * b : (i + 1) * b], self.val_table)
        return self.model.test_step((xb, vy[i * b : (i + 1) * b]))

    def _eval_loop(self, steps):  # noqa: ANN001 - traced
        for i in self.tf.range(steps - 1):
            self._eval_batch(i)
        return self._eval_batch(steps - 1)

    def _test_step(self, xb, yb):  # noqa: ANN001 - traced
        return self.model.test_step((xb, yb))
