"""brainkit's fit: ``model.fit`` with its best settings, or a fused loop (docs/performance.rst)."""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import sys
import time
import warnings
from collections.abc import Sequence
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
#: ``steps_per_execution`` of ``model.fit`` on JAX and TF while no callback watches (then reset).
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
    """The ``jit_compile`` for ``model``: ``"auto"``, but on TensorFlow XLA unless it convolves."""
    jit_layers = all(getattr(layer, "supports_jit", True) for layer in model._flatten_layers())
    if _backend() != "tensorflow" or not jit_layers:
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
    dtypes = [str(v.dtype) for v in model.trainable_variables]
    if {*dtypes, getattr(model.dtype_policy, "compute_dtype", "float32")} != {"float32"}:
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
    """Train a compiled Keras model as ``model.fit`` does; return a :class:`FitOutcome`.

    Parameters
    ----------
    model : keras.Model
        A compiled model.
    x, y : numpy.ndarray
        Training inputs and targets; ``x=None`` makes the inputs from ``pixels`` (else ValueError).
    epochs, batch_size, verbose, validation_data, validation_split, shuffle
        As for ``model.fit`` (``validation_split`` holds out the last fraction, before shuffling).
    callbacks : sequence of keras.callbacks.Callback, optional
        Given callbacks make it use ``model.fit`` (one step per call, so they see every batch).
    distributed : bool
        True inside a :func:`brainkit.distribute.distribution_scope` that distributes.
    steps_per_execution : int, optional
        Run ``model.fit`` with this, kept on the model (unset: :data:`FIT_STEPS_PER_EXECUTION`).
    pixels : Pixels, optional
        The ``uint8`` images behind ``x`` (and the validation inputs), kept on the device instead.
    """
    if x is None:
        if pixels is None:
            raise ValueError("fit needs x, or pixels to make x from")
        x = _PixelRows(pixels.train, pixels.table)
    reason = why_not_fast(model, x, y, callbacks=callbacks, distributed=distributed,
                          validation_data=validation_data, steps_per_execution=steps_per_execution)
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
    # Keras's fit (not on one thread: that made Keras's PyTorch fit slower, 72 s against 60 s).
    spe = steps_per_execution
    if spe is None:  # more steps per call while no callback watches them
        unwatched = not callbacks and _backend() in ("jax", "tensorflow")
        spe = FIT_STEPS_PER_EXECUTION if unwatched else 1
    keras = import_keras()
    marks: list[float] = []  # the time at every epoch's begin and end
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda *_: marks.append(time.perf_counter()),
        on_epoch_end=lambda *_: marks.append(time.perf_counter()),
    )

    def use_steps(steps: int) -> None:
        # fit, evaluate and predict make their functions again, as after compile: made now, before
        # fit builds the optimizer, a distributed train function would shard too few variables.
        model.steps_per_execution = steps
        model.train_function = model.test_function = model.predict_function = None

    callbacks = [*(callbacks or []), timer, keras.callbacks.TerminateOnNaN()]
    with _flush_denormals() as restore:
        before = model.steps_per_execution
        if spe != before:
            use_steps(spe)
            if steps_per_execution is None:  # unless asked for, it is set back after fit
                restore.callback(use_steps, before)
        history = model.fit(
            np.asarray(x) if isinstance(x, _PixelRows) else x, y, epochs=epochs,
            batch_size=batch_size, verbose=verbose, shuffle=shuffle, callbacks=callbacks,
            validation_data=validation_data,
            validation_split=validation_split or 0.0,  # Keras's defaults when not given
        )
    settings = {"steps_per_execution": spe, "jit_compile": bool(model.jit_compile)}
    seconds = [end - begin for begin, end in zip(marks[::2], marks[1::2], strict=False)]
    return FitOutcome(history, "keras-fit", reason, settings, seconds)


class _Declined(Exception):
    """A loop found, while preparing, that ``model.fit`` must train the model (says why)."""


