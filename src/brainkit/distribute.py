"""Data-parallel training with Keras's distribution API (JAX backend only): :doc:`/distributed`."""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from brainkit.errors import BrainkitError
from brainkit.runtime import import_keras

__all__ = [
    "BATCH_AXIS", "DistributeError", "check_even_batches", "distribution_scope",
    "ensure_cpu_threads", "initialize", "list_devices", "simulate_cpu_devices",
    "simulated_cpu_devices",
]

#: Name of the mesh axis the batch is split along.
BATCH_AXIS = "batch"
_DEVICE_COUNT_FLAG = "--xla_force_host_platform_device_count"


class DistributeError(BrainkitError, ValueError):
    """Data parallelism was asked for but cannot run as asked; the message says why."""


def simulated_cpu_devices(environ: MutableMapping[str, str] | None = None) -> int:
    """Return how many CPU devices JAX will simulate (``XLA_FLAGS``, ``JAX_NUM_CPU_DEVICES``)."""
    env = os.environ if environ is None else environ
    match = re.search(rf"{_DEVICE_COUNT_FLAG}=(\d+)", env.get("XLA_FLAGS", ""))
    value = env.get("JAX_NUM_CPU_DEVICES", "").strip()
    counts = [1, int(match.group(1)) if match else 1, int(value) if value.isdigit() else 1]
    if environ is None and "jax" in sys.modules:  # jax.config.update("jax_num_cpu_devices", n)
        counts.append(int(sys.modules["jax"].config.values.get("jax_num_cpu_devices", -1)))
    return max(counts)


def _cores() -> int:
    with suppress(AttributeError, OSError):  # sched_getaffinity is Linux only
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _cpu_pool_too_small(num_devices: int) -> bool:
    """Whether XLA's CPU client has (probably) fewer than 2 host threads per device."""
    for name in ("PJRT_NPROC", "NPROC"):  # XLA reads them in this order
        if value := os.environ.get(name, "").strip():
            return not value.isdigit() or int(value) < 2 * num_devices
    return _cores() < 2 * num_devices


def ensure_cpu_threads(environ: MutableMapping[str, str] | None = None) -> int | None:
    """Set ``PJRT_NPROC`` against XLA's CPU deadlock; return the count set, or None if unchanged.

    With ``N`` simulated devices, sets it to ``max(cores, 2 * N)`` unless it or ``NPROC`` is set;
    it acts only before JAX starts its CPU backend (see :doc:`/distributed`).

    Parameters
    ----------
    environ : mapping, optional
        The environment to read and change; ``os.environ`` by default.
    """
    env = os.environ if environ is None else environ
    devices = simulated_cpu_devices(env)
    if devices < 2 or env.get("PJRT_NPROC", "").strip() or env.get("NPROC", "").strip():
        return None
    threads = max(_cores(), 2 * devices)
    env["PJRT_NPROC"] = str(threads)
    return threads


def _jax_started() -> bool:
    if "jax" not in sys.modules:
        return False
    with suppress(ImportError, AttributeError):  # else a JAX without this helper: assume the worst
        from jax._src import xla_bridge
        return bool(xla_bridge.backends_are_initialized())
    return True


