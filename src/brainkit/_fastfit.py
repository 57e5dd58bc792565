"""brainkit's fit: the same training as ``model.fit``, with less time spent around it.

A lesson's MLP at batch 32 does about 0.1 ms of arithmetic per step; Keras's
``fit`` loop spends more than that around each step: it slices the NumPy
arrays, copies every batch to the device, calls one compiled step at a time
from Python and dispatches callbacks. :func:`fit` keeps what the learner
asked for (the model, optimizer, loss, metrics, batch size, number of
epochs, a fresh shuffle every epoch) and changes only how the steps are run.

On JAX
    The training and validation images go to the device once (as ``uint8``
    pixels when :class:`Pixels` says how they became the float inputs, else
    as the floats). Every epoch draws a permutation of the examples; one
    jitted call then runs the epoch's batches in a ``jax.lax.fori_loop``,
    each iteration gathering its batch on the device and calling the model's
    own stateless ``train_step`` (the very function ``fit`` compiles: same
    loss, optimizer, metrics, batch-norm statistics and dropout seeds).
    Validation runs the model's ``test_step`` the same way. At the end of
    each epoch the variables are written back into the Keras model, so
    ``evaluate``, ``predict`` and ``save`` work as after ``fit``. With a
    progress bar (``verbose=1``) an epoch runs in about 20 calls so the bar
    moves. Compiled programs are kept on disk
    (:func:`brainkit.runtime.enable_compile_cache`).
    Models with convolutions use ``fit``: XLA runs convolutions inside a
    compiled loop several times slower on a CPU.

On TensorFlow
    The same design: a ``tf.function`` around a ``tf.while_loop`` that
    gathers each batch from tensors and calls the model's own ``train_step``,
    compiled with XLA for models without convolutions (Keras leaves XLA off
    on a CPU).

On PyTorch
    For functional models made of :data:`TRACEABLE_LAYERS` (no dropout, no
    batch normalization), the forward pass and loss are recorded once with
    ``torch.jit.trace`` on the model's own weights; the step is then that
    recording, ``backward`` and the model's Keras optimizer (Keras's plain
    Adam as the same update in PyTorch's one-kernel fused Adam, or in a few
    ``torch._foreach`` operations where that kernel is missing). Images given
    as :class:`Pixels` stay ``uint8`` and become floats batch by batch.
    Small models run on one thread.

Exactly as ``fit``: every example is seen once per epoch in a new random order;
the last, smaller batch (when the batch size does not divide the training
set) is a step of its own, as in ``fit``; ``history`` has the same keys
(``loss``, the recipe's metrics, ``val_loss``, ``val_...``). The training
values are the running means over the epoch that ``fit`` reports. One
difference, documented: validation runs in batches of 1,000 instead of the
training batch size, which changes nothing but the order of a sum (results
agree to about 1e-6).

When the fast path does not apply it falls back to ``model.fit`` with the
same arguments: with callbacks (they may look at the model between steps),
under a distribution (``distribute=``), when the model runs eagerly (or, on
JAX, is not jit-compiled), for the models named above, when
``BRAINKIT_FASTFIT=0`` is set, or when anything in preparing it fails (the
reason is logged on the ``brainkit.fastfit`` logger and kept in
``history.fit_path``).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["DISABLE_ENV", "Pixels", "fit", "why_not_fast"]

logger = logging.getLogger("brainkit.fastfit")

#: Set to ``0`` to always train with Keras's ``model.fit``.
DISABLE_ENV = "BRAINKIT_FASTFIT"

#: Validation batch size of the fast path (results do not depend on it).
VALIDATION_BATCH = 1000

#: Progress-bar updates per epoch with ``verbose=1``.
PROGRESS_UPDATES = 20

#: Data larger than this stays with Keras's ``fit`` (it streams batches from the host).
MAX_DEVICE_BYTES = 4 << 30


def _backend() -> str:
    from brainkit.runtime import import_keras

    return str(import_keras().backend.backend())


def why_not_fast(
    model: Any,
    x: Any,
    y: Any,
    *,
    callbacks: Sequence[Any] | None = None,
    distributed: bool = False,
    validation_data: Any = None,
    fast: bool = True,
) -> str | None:
    """Return why the fast path cannot train this model, or ``None`` when it can."""
    if not fast:
        return "steps_per_execution was set explicitly"
    if os.environ.get(DISABLE_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return f"{DISABLE_ENV}=0"
    backend = _backend()
    if backend not in ("jax", "torch", "tensorflow"):
        return f"backend {backend!r} has no fast path"
    if callbacks:
        return "callbacks were given"
    if distributed:
        return "training is distributed"
    from brainkit.runtime import import_keras

    keras = import_keras()
    if keras.distribution.distribution() is not None:
        return "a Keras distribution is active"
    if backend == "jax":
        try:
            if keras.config.is_nnx_enabled():
                return "Flax NNX is enabled"
        except AttributeError:  # older Keras
            pass
    if getattr(model, "run_eagerly", False):
        return "the model runs eagerly"
    if backend == "jax" and not getattr(model, "jit_compile", True):
        return "the model is not jit-compiled"
    if getattr(model, "optimizer", None) is None or getattr(model, "_compile_loss", None) is None:
        return "the model is not compiled with an optimizer and a loss"
    if not hasattr(model, "_symbolic_build") or not hasattr(model, "train_step"):
        return "this Keras has no stateless train_step"
    arrays = [x, y] + (list(validation_data[:2]) if validation_data is not None else [])
    if not all(isinstance(a, (np.ndarray, _PixelRows)) for a in arrays):
        return "the data are not NumPy arrays"
    if validation_data is not None and len(validation_data) > 2 and validation_data[2] is not None:
        return "validation sample weights were given"
    if sum(a.nbytes for a in arrays) > MAX_DEVICE_BYTES:
        return "the data are too large to keep on the device"
    if backend == "torch":
        return _torch_why_not(model)
    if backend == "jax" and _has_convolutions(model):
        # Measured on a 2-core CPU: XLA's convolutions inside one long compiled loop ran a CNN
        # epoch ~10x slower (about 360 s against 31 s) than Keras's own fit; one compiled step
        # per call on device-resident data only matched fit (46 ms/step both).
        return "convolutions run faster through Keras's fit on XLA's CPU backend"
    return None


#: Layers that compute the same thing in training and inference and keep no state
#: besides their weights: the PyTorch fast path can record them once (torch.jit.trace).
TRACEABLE_LAYERS = frozenset(
    {
        "InputLayer",
        "Flatten",
        "Reshape",
        "Dense",
        "Activation",
        "ReLU",
        "Softmax",
        "LeakyReLU",
        "Conv1D",
        "Conv2D",
        "MaxPooling1D",
        "MaxPooling2D",
        "AveragePooling1D",
        "AveragePooling2D",
        "GlobalAveragePooling2D",
        "GlobalMaxPooling2D",
        "Rescaling",
    }
)


def _torch_why_not(model: Any) -> str | None:
    # keras.Model(inputs, outputs) is a Functional; a subclass may run any Python in call().
    kind = type(model)
    if kind.__name__ not in ("Functional", "Sequential") or not kind.__module__.startswith(
        "keras."
    ):
        return "a subclassed model (the PyTorch fast path records functional models)"
    others = sorted({type(layer).__name__ for layer in model.layers} - TRACEABLE_LAYERS)
    if others:
        return f"layers the PyTorch fast path does not record: {', '.join(others)}"
    if model.non_trainable_variables:
        return "the model has non-trainable state"
    if model.losses:
        return "the model adds regularization losses"
    for name in ("_compile_loss", "_compile_metrics", "_loss_tracker", "_compute_loss"):
        if not hasattr(model, name):
            return f"this Keras has no {name}"
    if getattr(model.optimizer, "gradient_accumulation_steps", None) or getattr(
        model.optimizer, "use_ema", False
    ):
        return "the optimizer accumulates gradients or keeps an EMA"
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
    fast: bool = True,
    pixels: Pixels | None = None,
) -> Any:
    """Train a compiled Keras model like ``model.fit``; return its ``History``.

    Parameters
    ----------
    model : keras.Model
        A compiled model.
    x : numpy.ndarray or None
        Training inputs; None when ``pixels`` gives them (``pixels.table[pixels.train]``):
        the float array is then made only if the path taken needs it.
    y : numpy.ndarray
        Training targets.
    epochs, batch_size : int
        As for ``fit``.
    verbose : int or "auto"
        ``0`` prints nothing, ``1`` (``"auto"``) a progress bar, ``2`` one line per epoch.
    callbacks : sequence of keras.callbacks.Callback, optional
        Given callbacks make it use ``model.fit``.
    validation_data : (x, y), optional
        Validated on after every epoch (``val_`` keys in the history).
    validation_split : float, optional
        Hold out the last fraction of ``x, y`` (before shuffling), as ``fit`` does.
    shuffle : bool
        A new random order of the training examples every epoch.
    distributed : bool
        True inside a :func:`brainkit.distribute.distribution_scope` that
        distributes: ``model.fit`` then runs.
    fast : bool
        False to use ``model.fit`` (brainkit passes False when ``steps_per_execution``
        was given explicitly).
    pixels : Pixels, optional
        The ``uint8`` images ``x`` (and the validation inputs) were made from:
        the fast path then keeps those on the device instead of the floats.

    Returns
    -------
    keras.callbacks.History
        With ``history.history`` as ``fit`` fills it, ``history.fit_path``:
        ``"jax-loop"`` (the fast path) or ``"keras-fit"`` (plus the reason), and
        ``history.epoch_seconds``, the wall time of every epoch (the first one
        includes compiling).
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
        fast=fast,
    )
    if reason is None:
        loop = {"jax": _JaxLoop, "torch": _TorchLoop, "tensorflow": _TfLoop}[_backend()]
        try:
            runner = loop(
                model, x, y, batch_size, validation_data, validation_split, shuffle, pixels
            )
        except Exception as exc:  # noqa: BLE001 - anything unexpected: Keras's fit still works
            reason = f"the fast path could not be prepared ({type(exc).__name__}: {exc})"
        else:
            history = runner.run(epochs, verbose)
            history.fit_path = runner.name
            return history
    logger.info("training with keras fit: %s", reason)
    kwargs: dict[str, Any] = {}
    if validation_data is not None:
        kwargs["validation_data"] = validation_data
    elif validation_split:
        kwargs["validation_split"] = validation_split
    timer = _epoch_timer()
    history = model.fit(
        _materialize(x),
        y,
        epochs=epochs,
        batch_size=batch_size,
        verbose=verbose,
        callbacks=[*(callbacks or []), timer],
        shuffle=shuffle,
        **kwargs,
    )
    history.fit_path = f"keras-fit ({reason})"
    history.epoch_seconds = list(timer.seconds)
    return history