def _flush_denormals() -> contextlib.ExitStack:
    """On PyTorch, flush denormals to zero while training, as XLA does (docs/performance.rst)."""
    restore = contextlib.ExitStack()
    torch = sys.modules.get("torch")
    if _backend() == "torch" and torch is not None and torch.set_flush_denormal(True):
        restore.callback(torch.set_flush_denormal, False)  # True: it was switched on
    return restore


class Pixels:
    """Raw ``uint8`` images behind float inputs: ``x == table[codes]`` exactly.

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
        same_table = self.table.shape == (256,) and self.table.dtype == x.dtype
        return same_table and bool(np.array_equal(self.table[codes[:512]], x[:512]))

    def _rows(self, codes: np.ndarray | None, x: Any) -> Any:
        """``x`` as lazy rows of ``codes`` if it is ``table[codes]``, else ``x``."""
        return _PixelRows(codes, self.table) if self.matches(codes, x) else x


class _PixelRows:
    """The floats ``table[codes]``, made only for the rows indexed (or by ``numpy.asarray``)."""

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
        return self.table[self.codes].astype(self.dtype if dtype is None else dtype, copy=False)


class _Loop:
    """fit's epochs (:meth:`run`) around a subclass's ``epoch`` and ``validate`` (logs each)."""

    name = ""
    threads: int | None = None
    val: Any = None

    def __init__(self, model: Any, x: Any, y: Any, batch_size: int, validation_data: Any,
                 validation_split: float | None, shuffle: bool,
                 pixels: Pixels | None = None) -> None:
        """Split off validation data; build the model, metrics and optimizer as ``fit`` does."""
        if pixels is not None:  # the uint8 pixels behind x, where they match, stay uint8
            x = pixels._rows(pixels.train, x)
        val = None
        if validation_data is not None:
            vx, vy = validation_data[:2]
            val = (vx if pixels is None else pixels._rows(pixels.validation, vx), vy)
        elif validation_split:
            # Keras's own rule (array_slicing.train_validation_split): the last fraction.
            at = math.floor(len(x) * (1.0 - validation_split))
            if at in (0, len(x)):
                raise ValueError(
                    f"validation_split={validation_split} leaves no training or no validation data"
                )
            cut = x.rows if isinstance(x, _PixelRows) else x.__getitem__
            val = (cut(slice(at, None)), y[at:])
            x, y = cut(slice(None, at)), y[:at]
        if len(x) == 0:
            raise _Declined("there are no training examples")
        self.x_host, self.y_host = x, y
        self.val_host = val if val is not None and len(val[0]) else None
        self.model, self.shuffle, self.n = model, shuffle, len(x)
        self.batch_size = bs = min(int(batch_size), self.n)
        self.steps, self.remainder = divmod(self.n, bs)
        self.total_steps = self.steps + (1 if self.remainder else 0)
        # fit draws a shuffle to build what compile left unbuilt: the loops draw it too.
        parts = [*model._flatten_layers(), model._compile_metrics, model._compile_loss]
        self.unbuilt = any(p is not None and not p.built for p in parts)
        model._symbolic_build(data_batch=(x[:bs], y[:bs]))  # what fit does first
        if getattr(model.optimizer, "built", True) is False:
            model.optimizer.build(model.trainable_variables)

    def put_inputs(self, x: Any) -> tuple[Any, Any]:
        """``x`` on the device, and the table that makes its floats where it is uint8 pixels."""
        if isinstance(x, _PixelRows):
            return self.put(x.codes), self.put(x.table)
        return self.put(x), None

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
        with _flush_denormals() as restore:
            if self.threads:  # PyTorch's loop may run on fewer threads
                torch = sys.modules["torch"]
                restore.callback(torch.set_num_threads, torch.get_num_threads())
                torch.set_num_threads(self.threads)
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

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.x, self.table = self.put_inputs(self.x_host)
        self.y = self.put(self.y_host)
        if self.val_host is not None:
            vx, vy = self.val_host
            self.val_batch = min(VALIDATION_BATCH, len(vx))
            self.val_steps = len(vx) // self.val_batch  # at least 1
            done = self.val_steps * self.val_batch
            self.val_rest = (vx[done:], vy[done:]) if done < len(vx) else None
            vx, self.val_table = self.put_inputs(vx)
            self.val = (vx, self.put(vy))

    def epoch(self, callbacks: Any, verbose: int) -> dict[str, float]:
        order = self.begin_epoch()  # this epoch's order, drawn as fit draws it
        full = order[: self.steps * self.batch_size].reshape(self.steps, self.batch_size)
        self.device_order = self.put(full.astype(np.int32))
        # One compiled call per epoch, or 20 so that a progress bar moves.
        parts = min(PROGRESS_UPDATES, self.steps) if verbose == 1 else 1
        edges = [round(i * self.steps / parts) for i in range(parts + 1)]
        for start, stop in itertools.pairwise(edges):
            logs = self.train_chunk(start, stop)
            if verbose == 1:
                callbacks.on_train_batch_end(stop - 1, logs)
        if self.remainder:
            rest = order[self.steps * self.batch_size :]
            logs = self.train_rest(self.x_host[rest], self.y_host[rest])
            if verbose == 1:
                callbacks.on_train_batch_end(self.total_steps - 1, logs)
        return {k: float(v) for k, v in logs.items()}


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
        if "conv_general_dilated" in str(jax.make_jaxpr(model.stateless_call)(tv, ntv, x[:1])):
            # A CNN epoch in one compiled loop ran ~10x slower on a 2-core CPU (360 s against 31 s).
            raise _Declined("the model convolves, which XLA runs faster in Keras's fit on a CPU")
        super().__init__(model, x, y, *args)
        if self.unbuilt and self.shuffle:
            np.random.permutation(self.n)  # the shuffle fit draws to build (see _Loop)
        enable_compile_cache()  # also when Keras was imported before brainkit
        self._train_chunk = jax.jit(self._train_loop)
        self._eval_chunk = jax.jit(self._eval_loop, static_argnums=(5,))
        self._train_one = jax.jit(model.train_step)
        self._eval_one = jax.jit(model.test_step)

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
        return np.random.permutation(self.n) if self.shuffle else np.arange(self.n)

    def train_chunk(self, start: int, stop: int) -> dict[str, Any]:
        args = (self.x, self.y, self.table, self.device_order, start, stop)
        logs, self.state = self._train_chunk(self.state, *args)
        return logs

    def train_rest(self, xb: np.ndarray, yb: np.ndarray) -> dict[str, Any]:
        logs, self.state = self._train_one(self.state, (xb, yb))
        return logs

    def validate(self) -> dict[str, Any]:
        state: Any = (self.state[0], self.state[1], self.reset_metrics)
        args = (*self.val, self.val_table, self.val_steps, self.val_batch)
        logs, state = self._eval_chunk(state, *args)
        if self.val_rest is not None:
            logs, state = self._eval_one(state, self.val_rest)
        self.state = (*self.state[:3], state[2])  # after fit the metrics hold validation's values
        return logs

    def end_epoch(self) -> None:
        for variables, values in zip(self._groups(), self.state, strict=True):
            for variable, value in zip(variables, values, strict=True):
                variable.assign(value)

    # -- the compiled functions; each returns (logs of the last train_step / test_step, state)
    def _decode(self, xb, table):  # traced
        return xb if table is None else self.jnp.take(table, xb.astype(self.jnp.int32), axis=0)

    def _steps(self, body, start, stop, state):  # traced
        """``body(i, state)`` for i in [start, stop): a ``fori_loop``, then the last (its logs)."""
        state = self.jax.lax.fori_loop(start, stop - 1, lambda i, st: body(i, st)[1], state)
        return body(stop - 1, state)

    def _train_loop(self, state, x, y, table, order, start, stop):
        jax, jnp = self.jax, self.jnp

        def body(i, st):
            batch = jax.lax.dynamic_index_in_dim(order, i, keepdims=False)
            xb = self._decode(jnp.take(x, batch, axis=0), table)
            return self.model.train_step(st, (xb, jnp.take(y, batch, axis=0)))

        return self._steps(body, start, stop, state)

    def _eval_loop(self, state, x, y, table, steps, batch):
        cut = self.jax.lax.dynamic_slice_in_dim

        def body(i, st):
            xb = self._decode(cut(x, i * batch, batch), table)
            return self.model.test_step(st, (xb, cut(y, i * batch, batch)))

        return self._steps(body, 0, steps, state)


class _TfLoop(_EpochLoop):
    """TensorFlow: a ``tf.function`` (XLA if the model's) whose while loop calls ``train_step``."""

    name = "tf-loop"

    def __init__(self, model: Any, x: Any, y: np.ndarray, *args: Any) -> None:
        import tensorflow as tf
        from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
        self.tf = tf
        super().__init__(model, x, y, *args)
        # fit's own order: the permutation of Keras's tf.data pipeline, drawn the same way.
        adapter = ArrayDataAdapter(np.arange(self.n), batch_size=self.n, shuffle=self.shuffle)
        self.orders = adapter.get_tf_dataset()
        jit = bool(model.jit_compile)
        self._train_chunk = tf.function(self._train_loop, jit_compile=jit)
        self._eval_chunk = tf.function(self._eval_loop, jit_compile=jit)
        self.train_rest = tf.function(lambda xb, yb: model.train_step((xb, yb)), jit_compile=jit)
        self._eval_one = tf.function(lambda xb, yb: model.test_step((xb, yb)), jit_compile=jit)

    def put(self, array: np.ndarray) -> Any:
        return self.tf.constant(array)

    def begin_epoch(self) -> np.ndarray:
        return np.asarray(next(iter(self.orders)))

    def train_chunk(self, start: int, stop: int) -> dict[str, Any]:
        return self._train_chunk(self.device_order, self.tf.constant(start), self.tf.constant(stop))

    def validate(self) -> dict[str, Any]:
        self.model.reset_metrics()
        logs = self._eval_chunk(self.tf.constant(self.val_steps))
        if self.val_rest is not None:
            logs = self._eval_one(*self.val_rest)
        return logs

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


class _TorchLoop(_Loop):
    """PyTorch: forward pass and loss recorded once (``torch.jit.trace``), Keras's optimizer."""

    name = "torch-loop"

    def __init__(self, model: Any, x: Any, y: np.ndarray, *args: Any) -> None:
        import torch
        self.torch = torch
        if reason := _torch_why_not(model, import_keras(), x[:2]):
            raise _Declined(reason)
        super().__init__(model, x, y, *args)
        if self.val_host is not None:
            self.val = (np.asarray(self.val_host[0]), self.val_host[1])
        if self.unbuilt and self.shuffle:
            self._order()  # the shuffle fit draws to build (see _Loop)
        self.x, self.table = self.put_inputs(self.x_host)
        self.y = self.put(self.y_host)
        self.variables = list(model.trainable_variables)
        self.params = [v.value for v in self.variables]
        # One thread for small products: handing them between threads costs more than it saves.
        self.threads = 1 if model.count_params() * self.batch_size <= 2e7 else None
        self.forward = self._trace(self.batch_size)
        # The last, smaller batch gets its own recording (a recording may hold its shapes).
        self.forward_rest = self._trace(self.remainder) if self.remainder else None
        self.adam = self._plain_adam()
        self._step_tensor = torch.ones((), dtype=torch.float32)  # the fused kernel's step count
        self._fused = self._fused_available()

    def put(self, array: np.ndarray) -> Any:
        return self.torch.from_numpy(np.ascontiguousarray(array))

    def _order(self) -> Any:
        """This epoch's order: fit's own draw (a DataLoader over a RandomSampler, as in Keras)."""
        loader = self.torch.utils.data.DataLoader(range(self.n), self.n, shuffle=self.shuffle)
        return next(iter(loader))

    def _inputs(self, idx: Any) -> Any:
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
                loss = model._compute_loss(x=xb, y=yb, y_pred=y_pred, training=True)
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

    def _plain_adam(self) -> tuple | None:
        """Keras's own Adam as (m, v, lr, b1, b2, eps) if it has no extras, else None."""
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
        if not plain or len(opt._momentums) != len(self.variables):
            return None
        return ([v.value for v in opt._momentums], [w.value for w in opt._velocities],
                float(opt.learning_rate), float(opt.beta_1), float(opt.beta_2), float(opt.epsilon))

    def _fused_adam(self, params, grads, m, v, lr, b1, b2, eps):
        self.torch._fused_adam_(
            params, grads, m, v, [], [self._step_tensor] * len(params), lr=lr, beta1=b1,
            beta2=b2, weight_decay=0.0, eps=eps, amsgrad=False, maximize=False,
        )

    def _fused_available(self) -> bool:
        """Whether PyTorch's fused Adam kernel runs here, for these weights' dtypes (tried)."""
        if self.adam is None or not hasattr(self.torch, "_fused_adam_"):
            return False
        zeros = [[p.new_zeros(2) for p in self.params] for _ in range(4)]  # w, g, m and v
        try:
            with self.torch.no_grad():
                self._fused_adam(*zeros, 1e-3, 0.9, 0.999, 1e-7)
        except (RuntimeError, TypeError, NotImplementedError):
            return False  # foreach operations instead
        return True

    def _adam_step(self, grads: list[Any], step: int) -> None:
        # Keras's Adam: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
        # w -= m * alpha / (sqrt(v) + eps), alpha = lr sqrt(1 - b2^t) / (1 - b1^t).
        torch = self.torch
        m, v, lr, b1, b2, eps = self.adam
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
        torch, opt = self.torch, self.model.optimizer
        bs, n = self.batch_size, self.n
        order_t = self._order()
        loss_sum = torch.zeros((), dtype=torch.float64)
        preds: Any = None
        self._counted = 0
        every = max(1, self.total_steps // PROGRESS_UPDATES)
        step = int(opt.iterations.value)
        for i in range(self.total_steps):
            idx = order_t[i * bs : (i + 1) * bs]
            xb, yb = self._inputs(idx), self.y.index_select(0, idx)
            for p in self.params:
                p.grad = None
            forward = self.forward if len(yb) == bs else self.forward_rest
            loss, y_pred = forward(xb, yb)
            loss.backward()  # into p.grad: laid out as the weights, as the fused kernel needs
            grads = [p.grad for p in self.params]
            with torch.no_grad():
                if self.adam is not None:
                    step += 1
                    self._adam_step(grads, step)
                else:
                    opt.apply(grads, self.variables)
                loss_sum += loss.detach().double() * len(yb)
                if preds is None:
                    preds = y_pred.new_empty((n, *y_pred.shape[1:]))
                preds[i * bs : i * bs + len(yb)] = y_pred.detach()
            if verbose == 1 and ((i + 1) % every == 0 or i + 1 == self.total_steps):
                logs = self._logs(loss_sum, order_t, preds, min(n, (i + 1) * bs))
                callbacks.on_train_batch_end(i, logs)
        if self.adam is not None:
            opt.iterations.assign(step)
        if self.shuffle:
            # Keras 3.15's epoch iterator opens its DataLoader again once an epoch is done: one
            # more draw from torch's generator, taken here too so the next epoch's order is fit's.
            torch.empty((), dtype=torch.int64).random_()
        return self._logs(loss_sum, order_t, preds, n)

    def _logs(self, loss_sum: Any, order: Any, preds: Any, seen: int) -> dict[str, float]:
        """The logs after ``seen`` examples of ``order``, the metrics updated with the new ones."""
        # Few large metric updates: the same totals for far less Python than one per step.
        metrics = self.model._compile_metrics
        done = self._counted
        if metrics is not None and seen > done:
            metrics.update_state(self.y[order[done:seen]], preds[done:seen])
        self._counted = seen
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
