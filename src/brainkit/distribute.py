"""Data-parallel training across devices with Keras's own distribution API.

brainkit does not build its own engine: :func:`distribution_scope` sets up a
``keras.distribution.DataParallel`` over a ``DeviceMesh`` and :func:`brainkit.train`
runs ``fit`` inside its scope. Each global batch is split evenly across the
devices; gradients are averaged by the XLA all-reduce that JAX compiles.

Keras's distribution API runs on the JAX backend only.

Several hosts (a cluster): call :func:`initialize` (it wraps
``keras.distribution.initialize``) on every host before training, with the
same coordinator address, the number of processes and each host's own process
id; then ``distribute="data_parallel"`` spans every device of every host.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from brainkit.errors import BrainkitError

__all__ = ["DistributeError", "distribution_scope", "initialize", "list_devices"]


class DistributeError(BrainkitError, ValueError):
    """Data parallelism was asked for but cannot run as asked; the message says why."""


def _keras() -> Any:
    from brainkit.runtime import import_keras

    return import_keras()


def list_devices(kind: str | None = None) -> list[str]:
    """Return the devices Keras can distribute over, e.g. ``["gpu:0", "gpu:1"]``.

    Parameters
    ----------
    kind : {"gpu", "cpu", "tpu"}, optional
        Only devices of this kind; by default accelerators if there are any, else CPUs.
    """
    keras = _keras()
    if kind is not None:
        return list(keras.distribution.list_devices(kind))
    devices = list(keras.distribution.list_devices())
    accelerators = [d for d in devices if not d.lower().startswith("cpu")]
    return accelerators or devices


def initialize(
    coordinator_address: str | None = None, num_processes: int | None = None, process_id: int | None = None
) -> None:
    """Join a multi-host job: call on every host before training (JAX backend).

    Parameters
    ----------
    coordinator_address : str
        ``"host:port"`` of process 0, the same on every host.
    num_processes : int
        How many hosts (processes) take part.
    process_id : int
        This host's id, 0 .. num_processes - 1 (0 on the coordinator).

    With no arguments, Keras reads ``KERAS_DISTRIBUTION_COORDINATOR_ADDRESS``,
    ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and ``KERAS_DISTRIBUTION_PROCESS_ID``
    (or the cluster's own environment, e.g. on Cloud TPU).
    """
    keras = _keras()
    if keras.backend.backend() != "jax":
        raise DistributeError(
            f"Multi-host training needs the JAX backend; this process runs {keras.backend.backend()!r}. "
            "Start it with KERAS_BACKEND=jax or brainkit --backend jax."
        )
    keras.distribution.initialize(coordinator_address, num_processes, process_id)


@contextmanager
def distribution_scope(
    distribute: str | Sequence[str] | None, global_batch_size: int
) -> Iterator[dict[str, Any] | None]:
    """Run the code inside with data parallelism, as ``distribute`` asks.

    Parameters
    ----------
    distribute : None, "auto", "data_parallel", or a list of device names
        ``None``: one device, no distribution. ``"auto"``: data parallel when
        more than one accelerator is present, else one device.
        ``"data_parallel"``: across every local accelerator (or every CPU
        device when there are no accelerators). A list such as
        ``["gpu:0", "gpu:1"]``: across those devices.
    global_batch_size : int
        The batch size of one step across all devices; it must divide evenly.

    Yields
    ------
    dict or None
        ``{"strategy", "devices", "mesh_shape", "per_device_batch"}`` when
        distributed, else None.
    """
    if distribute is None:
        yield None
        return
    keras = _keras()
    backend = keras.backend.backend()
    if isinstance(distribute, str):
        mode = distribute.strip().lower().replace("-", "_")
        if mode not in ("auto", "data_parallel"):
            raise DistributeError(
                f"distribute must be None, 'auto', 'data_parallel' or a list of devices; got {distribute!r}."
            )
        if mode == "auto":
            if backend != "jax":
                yield None
                return
            accelerators = [d for d in keras.distribution.list_devices() if not d.lower().startswith("cpu")]
            if len(accelerators) < 2:
                yield None
                return
            devices = accelerators
        else:
            if backend != "jax":
                raise DistributeError(_backend_message(backend))
            devices = list_devices()
    else:
        if backend != "jax":
            raise DistributeError(_backend_message(backend))
        devices = [str(d) for d in distribute]
        known = set(keras.distribution.list_devices())
        unknown = [d for d in devices if d not in known]
        if unknown:
            raise DistributeError(
                f"Unknown device(s) {', '.join(unknown)}; this machine has: {', '.join(sorted(known))}."
            )
    if len(devices) < 2:
        raise DistributeError(
            f"Data-parallel training needs at least 2 devices, but only {len(devices)} is available "
            f"({', '.join(devices)}). Train without distribute=, or on the CPU simulate devices for a try with "
            "XLA_FLAGS=--xla_force_host_platform_device_count=4 set before Python starts."
        )
    if global_batch_size % len(devices):
        raise DistributeError(
            f"The batch size {global_batch_size} does not split evenly across {len(devices)} devices; "
            f"use a multiple of {len(devices)}, e.g. {len(devices) * max(1, round(global_batch_size / len(devices)))}."
        )
    mesh = keras.distribution.DeviceMesh(shape=(len(devices),), axis_names=["batch"], devices=devices)
    strategy = keras.distribution.DataParallel(device_mesh=mesh)
    info = {
        "strategy": "data_parallel",
        "devices": devices,
        "mesh_shape": [len(devices)],
        "per_device_batch": global_batch_size // len(devices),
    }
    with strategy.scope():
        yield info


def _backend_message(backend: str) -> str:
    return (
        f"Data-parallel training uses Keras's distribution API, which runs on the JAX backend only; "
        f"this process runs {backend!r}. Start with KERAS_BACKEND=jax (or brainkit --backend jax), "
        "or train without distribute=."
    )