def _epoch_timer() -> Any:
    """A callback that keeps the wall time of every epoch (``history.epoch_seconds``)."""
    import time

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


def _split(x: np.ndarray, y: np.ndarray, fraction: float) -> tuple[np.ndarray, ...]:
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


def _has_convolutions(model: Any) -> bool:
    return any("Conv" in type(layer).__name__ for layer in model._flatten_layers())


class _JaxLoop:
    """The whole-epoch JAX training loop for one model and one data set."""

    name = "jax-loop"

    def __init__(
        self,
        model: Any,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        validation_data: Any,
        validation_split: float | None,
        shuffle: bool,
        pixels: Pixels | None = None,
    ) -> None:
        import jax
        import jax.numpy as jnp

        self.jax, self.jnp = jax, jnp
        codes = pixels.train if pixels is not None else None
        val_codes = pixels.validation if pixels is not None else None
        val = None
        if validation_data is not None:
            val = (np.asarray(validation_data[0]), np.asarray(validation_data[1]))
        elif validation_split:
            x, y, vx, vy = _split(x, y, validation_split)
            val = (vx, vy)
            if codes is not None and len(codes) == len(x) + len(vx):
                codes, val_codes = codes[: len(x)], codes[len(x) :]
        if len(x) == 0:
            raise ValueError("no training examples")
        self.model = model
        self.n = len(x)
        self.batch_size = min(int(batch_size), self.n)
        self.steps = self.n // self.batch_size
        self.remainder = self.n - self.steps * self.batch_size
        self.shuffle = shuffle
        # Build the model, its metrics and the optimizer the way fit does, from a batch's shapes.
        model._symbolic_build(data_batch=(x[: self.batch_size], y[: self.batch_size]))
        if getattr(model.optimizer, "built", True) is False:
            model.optimizer.build(model.trainable_variables)
        from brainkit.runtime import enable_compile_cache

        enable_compile_cache()  # also when Keras was imported before brainkit
        self.x_host, self.y_host = x, y
        self.table = None
        if pixels is not None and pixels.matches(codes, x):
            self.table = jax.device_put(pixels.table)
            self.x = jax.device_put(codes)
        else:
            self.x = jax.device_put(_materialize(x))
        self.y = jax.device_put(y)
        self.val = None
        if val is not None and len(val[0]):
            self.val_host = val
            self.val_batch = min(VALIDATION_BATCH, len(val[0]))
            self.val_steps = len(val[0]) // self.val_batch
            use_codes = (
                self.table is not None and pixels is not None and pixels.matches(val_codes, val[0])
            )
            self.val_table = self.table if use_codes else None
            self.val = (
                jax.device_put(val_codes if use_codes else _materialize(val[0])),
                jax.device_put(val[1]),
            )
        self._train_chunk = jax.jit(self._train_loop)
        self._eval_chunk = jax.jit(self._eval_loop, static_argnums=(5,))
        self._train_one = jax.jit(self._train_step)
        self._eval_one = jax.jit(self._test_step)

    # -- state: the lists Keras's own JAX fit passes to train_step -------------------------
    def _state(self) -> tuple[list[Any], ...]:
        m = self.model
        return (
            [v.value for v in m.trainable_variables],
            [v.value for v in m.non_trainable_variables],
            [v.value for v in m.optimizer.variables],
            [v.value for v in m.metrics_variables],
        )

    def _write_back(self, state: tuple[list[Any], ...]) -> None:
        m = self.model
        for group, values in (
            (m.trainable_variables, state[0]),
            (m.non_trainable_variables, state[1]),
            (m.optimizer.variables, state[2]),
            (m.metrics_variables, state[-1]),
        ):
            for variable, value in zip(group, values, strict=True):
                variable.assign(value)

    def _logs(self, metrics_values: list[Any]) -> dict[str, Any]:
        # What train_step returns as logs: the metrics' results, read from their state.
        from keras import StatelessScope

        mapping = list(zip(self.model.metrics_variables, metrics_values, strict=True))
        with StatelessScope(state_mapping=mapping):
            return dict(self.model.get_metrics_result())

    # -- the compiled functions ----------------------------------------------------------
    def _train_body(self, state, x, y, table, order, i):  # noqa: ANN001 - traced
        jax, jnp = self.jax, self.jnp
        batch = jax.lax.dynamic_index_in_dim(order, i, keepdims=False)
        xb = jnp.take(x, batch, axis=0)
        if table is not None:
            xb = jnp.take(table, xb.astype(jnp.int32), axis=0)
        return self.model.train_step(state, (xb, jnp.take(y, batch, axis=0)))[1]

    def _train_loop(self, state, x, y, table, order, start, stop):  # noqa: ANN001 - traced
        def body(i, st):
            return self._train_body(st, x, y, table, order, i)

        state = self.jax.lax.fori_loop(start, stop, body, state)
        return state, self._logs(state[3])

    def _train_step(self, state, xb, yb):  # noqa: ANN001 - traced
        state = self.model.train_step(state, (xb, yb))[1]
        return state, self._logs(state[3])

    def _eval_body(self, state, x, y, table, i, batch):  # noqa: ANN001 - traced
        jax, jnp = self.jax, self.jnp
        xb = jax.lax.dynamic_slice_in_dim(x, i * batch, batch)
        if table is not None:
            xb = jnp.take(table, xb.astype(jnp.int32), axis=0)
        yb = jax.lax.dynamic_slice_in_dim(y, i * batch, batch)
        return self.model.test_step(state, (xb, yb))[1]

    def _eval_loop(self, state, x, y, table, steps, batch):  # noqa: ANN001 - traced
        def body(i, st):
            return self._eval_body(st, x, y, table, i, batch)

        state = self.jax.lax.fori_loop(0, steps, body, state)
        return state, self._logs(state[2])

    def _test_step(self, state, xb, yb):  # noqa: ANN001 - traced
        state = self.model.test_step(state, (xb, yb))[1]
        return state, self._logs(state[2])

    # -- one run -------------------------------------------------------------------------
    def _validate(self, tv: list[Any], ntv: list[Any], reset: list[Any]) -> dict[str, float]:
        vx, vy = self.val
        state: Any = (tv, ntv, reset)
        logs: dict[str, Any] = {}
        done = self.val_steps * self.val_batch
        if self.val_steps:
            state, logs = self._eval_chunk(
                state, vx, vy, self.val_table, self.val_steps, self.val_batch
            )
        if done < len(vx):
            hx, hy = self.val_host
            state, logs = self._eval_one(state, hx[done:], hy[done:])
        return {f"val_{k}": float(v) for k, v in logs.items()}

    def _chunks(self, verbose: int) -> list[tuple[int, int]]:
        if self.steps == 0:
            return []
        parts = min(PROGRESS_UPDATES, self.steps) if verbose == 1 else 1
        edges = [round(i * self.steps / parts) for i in range(parts + 1)]
        return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]

    def run(self, epochs: int, verbose: int | str) -> Any:
        from keras.callbacks import CallbackList

        verbose = 1 if verbose == "auto" else int(verbose)
        model = self.model
        total_steps = self.steps + (1 if self.remainder else 0)
        callbacks = CallbackList(
            None,
            add_history=True,
            add_progbar=verbose != 0,
            verbose=verbose,
            epochs=epochs,
            steps=total_steps,
            model=model,
        )
        model.stop_training = False
        chunks = self._chunks(verbose)
        bs = self.batch_size
        callbacks.on_train_begin()
        epoch_logs: dict[str, float] = {}
        seconds: list[float] = []
        for epoch in range(epochs):
            started = time.perf_counter()
            model.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            state = self._state()
            reset = state[3]
            order = np.random.permutation(self.n) if self.shuffle else np.arange(self.n)
            order = order.astype(np.int32)
            full = self.jax.device_put(order[: self.steps * bs].reshape(self.steps, bs))
            logs: dict[str, Any] = {}
            for start, stop in chunks:
                state, logs = self._train_chunk(
                    state, self.x, self.y, self.table, full, start, stop
                )
                if verbose == 1:
                    callbacks.on_train_batch_end(stop - 1, logs)
            if self.remainder:
                rest = order[self.steps * bs :]
                state, logs = self._train_one(state, self.x_host[rest], self.y_host[rest])
                if verbose == 1:
                    callbacks.on_train_batch_end(total_steps - 1, logs)
            epoch_logs = {k: float(v) for k, v in logs.items()}
            if self.val is not None:
                epoch_logs.update(self._validate(state[0], state[1], reset))
            self._write_back(state)
            seconds.append(time.perf_counter() - started)
            callbacks.on_epoch_end(epoch, epoch_logs)
        optimizer = model.optimizer
        if epochs > 0 and hasattr(optimizer, "finalize_variable_values"):
            optimizer.finalize_variable_values(model.trainable_weights)
        callbacks.on_train_end(logs=epoch_logs)
        history = model.history
        history.epoch_seconds = seconds
        return history