def simulate_cpu_devices(count: int) -> None:
    """Simulate ``count`` CPU devices in this process, to try data parallelism without accelerators.

    Sets ``XLA_FLAGS`` and applies :func:`ensure_cpu_threads`. Raises :class:`DistributeError`
    if JAX has computed already (importing Keras is fine): the device count is fixed then.

    Parameters
    ----------
    count : int
        Number of CPU devices, at least 1.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise DistributeError(f"count must be a positive integer, got {count!r}.")
    if _jax_started():
        raise DistributeError(
            "JAX has already started its devices in this process, so their number cannot "
            "change. Call brainkit.distribute.simulate_cpu_devices() before anything computes, "
            f"or start Python with XLA_FLAGS={_DEVICE_COUNT_FLAG}={count}."
        )
    flags = os.environ.get("XLA_FLAGS", "").split()
    flags = [f for f in flags if not f.startswith(_DEVICE_COUNT_FLAG)]
    os.environ["XLA_FLAGS"] = " ".join([*flags, f"{_DEVICE_COUNT_FLAG}={count}"])
    if "JAX_NUM_CPU_DEVICES" in os.environ:
        os.environ["JAX_NUM_CPU_DEVICES"] = str(count)
    # JAX read JAX_NUM_CPU_DEVICES when it was imported, and its config wins over XLA_FLAGS.
    jax = sys.modules.get("jax")
    if jax is not None and jax.config.values.get("jax_num_cpu_devices", -1) not in (-1, count):
        jax.config.update("jax_num_cpu_devices", count)
    ensure_cpu_threads()


def list_devices(kind: str | None = None) -> list[str]:
    """Return the devices Keras can distribute over, e.g. ``["gpu:0", "gpu:1"]``.

    Parameters
    ----------
    kind : {"gpu", "cpu", "tpu"}, optional
        Only devices of this kind; by default accelerators if there are any, else CPUs.
    """
    keras = import_keras()
    if kind is not None:
        return [str(d) for d in keras.distribution.list_devices(str(kind).lower())]
    devices = [str(d) for d in keras.distribution.list_devices()]
    return [d for d in devices if not d.lower().startswith("cpu")] or devices


def initialize(
    coordinator_address: str | None = None, num_processes: int | None = None,
    process_id: int | None = None,
) -> None:
    """Join a multi-host job: call on every host before training (JAX backend; :doc:`/distributed`).

    Parameters
    ----------
    coordinator_address : str, optional
        ``"host:port"`` of process 0, the same on every host; left out, each argument is read
        from a ``KERAS_DISTRIBUTION_*`` variable.
    num_processes : int, optional
        How many hosts (processes) take part.
    process_id : int, optional
        This host's id, 0 .. num_processes - 1 (0 on the coordinator).
    """
    keras = import_keras()
    if (backend := keras.backend.backend()) != "jax":
        raise DistributeError(
            f"Multi-host training needs the JAX backend; this process runs {backend!r}. Start "
            "it with KERAS_BACKEND=jax or brainkit --backend jax."
        )
    if num_processes is not None and (isinstance(num_processes, bool) or int(num_processes) < 1):
        raise DistributeError(f"num_processes must be a positive integer, got {num_processes!r}.")
    if None not in (process_id, num_processes) and not 0 <= int(process_id) < int(num_processes):
        raise DistributeError(
            f"process_id must be between 0 and {int(num_processes) - 1}, got {process_id!r}."
        )
    if not _jax_started():  # Keras's initialize runs a collective: the workaround goes first
        ensure_cpu_threads()
    keras.distribution.initialize(coordinator_address, num_processes, process_id)


def _device_name(device: Any) -> str:
    """``"gpu:0"`` for ``"gpu:0"``, ``"GPU:0"``, ``" gpu:0 "`` or a JAX device object."""
    platform, ident = getattr(device, "platform", None), getattr(device, "id", None)
    if platform is not None and ident is not None:
        return f"{str(platform).lower()}:{ident}"
    if not isinstance(device, str):
        raise DistributeError(
            f"Name devices like 'gpu:0' (see brainkit.distribute.list_devices()); got {device!r}."
        )
    return device.strip().lower()


def _choose_devices(distribute: str | Sequence[Any], backend: str, keras: Any) -> list[str] | None:
    """The devices to split the batch across, or None for one device ('auto' found < 2)."""
    if isinstance(distribute, str):
        mode = distribute.strip().lower().replace("-", "_")
        if mode not in ("auto", "data_parallel"):
            raise DistributeError(
                "distribute must be None, 'auto', 'data_parallel' or a list of devices; "
                f"got {distribute!r}."
            )
        if mode == "auto":
            found = list_devices() if backend == "jax" else []
            return found if len(found) >= 2 and not found[0].lower().startswith("cpu") else None
    if backend != "jax":
        raise DistributeError(
            "Data-parallel training uses Keras's distribution API, which runs on the JAX "
            f"backend only; this process runs {backend!r}. Start with KERAS_BACKEND=jax (or "
            "brainkit --backend jax), or train without distribute=."
        )
    if isinstance(distribute, str):
        return list_devices()
    devices = [_device_name(d) for d in distribute]
    known = [str(d) for d in keras.distribution.list_devices()]
    for kind in ("gpu", "tpu", "cpu"):
        with suppress(Exception):  # JAX raises RuntimeError for a platform it lacks
            known += [str(d) for d in keras.distribution.list_devices(kind) if str(d) not in known]
    if unknown := [d for d in devices if d not in known]:
        raise DistributeError(
            f"Unknown device(s) {', '.join(map(repr, unknown))}; this machine has: "
            f"{', '.join(known)}. Name devices as brainkit.distribute.list_devices() prints them."
        )
    if repeated := sorted({d for d in devices if devices.count(d) > 1}):
        raise DistributeError(
            f"Device(s) {', '.join(repeated)} listed more than once; list each device once."
        )
    kinds = sorted({d.split(":")[0] for d in devices})
    if len(kinds) > 1:
        raise DistributeError(
            f"All devices must be of one kind, got {', '.join(kinds)} ({', '.join(devices)}); "
            "data parallelism over mixed devices would wait for the slowest at every step."
        )
    return devices


@contextmanager
def distribution_scope(
    distribute: str | Sequence[Any] | None, global_batch_size: int
) -> Iterator[dict[str, Any] | None]:
    """Run the block data parallel: build, compile, fit and evaluate the model inside it.

    See :doc:`/distributed`. Raises :class:`DistributeError` if not on JAX, with fewer than 2
    devices, an unknown device, or a batch that does not split evenly. Warns
    (``RuntimeWarning``) if JAX started its CPU devices with too few host threads.

    Parameters
    ----------
    distribute : None, "auto", "data_parallel", or a list of device names
        ``None``: one device; ``"auto"``: 2 or more accelerators, else one device;
        ``"data_parallel"``: every local accelerator, else every CPU; a list: those devices.
    global_batch_size : int
        The batch of one step across all devices (each host's batch after :func:`initialize`).

    Yields
    ------
    dict or None
        ``{"strategy", "devices", "mesh_shape", "axis_names", "global_batch", "per_device_batch"}``
        (and ``"processes"`` on several hosts) when distributed, else None.
    """
    devices = None
    if distribute is not None:
        keras = import_keras()
        backend = keras.backend.backend()
        started = backend != "jax" or _jax_started()
        if not started:  # the workaround must precede JAX's CPU backend
            ensure_cpu_threads()
        devices = _choose_devices(distribute, backend, keras)
    if devices is None:
        yield None
        return
    if len(devices) < 2:
        raise DistributeError(
            f"Data-parallel training needs at least 2 devices, but only {len(devices)} is "
            f"available ({', '.join(devices) or 'none'}). Train without distribute=. On a CPU, "
            f"simulate devices for a try with XLA_FLAGS={_DEVICE_COUNT_FLAG}=4 set before Python "
            "starts (or brainkit.distribute.simulate_cpu_devices(4) before anything computes)."
        )
    if isinstance(global_batch_size, bool) or int(global_batch_size) < 1:
        raise DistributeError(
            f"The batch size must be a positive integer, got {global_batch_size!r}."
        )
    global_batch_size = int(global_batch_size)
    n = len(devices)
    import jax  # the backend is JAX here
    processes = int(jax.process_count())
    # Several hosts: each process feeds its own batches of global_batch_size (Keras cuts the
    # arrays it is given) to its own devices, so that is what must split evenly.
    local = max(1, n // processes)
    if global_batch_size % local:
        lower = max(local, global_batch_size // local * local)
        where = f"{local} devices" if processes == 1 else f"this host's {local} devices"
        raise DistributeError(
            f"The batch size {global_batch_size} does not split evenly across {where}; "
            f"use a multiple of {local}, e.g. {lower} or {lower + local}."
        )
    if started and devices[0].startswith("cpu") and _cpu_pool_too_small(local):
        warnings.warn(
            "JAX started its CPU backend before brainkit could give it enough host threads for "
            f"{local} devices; Keras's fit may then stop in an XLA all-reduce deadlock (see "
            "brainkit.distribute). Call brainkit.distribute.ensure_cpu_threads() (or "
            "simulate_cpu_devices) before anything computes, or set "
            f"PJRT_NPROC={max(_cores(), 2 * local)} before Python starts.",
            RuntimeWarning, stacklevel=3,
        )
    mesh = keras.distribution.DeviceMesh(shape=(n,), axis_names=[BATCH_AXIS], devices=devices)
    # NumPy arrays cannot be sharded across processes by Keras: each host passes its own part.
    strategy = keras.distribution.DataParallel(device_mesh=mesh, auto_shard_dataset=processes == 1)
    info = {
        "strategy": "data_parallel", "devices": list(devices), "mesh_shape": [n],
        "axis_names": [BATCH_AXIS], "global_batch": global_batch_size * processes,
        "per_device_batch": global_batch_size // local,
    }
    if processes > 1:
        info["processes"] = processes
    with strategy.scope():
        yield info


def check_even_batches(
    num_examples: int, batch_size: int, num_devices: int, what: str = "the data"
) -> None:
    """Raise :class:`DistributeError` unless each batch of ``num_examples`` splits across devices.

    Parameters
    ----------
    num_examples, batch_size, num_devices : int
        Examples in the array to batch, the global batch size, and devices in the mesh.
    what : str
        How to name the data in the message, e.g. ``"the training set"``.
    """
    last = int(num_examples) % int(batch_size)
    if last % int(num_devices):
        keep = int(num_examples) - last % int(num_devices)
        raise DistributeError(
            f"{what[:1].upper()}{what[1:]} has {num_examples} examples: with batches of "
            f"{batch_size} the last batch holds {last}, which does not split evenly across "
            f"{num_devices} devices. Use {keep} examples (or a batch size that divides "
            f"{num_examples})."
        )
