"""brainkit's fit: Keras's ``model.fit`` with its best settings, or one of three fused loops.

:func:`fit` trains a compiled model exactly as ``model.fit`` would. Where Keras's loop is measurably
slower for the lessons' models (``benchmarks/bench_lessons.py``), a JAX, TensorFlow or PyTorch loop
runs chunks of an epoch in one compiled call; elsewhere ``model.fit`` runs and :func:`fit` says why
(docs/performance.rst describes each loop and its parity tests, ``tests/test_fit_parity.py``).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from brainkit.runtime import enable_compile_cache, import_keras

__all__ = [
    "DISABLE_ENV", "TESTED_KERAS", "FitOutcome", "Pixels", "best_jit_compile", "fit",
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
        What ran: ``steps_per_execution``, ``jit_compile`` and, for PyTorch's loop, ``threads``.
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

    On a CPU Keras leaves XLA off for TensorFlow, yet XLA is the fastest setting for the
    lessons' dense models; models whose graph convolves keep TensorFlow's own kernels.
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
    model: Any, x: Any, y: Any, *, callbacks: Sequence[Any] | None = None,
    distributed: bool = False, validation_data: Any = None, steps_per_execution: int | None = None,
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
    for name in ("train_step", "compute_loss", "compute_metrics"):
        if getattr(type(model), name) is not getattr(keras.Model, name):
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
    model: Any, x: Any, y: Any, *, epochs: int, batch_size: int, verbose: int | str = "auto",
    callbacks: Sequence[Any] | None = None, validation_data: Any = None,
    validation_split: float | None = None, shuffle: bool = True, distributed: bool = False,
    steps_per_execution: int | None = None, pixels: Pixels | None = None,
) -> FitOutcome:
    """Train a compiled Keras model as ``model.fit`` does; say what ran.

    Parameters
    ----------
    model : keras.Model
        A compiled model.
    x : numpy.ndarray or None
        Training inputs; ``None`` when ``pixels`` gives them (made only if the path needs floats).
    y : numpy.ndarray
        Training targets.
    epochs, batch_size, validation_data, validation_split, shuffle
        As for ``model.fit`` (``validation_data`` is an ``(x, y)`` pair, validated on after
        every epoch; ``validation_split`` holds out the last fraction, before shuffling).
    verbose : int or "auto"
        ``0`` prints nothing, ``1`` (``"auto"``) a progress bar, ``2`` one line per epoch.
    callbacks : sequence of keras.callbacks.Callback, optional
        Given callbacks make it use ``model.fit`` (one step per call, so they see every batch).
    distributed : bool
        True inside a :func:`brainkit.distribute.distribution_scope` that distributes.
    steps_per_execution : int, optional
        Run ``model.fit`` with this setting (kept on the model). By default ``model.fit`` runs
        :data:`FIT_STEPS_PER_EXECUTION` steps per call on JAX and TensorFlow when no callbacks
        are given, and the model keeps Keras's default of 1.
    pixels : Pixels, optional
        The ``uint8`` images ``x`` (and the validation inputs) were made from, which the loops
        then keep on the device instead of the floats.

    Returns
    -------
    FitOutcome
    """
    if x is None:
        if pixels is None:
            raise ValueError("fit needs x, or pixels to make x from")
        x = _PixelRows(pixels.train, pixels.table)
    reason = why_not_fast(
        model, x, y, callbacks=callbacks, distributed=distributed,
        validation_data=validation_data, steps_per_execution=steps_per_execution,
    )
    if reason is None:
        loop = {"jax": _JaxLoop, "torch": _TorchLoop, "tensorflow": _TfLoop}[_backend()]
        args = (batch_size, validation_data, validation_split, shuffle, pixels)
        try:
            runner = loop(model, x, y, *args)
        except _Declined as exc:
            reason = str(exc)
        else:
            history, seconds = runner.run(epochs, verbose)
            return FitOutcome(history, runner.name, None, runner.settings(), seconds)
    # Keras's fit, more steps per call while no callback watches them. (One thread, which helps
    # brainkit's PyTorch loop, made Keras's PyTorch fit slower: 72 s against 60 s.)
    spe = steps_per_execution
    if spe is None:
        unwatched = not callbacks and _backend() in ("jax", "tensorflow")
        spe = FIT_STEPS_PER_EXECUTION if unwatched else 1
    keras = import_keras()
    marks: list[float] = []  # the time at every epoch's begin and end
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda *_: marks.append(time.perf_counter()),
        on_epoch_end=lambda *_: marks.append(time.perf_counter()),
    )

    def use_steps(steps: int) -> None:  # fit, evaluate and predict read it: remake their functions
        model.steps_per_execution = steps
        for make in (model.make_train_function, model.make_test_function,
                     model.make_predict_function):
            make(force=True)

    before = model.steps_per_execution
    keep = steps_per_execution is not None  # asked for: it stays set after fit
    steps: Any = contextlib.nullcontext()
    if spe != before:
        steps = _temporarily(use_steps, spe, before, keep)
    callbacks = [*(callbacks or []), timer, keras.callbacks.TerminateOnNaN()]
    with steps, _flush_denormals():
        history = model.fit(
            _materialize(x), y, epochs=epochs, batch_size=batch_size, verbose=verbose,
            shuffle=shuffle, callbacks=callbacks, validation_data=validation_data,
            validation_split=validation_split or 0.0,  # Keras's defaults when not given
        )
    settings = {"steps_per_execution": spe, "jit_compile": bool(model.jit_compile)}
    seconds = [end - begin for begin, end in zip(marks[::2], marks[1::2], strict=False)]
    return FitOutcome(history, "keras-fit", reason, settings, seconds)


class _Declined(Exception):
    """A loop found, while preparing, that ``model.fit`` must train the model (says why)."""


@contextlib.contextmanager
def _temporarily(set_to: Callable, value: Any, before: Any, keep: bool = False) -> Iterator[None]:
    """``set_to(value)`` for the block, then ``set_to(before)`` unless ``keep``."""
    set_to(value)
    try:
        yield
    finally:
        if not keep:
            set_to(before)


def _flush_denormals() -> contextlib.AbstractContextManager:
    """On PyTorch, numbers below ~1e-38 count as zero while training, as XLA does: x86 CPUs
    compute with such "denormals" (which Adam's second moments reach) many times slower."""
    restore = contextlib.ExitStack()
    torch = sys.modules.get("torch")
    if _backend() == "torch" and torch is not None and torch.set_flush_denormal(True):
        restore.callback(torch.set_flush_denormal, False)  # on: it is switched off after
    return restore


def _chunks(steps: int, verbose: int) -> list[tuple[int, int]]:
    """The (start, stop) step ranges of one epoch: one call, or 20 so that a progress bar moves."""
    parts = min(PROGRESS_UPDATES, steps) if verbose == 1 else 1
    edges = [round(i * steps / parts) for i in range(parts + 1)]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


class Pixels:
    """Raw ``uint8`` images behind float inputs: ``x == table[codes]`` exactly.

    The loops then keep the pixels on the device (4x less memory) and turn each batch into
    floats through the 256-entry ``table``: bit for bit the inputs ``fit`` would see.

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
    """The float inputs ``table[codes]``, made only for the rows indexed (``x`` when :func:`fit`
    gets ``x=None``); ``numpy.asarray`` makes the whole array (for Keras's ``fit``)."""

    def __init__(self, codes: np.ndarray, table: np.ndarray) -> None:
        self.codes, self.table = codes, table
        self.shape, self.dtype, self.ndim = codes.shape, table.dtype, codes.ndim
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


class _Loop:
    """fit's epochs (:meth:`run`) around a subclass's ``epoch`` and ``validate`` (logs each)."""

    name = ""
    threads: int | None = None
    val: Any = None

    def _prepare(self, model: Any, x: Any, y: Any, batch_size: int, validation_data: Any,
                 validation_split: float | None, shuffle: bool) -> tuple[Any, Any, Any]:
        """Split off validation data, build the model, metrics and optimizer as ``fit`` does;
        return the training inputs, targets and validation pair (or None). ``self.unbuilt``: fit
        would draw a shuffle to build what ``compile`` left unbuilt (the loops draw it too)."""
        val = None
        if validation_data is not None:
            val = (np.asarray(validation_data[0]), np.asarray(validation_data[1]))
        elif validation_split:
            # Keras's own rule (array_slicing.train_validation_split): the last fraction.
            at = int(math.floor(len(x) * (1.0 - validation_split)))
            if at == 0 or at == len(x):
                raise ValueError(
                    f"validation_split={validation_split} leaves no training or no validation data"
                )
            cut = x.rows if isinstance(x, _PixelRows) else x.__getitem__
            val = (cut(slice(at, None)), y[at:])
            x, y = cut(slice(None, at)), y[:at]
        if len(x) == 0:
            raise _Declined("there are no training examples")
        self.model, self.shuffle, self.n = model, shuffle, len(x)
        self.batch_size = bs = min(int(batch_size), self.n)
        self.steps, self.remainder = divmod(self.n, bs)
        self.total_steps = self.steps + (1 if self.remainder else 0)
        parts = (model._compile_metrics, model._compile_loss)
        self.unbuilt = not all(layer.built for layer in model._flatten_layers()) or any(
            p is not None and not p.built for p in parts
        )
        model._symbolic_build(data_batch=(x[:bs], y[:bs]))  # what fit does first
        if getattr(model.optimizer, "built", True) is False:
            model.optimizer.build(model.trainable_variables)
        return x, y, val

    def end_epoch(self) -> None:
        """Called after validation (the JAX loop writes its state back to the model)."""

    def settings(self) -> dict[str, Any]:
        return {"steps_per_execution": None, "jit_compile": bool(self.model.jit_compile)}

    def run(self, epochs: int, verbose: int | str) -> tuple[Any, list[float]]:
        verbose = 1 if verbose == "auto" else int(verbose)
        model = self.model
        callbacks = import_keras().callbacks.CallbackList(
            None, add_history=True, add_progbar=verbose != 0, verbose=verbose, epochs=epochs,
            steps=self.total_steps, model=model,
        )
        model.stop_training = False
        seconds: list[float] = []
        logs: dict[str, float] = {}
        threads: Any = contextlib.nullcontext()
        if self.threads:  # PyTorch's loop may run on fewer threads
            torch = sys.modules["torch"]
            threads = _temporarily(torch.set_num_threads, self.threads, torch.get_num_threads())
        with threads, _flush_denormals():
            callbacks.on_train_begin()
            for epoch in range(epochs):
                started = time.perf_counter()
                model.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                logs = self.epoch(callbacks, verbose)
                if self.val is not None:
                    logs.update({f"val_{k}": float(v) for k, v in self.validate().items()})
                self.end_epoch()
                seconds.append(time.perf_counter() - started)
                callbacks.on_epoch_end(epoch, logs)
                if model.stop_training or not all(math.isfinite(v) for v in logs.values()):
                    break  # a non-finite value stops training, as Keras's TerminateOnNaN does
        if epochs > 0 and hasattr(model.optimizer, "finalize_variable_values"):
            model.optimizer.finalize_variable_values(model.trainable_weights)
        callbacks.on_train_end(logs=logs)
        return model.history, seconds


class _EpochLoop(_Loop):
    """JAX and TensorFlow: data on the device, an epoch's steps in a few compiled calls."""

    def __init__(self, model: Any, x: Any, y: np.ndarray, batch_size: int, validation_data: Any,
                 validation_split: float | None, shuffle: bool, pixels: Pixels | None) -> None:
        n_all = len(x)
        x, y, val = self._prepare(
            model, x, y, batch_size, validation_data, validation_split, shuffle
        )
        self.x_host, self.y_host = x, y
        # uint8 pixels stay uint8 on the device; each batch becomes floats through the table.
        codes = val_codes = None
        if pixels is not None:
            codes, val_codes = pixels.train[: len(x)], pixels.validation
            if validation_split and len(pixels.train) == n_all:
                val_codes = pixels.train[len(x) :]
        use_codes = pixels is not None and pixels.matches(codes, x)
        self.table = self.put(pixels.table) if use_codes else None
        self.x, self.y = self.put(codes if use_codes else _materialize(x)), self.put(y)
        if val is not None and len(val[0]):
            self.val_host = val
            self.val_batch = min(VALIDATION_BATCH, len(val[0]))
            self.val_steps = len(val[0]) // self.val_batch
            val_ok = use_codes and pixels.matches(val_codes, val[0])
            self.val_table = self.table if val_ok else None
            self.val = (self.put(val_codes if val_ok else _materialize(val[0])), self.put(val[1]))

    def epoch(self, callbacks: Any, verbose: int) -> dict[str, float]:
        order = self.begin_epoch()
        logs: dict[str, Any] = {}
        for start, stop in _chunks(self.steps, verbose):
            logs = self.train_chunk(start, stop)
            if verbose == 1:
                callbacks.on_train_batch_end(stop - 1, logs)
        if self.remainder:
            rest = np.asarray(order)[self.steps * self.batch_size :]
            logs = self.train_rest(_materialize(self.x_host[rest]), self.y_host[rest])
            if verbose == 1:
                callbacks.on_train_batch_end(self.total_steps - 1, logs)
        return {k: float(v) for k, v in logs.items()}

    def val_rest(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The validation rows after the last full validation batch (None when there are none)."""
        hx, hy = self.val_host
        done = self.val_steps * self.val_batch
        return (_materialize(hx[done:]), hy[done:]) if done < len(hx) else None


class _JaxLoop(_EpochLoop):
    """JAX: a jitted ``fori_loop`` calling the model's stateless ``train_step``."""

    name = "jax-loop"

    def __init__(self, model: Any, x: Any, y: np.ndarray, *args: Any) -> None:
        import jax
        import jax.numpy as jnp

        self.jax, self.jnp = jax, jnp
        if not model.built:
            raise _Declined("the model is not built yet (Keras's fit builds it)")
        tv = [v.value for v in model.trainable_variables]
        ntv = [v.value for v in model.non_trainable_variables]
        forward = jax.make_jaxpr(lambda tv, ntv, xb: model.stateless_call(tv, ntv, xb))
        if "conv_general_dilated" in str(forward(tv, ntv, _materialize(x[:1]))):
            # On a 2-core CPU a CNN epoch inside one long compiled loop ran ~10x slower (360 s
            # against 31 s) than Keras's fit, whose steps are compiled one by one.
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

    def _groups(self) -> tuple[list[Any], ...]:
        """The variable lists Keras's own JAX fit passes to ``train_step`` as its state."""
        m = self.model
        return (m.trainable_variables, m.non_trainable_variables,
                m.optimizer.variables, m.metrics_variables)

    def begin_epoch(self) -> np.ndarray:
        self.state = tuple([v.value for v in group] for group in self._groups())
        self.reset_metrics = self.state[3]
        # fit's own draw (the NumPy iterator of Keras's array adapter): the same order.
        order = np.random.permutation(self.n) if self.shuffle else np.arange(self.n)
        self.order = order.astype(np.int32)
        full = self.order[: self.steps * self.batch_size].reshape(self.steps, self.batch_size)
        self.device_order = self.jax.device_put(full)
        return self.order

    def train_chunk(self, start: int, stop: int) -> dict[str, Any]:
        self.state, logs = self._train_chunk(
            self.state, self.x, self.y, self.table, self.device_order, start, stop
        )
        return logs

    def train_rest(self, xb: np.ndarray, yb: np.ndarray) -> dict[str, Any]:
        self.state, logs = self._train_one(self.state, xb, yb)
        return logs

    def validate(self) -> dict[str, Any]:
        state: Any = (self.state[0], self.state[1], self.reset_metrics)
        logs: dict[str, Any] = {}
        if self.val_steps:
            args = (*self.val, self.val_table, self.val_steps, self.val_batch)
            state, logs = self._eval_chunk(state, *args)
        if (rest := self.val_rest()) is not None:
            state, logs = self._eval_one(state, *rest)
        self.state = (*self.state[:3], state[2])  # after fit the metrics hold validation's values
        return logs

    def end_epoch(self) -> None:
        for variables, values in zip(self._groups(), self.state, strict=True):
            for variable, value in zip(variables, values, strict=True):
                variable.assign(value)

    # -- the compiled functions; each returns (state, logs of the last train_step / test_step)
    def _decode(self, xb, table):  # traced
        return xb if table is None else self.jnp.take(table, xb.astype(self.jnp.int32), axis=0)

    def _steps(self, body, start, stop, state):  # traced
        """``body(i, state)`` for i in [start, stop): a ``fori_loop``, then the last (its logs)."""
        state = self.jax.lax.fori_loop(start, stop - 1, lambda i, st: body(i, st)[0], state)
        return body(stop - 1, state)

    def _train_loop(self, state, x, y, table, order, start, stop):
        jax, jnp = self.jax, self.jnp

        def body(i, st):
            batch = jax.lax.dynamic_index_in_dim(order, i, keepdims=False)
            xb = self._decode(jnp.take(x, batch, axis=0), table)
            return self._train_step(st, xb, jnp.take(y, batch, axis=0))

        return self._steps(body, start, stop, state)

    def _eval_loop(self, state, x, y, table, steps, batch):
        cut = self.jax.lax.dynamic_slice_in_dim

        def body(i, st):
            xb = self._decode(cut(x, i * batch, batch), table)
            return self._test_step(st, xb, cut(y, i * batch, batch))

        return self._steps(body, 0, steps, state)

    def _train_step(self, state, xb, yb):
        logs, state = self.model.train_step(state, (xb, yb))
        return state, logs

    def _test_step(self, state, xb, yb):
        logs, state = self.model.test_step(state, (xb, yb))
        return state, logs


class _TfLoop(_EpochLoop):
    """TensorFlow: a ``tf.function`` (XLA when the model is compiled with ``jit_compile=True``)
    whose ``tf.while_loop`` calls the model's own ``train_step``."""

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

    def train_chunk(self, start: int, stop: int) -> dict[str, Any]:
        return self._train_chunk(self.device_order, self.tf.constant(start), self.tf.constant(stop))

    def validate(self) -> dict[str, Any]:
        self.model.reset_metrics()
        logs: dict[str, Any] = {}
        if self.val_steps:
            logs = self._eval_chunk(self.tf.constant(self.val_steps))
        if (rest := self.val_rest()) is not None:
            logs = self._eval_one(*rest)
        return logs

    # -- the compiled functions (logs are what the last train_step / test_step returned)
    def _decode(self, xb: Any, table: Any) -> Any:
        return xb if table is None else self.tf.gather(table, self.tf.cast(xb, self.tf.int32))

    def _train_batch(self, order, i):  # traced
        batch = order[i]
        xb = self._decode(self.tf.gather(self.x, batch), self.table)
        return self.model.train_step((xb, self.tf.gather(self.y, batch)))

    def _train_loop(self, order, start, stop):  # traced
        for i in self.tf.range(start, stop - 1):
            self._train_batch(order, i)
        return self._train_batch(order, stop - 1)

    def _eval_batch(self, i):  # traced
        (vx, vy), b = self.val, self.val_batch
        xb = self._decode(vx[i * b : (i + 1) * b], self.val_table)
        return self.model.test_step((xb, vy[i * b : (i + 1) * b]))

    def _eval_loop(self, steps):  # traced
        for i in self.tf.range(steps - 1):
            self._eval_batch(i)
        return self._eval_batch(steps - 1)

    def _train_step(self, xb, yb):  # traced
        return self.model.train_step((xb, yb))

    def _test_step(self, xb, yb):  # traced
        return self.model.test_step((xb, yb))


class _TorchLoop(_Loop):
    """PyTorch: forward pass and loss recorded once (``torch.jit.trace``), Keras's optimizer."""

    name = "torch-loop"

    def __init__(
        self, model: Any, x: Any, y: np.ndarray, batch_size: int, validation_data: Any,
        validation_split: float | None, shuffle: bool, pixels: Pixels | None = None,
    ) -> None:
        import torch

        self.torch = torch
        if reason := _torch_why_not(model, import_keras(), _materialize(x[:2])):
            raise _Declined(reason)
        x, y, val = self._prepare(
            model, x, y, batch_size, validation_data, validation_split, shuffle
        )
        if val is not None and len(val[0]):
            self.val = (_materialize(val[0]), val[1])
        if self.unbuilt and shuffle:
            self._order()  # the shuffle fit draws to build (see _prepare)
        # uint8 pixels stay uint8 (4x less memory); each batch becomes floats through the table.
        self.table = None
        if isinstance(x, _PixelRows):
            self.table = torch.from_numpy(np.ascontiguousarray(x.table))
            x = x.codes
        self.x = torch.from_numpy(np.ascontiguousarray(x))
        self.y = torch.from_numpy(np.ascontiguousarray(y))
        self.variables = list(model.trainable_variables)
        self.params = [v.value for v in self.variables]
        # One thread for a small model at a small batch: handing 32-row products between
        # threads costs more than it saves. Otherwise the library's default.
        self.threads = 1 if model.count_params() * self.batch_size <= 2e7 else None
        self.forward = self._trace(self.batch_size)
        # The last, smaller batch gets its own recording (a recording may hold its shapes).
        self.forward_rest = self._trace(self.remainder) if self.remainder else None
        self.adam = self._plain_adam()
        self._step_tensor = torch.ones((), dtype=torch.float32)  # the fused kernel's step count
        self._fused = self._fused_available()

    def _order(self) -> Any:
        """This epoch's order: fit's own draw (a DataLoader over a RandomSampler, as in Keras)."""
        data = range(self.n)
        return next(iter(self.torch.utils.data.DataLoader(data, self.n, shuffle=self.shuffle)))

    def _inputs(self, idx: Any) -> Any:
        """The float inputs of the examples ``idx`` (a tensor of indices)."""
        xb = self.x.index_select(0, idx)
        return xb if self.table is None else self.torch.take(self.table, xb.long())

    def _trace(self, bs: int) -> Any:
        torch, model = self.torch, self.model
        training = {"training": True} if getattr(model, "_call_has_training_arg", False) else {}

        class ForwardAndLoss(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, xb, yb):  # traced
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
        mine = {id(p) for p in traced.parameters()}
        if not all(id(p) in mine for p in self.params):
            raise _Declined("the recorded forward pass does not share the model's weights")
        return traced

    def _plain_adam(self) -> Any:
        """The optimizer if it is Keras's own Adam without extras (then run as fused torch ops)."""
        keras = import_keras()
        opt = self.model.optimizer
        # Keras's own Adam (on torch, a backend subclass of keras.optimizers.Adam), not a user's.
        own = type(opt).__name__ == "Adam" and type(opt).__module__.startswith("keras.")
        extras = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "loss_scale_factor")
        if not (own and isinstance(opt, keras.optimizers.Adam)) or opt.amsgrad:
            return None
        if any(getattr(opt, k, None) for k in extras):
            return None
        plain = isinstance(opt._learning_rate, keras.Variable)
        return opt if plain and len(opt._momentums) == len(self.variables) else None

    def _fused_adam(self, params, grads, m, v, lr, b1, b2, eps):
        self.torch._fused_adam_(
            params, grads, m, v, [], [self._step_tensor] * len(params), lr=lr, beta1=b1,
            beta2=b2, weight_decay=0.0, eps=eps, amsgrad=False, maximize=False,
        )

    def _fused_available(self) -> bool:
        """Whether PyTorch's fused Adam kernel runs here, for these weights' dtypes (tried)."""
        torch = self.torch
        if self.adam is None or not hasattr(torch, "_fused_adam_"):
            return False
        zeros = [[torch.zeros(2, dtype=p.dtype, device=p.device) for p in self.params]
                 for _ in range(4)]  # weights, gradients, m and v
        try:
            with torch.no_grad():
                self._fused_adam(*zeros, 1e-3, 0.9, 0.999, 1e-7)
        except (RuntimeError, TypeError, NotImplementedError):
            return False  # foreach operations instead
        return True

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

    def epoch(self, callbacks: Any, verbose: int) -> dict[str, float]:
        torch, model, opt = self.torch, self.model, self.model.optimizer
        bs, n = self.batch_size, self.n
        order_t = self._order()
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

        adam = None
        if (a := self.adam) is not None:
            adam = ([v.value for v in a._momentums], [w.value for w in a._velocities],
                    float(a.learning_rate), float(a.beta_1), float(a.beta_2), float(a.epsilon))
        every = max(1, self.total_steps // PROGRESS_UPDATES)
        step = int(opt.iterations.value)
        for i in range(self.total_steps):
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
            if verbose == 1 and ((i + 1) % every == 0 or i + 1 == self.total_steps):
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

    def validate(self) -> dict[str, Any]:
        return self.model.evaluate(
            *self.val, batch_size=VALIDATION_BATCH, verbose=0, return_dict=True
        )

    def settings(self) -> dict[str, Any]:
        threads = self.threads or self.torch.get_num_threads()
        return {"steps_per_execution": None, "jit_compile": False, "threads": threads}