class _TorchLoop:
    """A lean PyTorch loop: the model's forward pass and loss recorded once, Keras's optimizer.

    Keras's PyTorch ``fit`` runs every layer's Python ``__call__`` at every step;
    here the forward pass and the loss are recorded once with ``torch.jit.trace``
    (for models made only of :data:`TRACEABLE_LAYERS`, which behave the same in
    training and inference), the data stay in ``torch`` tensors, and the
    optimizer is the model's own Keras optimizer (Adam without extras runs as
    the same update in PyTorch's fused Adam kernel). Small
    models at small batches run on one thread: handing 32-row products between
    threads costs more than it saves.
    """

    name = "torch-loop"

    def __init__(
        self,
        model: Any,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        validation_data: Any,
        validation_split: float | None,
        shuffle: bool,
        pixels: Pixels | None = None,
    ) -> None:
        import torch

        self.torch = torch
        val = None
        if validation_data is not None:
            val = (np.asarray(validation_data[0]), np.asarray(validation_data[1]))
        elif validation_split:
            x, y, vx, vy = _split(x, y, validation_split)
            val = (_materialize(vx), vy)
        if len(x) == 0:
            raise ValueError("no training examples")
        self.model = model
        self.val = val
        self.n = len(x)
        self.batch_size = min(int(batch_size), self.n)
        self.steps = -(-self.n // self.batch_size)
        self.shuffle = shuffle
        model._symbolic_build(data_batch=(x[: self.batch_size], y[: self.batch_size]))
        if getattr(model.optimizer, "built", True) is False:
            model.optimizer.build(model.trainable_variables)
        # uint8 pixels stay uint8 (4x less memory); each batch becomes floats through the table.
        self.table = None
        if isinstance(x, _PixelRows):
            self.table = torch.from_numpy(np.ascontiguousarray(x.table))
            x = x.codes
        self.x = torch.from_numpy(np.ascontiguousarray(x))
        self.y = torch.from_numpy(np.ascontiguousarray(y))
        self.variables = list(model.trainable_variables)
        self.params = [v.value for v in self.variables]
        self.threads = 1 if model.count_params() * self.batch_size <= 2e7 else None
        self.forward = self._trace(self.batch_size)
        rest = self.n % self.batch_size
        # The last, smaller batch gets its own recording (a recording may hold its shapes).
        self.forward_rest = self._trace(rest) if rest else None
        self.adam = self._plain_adam()
        self._step_tensor = torch.ones((), dtype=torch.float32)  # the fused kernel's step count
        self._fused = self._fused_available()

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

        with warnings_quiet():
            traced = torch.jit.trace(
                ForwardAndLoss(), (self._inputs(torch.arange(bs)), self.y[:bs]), check_trace=False
            )
        # The recording must use the model's own weights, not copies.
        mine = {id(p) for p in traced.parameters()}
        if not all(id(p) in mine for p in self.params):
            raise RuntimeError("the traced forward pass does not share the model's weights")
        return traced

    def _plain_adam(self) -> Any:
        """Keras's Adam update as fused torch ops, when the optimizer has no extras."""
        from brainkit.runtime import import_keras

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
        except (RuntimeError, TypeError, NotImplementedError) as exc:
            logger.info("fused Adam unavailable here (%s): foreach operations instead", exc)
            return False
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
        order = np.random.permutation(n) if self.shuffle else np.arange(n)
        order_t = torch.from_numpy(order.astype(np.int64))
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
        return self._logs(loss_sum, n)

    def _logs(self, loss_sum: Any, seen: int) -> dict[str, float]:
        tracker = self.model._loss_tracker
        tracker.reset_state()
        tracker.update_state(float(loss_sum) / seen, sample_weight=seen)
        return {k: float(v) for k, v in self.model.get_metrics_result().items()}

    def run(self, epochs: int, verbose: int | str) -> Any:
        from keras.callbacks import CallbackList

        torch = self.torch
        verbose = 1 if verbose == "auto" else int(verbose)
        model = self.model
        callbacks = CallbackList(
            None,
            add_history=True,
            add_progbar=verbose != 0,
            verbose=verbose,
            epochs=epochs,
            steps=self.steps,
            model=model,
        )
        model.stop_training = False
        threads = torch.get_num_threads()
        seconds: list[float] = []
        epoch_logs: dict[str, float] = {}
        try:
            if self.threads:
                torch.set_num_threads(self.threads)
            callbacks.on_train_begin()
            for epoch in range(epochs):
                started = time.perf_counter()
                model.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                epoch_logs = self._epoch(epoch, callbacks, verbose)
                if self.val is not None and len(self.val[0]):
                    values = model.evaluate(
                        self.val[0],
                        self.val[1],
                        batch_size=VALIDATION_BATCH,
                        verbose=0,
                        return_dict=True,
                    )
                    epoch_logs.update({f"val_{k}": float(v) for k, v in values.items()})
                seconds.append(time.perf_counter() - started)
                callbacks.on_epoch_end(epoch, epoch_logs)
        finally:
            torch.set_num_threads(threads)
        optimizer = model.optimizer
        if epochs > 0 and hasattr(optimizer, "finalize_variable_values"):
            optimizer.finalize_variable_values(model.trainable_weights)
        callbacks.on_train_end(logs=epoch_logs)
        history = model.history
        history.epoch_seconds = seconds
        return history


class _TfLoop:
    """TensorFlow: whole epochs in one ``tf.function`` (XLA-compiled when the model allows).

    Keras's TensorFlow ``fit`` already runs ``steps_per_execution`` steps per
    call, but feeds them from a ``tf.data`` pipeline. Here the data stay in
    tensors (the ``uint8`` pixels when known), every epoch draws a permutation,
    and a ``tf.while_loop`` gathers each batch and calls the model's own
    ``train_step`` -- the same step ``fit`` runs.
    """

    name = "tf-loop"

    def __init__(
        self,
        model: Any,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        validation_data: Any,
        validation_split: float | None,
        shuffle: bool,
        pixels: Pixels | None = None,
    ) -> None:
        import tensorflow as tf

        self.tf = tf
        codes = pixels.train if pixels is not None else None
        val_codes = pixels.validation if pixels is not None else None
        val = None
        if validation_data is not None:
            val = (np.asarray(validation_data[0]), np.asarray(validation_data[1]))
        elif validation_split:
            x, y, vx, vy = _split(x, y, validation_split)
            val = (vx, vy)
            if codes is not None and len(codes) == len(x) + len(vx):
                codes, val_codes = codes[: len(x)], codes[len(x) :]
        if len(x) == 0:
            raise ValueError("no training examples")
        self.model = model
        self.n = len(x)
        self.batch_size = min(int(batch_size), self.n)
        self.steps = self.n // self.batch_size
        self.remainder = self.n - self.steps * self.batch_size
        self.shuffle = shuffle
        model._symbolic_build(data_batch=(x[: self.batch_size], y[: self.batch_size]))
        if getattr(model.optimizer, "built", True) is False:
            model.optimizer.build(model.trainable_variables)
        self.x_host, self.y_host = x, y
        self.table = None
        if pixels is not None and pixels.matches(codes, x):
            self.table = tf.constant(pixels.table)
            self.x = tf.constant(codes)
        else:
            self.x = tf.constant(_materialize(x))
        self.y = tf.constant(y)
        self.val = None
        if val is not None and len(val[0]):
            self.val_host = val
            self.val_batch = min(VALIDATION_BATCH, len(val[0]))
            self.val_steps = len(val[0]) // self.val_batch
            use_codes = self.table is not None and pixels.matches(val_codes, val[0])
            self.val_table = self.table if use_codes else None
            self.val = (
                tf.constant(val_codes if use_codes else _materialize(val[0])),
                tf.constant(val[1]),
            )
        # Keras turns XLA off for TensorFlow on a CPU ("auto"); for a loop of small steps it
        # pays: one compiled program per epoch instead of an op-by-op graph.
        # Convolutions run slower inside an XLA loop on a CPU (as on JAX): those models keep
        # TensorFlow's own kernels in a graph loop.
        jit = not _has_convolutions(model) and all(
            getattr(layer, "supports_jit", True) for layer in model._flatten_layers()
        )
        self._compile_functions(jit)

    def _compile_functions(self, jit: bool) -> None:
        tf = self.tf
        self.jit = jit
        self._train_chunk = tf.function(self._train_loop, jit_compile=jit)
        self._train_one = tf.function(self._train_step, jit_compile=jit)
        self._eval_chunk = tf.function(self._eval_loop, jit_compile=jit)
        self._eval_one = tf.function(self._test_step, jit_compile=jit)

    def _first_call(self, *args: Any) -> Any:
        """Run the first chunk; if XLA cannot compile the model, do without it."""
        try:
            return self._train_chunk(*args)
        except Exception as exc:  # noqa: BLE001 - XLA raises several error types
            if not self.jit:
                raise
            logger.info("XLA could not compile the training loop (%s); running it without XLA", exc)
            self._compile_functions(False)
            return self._train_chunk(*args)

    def _decode(self, xb: Any, table: Any) -> Any:
        tf = self.tf
        return xb if table is None else tf.gather(table, tf.cast(xb, tf.int32))

    def _train_loop(self, order, start, stop):  # noqa: ANN001 - traced
        tf = self.tf
        for i in tf.range(start, stop):
            batch = order[i]
            xb = self._decode(tf.gather(self.x, batch), self.table)
            self.model.train_step((xb, tf.gather(self.y, batch)))
        return self.model.get_metrics_result()

    def _train_step(self, xb, yb):  # noqa: ANN001 - traced
        self.model.train_step((xb, yb))
        return self.model.get_metrics_result()

    def _eval_loop(self, steps):  # noqa: ANN001 - traced
        tf = self.tf
        vx, vy = self.val
        b = self.val_batch
        for i in tf.range(steps):
            xb = self._decode(vx[i * b : (i + 1) * b], self.val_table)
            self.model.test_step((xb, vy[i * b : (i + 1) * b]))
        return self.model.get_metrics_result()

    def _test_step(self, xb, yb):  # noqa: ANN001 - traced
        self.model.test_step((xb, yb))
        return self.model.get_metrics_result()

    def _validate(self) -> dict[str, float]:
        self.model.reset_metrics()
        logs: dict[str, Any] = {}
        done = self.val_steps * self.val_batch
        if self.val_steps:
            logs = self._eval_chunk(self.tf.constant(self.val_steps))
        hx, hy = self.val_host
        if done < len(hx):
            logs = self._eval_one(hx[done:], hy[done:])
        return {f"val_{k}": float(v) for k, v in logs.items()}

    def run(self, epochs: int, verbose: int | str) -> Any:
        from keras.callbacks import CallbackList

        tf = self.tf
        verbose = 1 if verbose == "auto" else int(verbose)
        model = self.model
        total_steps = self.steps + (1 if self.remainder else 0)
        callbacks = CallbackList(
            None,
            add_history=True,
            add_progbar=verbose != 0,
            verbose=verbose,
            epochs=epochs,
            steps=total_steps,
            model=model,
        )
        model.stop_training = False
        parts = min(PROGRESS_UPDATES, self.steps) if verbose == 1 and self.steps else 1
        edges = [round(i * self.steps / parts) for i in range(parts + 1)]
        bs = self.batch_size
        seconds: list[float] = []
        epoch_logs: dict[str, float] = {}
        callbacks.on_train_begin()
        for epoch in range(epochs):
            started = time.perf_counter()
            model.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            order = np.random.permutation(self.n) if self.shuffle else np.arange(self.n)
            order = order.astype(np.int32)
            full = tf.constant(order[: self.steps * bs].reshape(self.steps, bs))
            logs: dict[str, Any] = {}
            for start, stop in zip(edges[:-1], edges[1:], strict=True):
                if stop > start:
                    call = self._first_call if epoch == 0 and start == 0 else self._train_chunk
                    logs = call(full, tf.constant(start), tf.constant(stop))
                    if verbose == 1:
                        callbacks.on_train_batch_end(stop - 1, logs)
            if self.remainder:
                rest = order[self.steps * bs :]
                logs = self._train_one(self.x_host[rest], self.y_host[rest])
                if verbose == 1:
                    callbacks.on_train_batch_end(total_steps - 1, logs)
            epoch_logs = {k: float(v) for k, v in logs.items()}
            if self.val is not None:
                epoch_logs.update(self._validate())
            seconds.append(time.perf_counter() - started)
            callbacks.on_epoch_end(epoch, epoch_logs)
        optimizer = model.optimizer
        if epochs > 0 and hasattr(optimizer, "finalize_variable_values"):
            optimizer.finalize_variable_values(model.trainable_weights)
        callbacks.on_train_end(logs=epoch_logs)
        history = model.history
        history.epoch_seconds = seconds
        return history


class warnings_quiet:
    """Silence the tracer's warnings about Python values it records as constants."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)
