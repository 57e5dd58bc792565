"""Data-parallel training across devices with Keras's own distribution API.

brainkit does not build its own engine: :func:`distribution_scope` sets up a
``keras.distribution.DataParallel`` over a one-axis ``DeviceMesh`` and
:func:`brainkit.train` builds, compiles, fits and evaluates the model inside
its scope. Every variable is replicated on each device, each global batch is
split evenly across the devices along the mesh's ``"batch"`` axis, and the
gradients are averaged by the all-reduce that XLA compiles into the training
step. The result is the same model, to rounding, as training on one device
with the same global batch.

Keras's distribution API runs on the JAX backend only.

On a CPU, simulate devices to try it: set the flag before Python starts::

    XLA_FLAGS=--xla_force_host_platform_device_count=4 KERAS_BACKEND=jax \\
        brainkit train --distribute data_parallel

or call :func:`simulate_cpu_devices` before JAX runs anything. The simulated
devices share the same cores, so they show that the arithmetic is right, never
a speed-up.

A known JAX/XLA problem on the CPU (jaxlib 0.10), and brainkit's workaround:
XLA's CPU client runs each device's share of a multi-device program on a pool
of host threads sized from the number of cores (``PJRT_NPROC`` or ``NPROC``
override it), and a share that reaches the all-reduce holds its thread until
every other device's share arrives. With as many threads as simulated devices,
another piece of work in flight at the same moment (a second sharded
computation; in Keras's ``fit``, the callback thread fetching a step's logs
while the next steps are launched) leaves a share without a thread: a
deadlock, which XLA ends after 40 s with "Expected 2 threads to join the
rendezvous, but only 1 of them arrived on time". :func:`ensure_cpu_threads`
gives the pool two threads per simulated device, which removes it; it must run
before JAX starts its CPU backend, so :func:`distribution_scope` applies it
first thing (enough for :func:`brainkit.train`), as does
:func:`simulate_cpu_devices`.

Several hosts (a cluster): call :func:`initialize` (it wraps
``keras.distribution.initialize``) on every host before training, with the
same coordinator address, the number of processes and each host's own process
id; then ``distribute="data_parallel"`` spans every device of every host. Keras
cannot split NumPy arrays between hosts, so each host trains on its own,
equally long part of the training set (e.g. every ``num_processes``-th
example from its ``process_id``), in batches of the given batch size: the
global batch is that times the number of hosts.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from typing import Any

from brainkit.errors import BrainkitError
from brainkit.runtime import import_keras

__all__ = [
    "BATCH_AXIS",
    "DistributeError",
    "check_even_batches",
    "distribution_scope",
    "ensure_cpu_threads",
    "initialize",
    "list_devices",
    "simulate_cpu_devices",
    "simulated_cpu_devices",
]

#: Name of the mesh axis the batch is split along.
BATCH_AXIS = "batch"

SIMULATE_HINT = (
    "On a CPU, simulate devices for a try with "
    "XLA_FLAGS=--xla_force_host_platform_device_count=4 set before Python starts "
    "(or brainkit.distribute.simulate_cpu_devices(4) before anything computes)."
)


class DistributeError(BrainkitError, ValueError):
    """Data parallelism was asked for but cannot run as asked; the message says why."""


_DEVICE_COUNT_FLAG = "--xla_force_host_platform_device_count"


def simulated_cpu_devices(environ: MutableMapping[str, str] | None = None) -> int:
    """How many CPU devices JAX will simulate, from ``XLA_FLAGS`` and ``JAX_NUM_CPU_DEVICES`` (1 if none)."""
    env = os.environ if environ is None else environ
    counts = [1]
    match = re.search(rf"{_DEVICE_COUNT_FLAG}=(\d+)", env.get("XLA_FLAGS", ""))
    if match:
        counts.append(int(match.group(1)))
    value = env.get("JAX_NUM_CPU_DEVICES", "").strip()
    if value.isdigit():
        counts.append(int(value))
    if environ is None and "jax" in sys.modules:  # jax.config.update("jax_num_cpu_devices", n)
        configured = sys.modules["jax"].config.values.get("jax_num_cpu_devices", -1)
        if isinstance(configured, int) and configured > 0:
            counts.append(configured)
    return max(counts)


def _cpu_pool_too_small(num_devices: int) -> bool:
    """Whether XLA's CPU client has (probably) fewer than 2 host threads per device."""
    for name in ("PJRT_NPROC", "NPROC"):  # XLA reads them in this order
        value = os.environ.get(name, "").strip()
        if value:
            return not value.isdigit() or int(value) < 2 * num_devices
    return _cores() < 2 * num_devices


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def ensure_cpu_threads(environ: MutableMapping[str, str] | None = None) -> int | None:
    """Work around XLA's CPU deadlock with simulated devices: give its thread pool 2 threads per device.

    XLA's CPU client sizes its pool of host threads from the number of cores;
    with as many threads as simulated devices, the devices' shares of a step
    that wait in the all-reduce can hold every thread while other work in
    flight needs one, and the step never completes (see this module's notes).
    With ``N`` simulated devices this sets ``PJRT_NPROC`` to
    ``max(cores, 2 * N)``, unless ``PJRT_NPROC`` or ``NPROC`` is set already.
    It has an effect only before JAX starts its CPU backend (the first
    computation or ``jax.devices()``); :func:`distribution_scope` calls it.

    Parameters
    ----------
    environ : mapping, optional
        The environment to read and change; ``os.environ`` by default.

    Returns
    -------
    int or None
        The thread count it set, or None if it left the environment alone.
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
    try:
        from jax._src import xla_bridge

        return bool(xla_bridge.backends_are_initialized())
    except (ImportError, AttributeError):  # a JAX without this private helper: assume the worst
        return True


def simulate_cpu_devices(count: int) -> None:
    """Simulate ``count`` CPU devices in this process, to try data parallelism without accelerators.

    Sets ``XLA_FLAGS=--xla_force_host_platform_device_count=count`` and applies
    :func:`ensure_cpu_threads`. Call it before JAX runs anything (importing
    Keras or brainkit is fine; training, ``jax.devices()`` or any array
    operation is too late). From a shell, set the same variable before Python
    starts instead.

    Parameters
    ----------
    count : int
        Number of CPU devices, at least 1.

    Raises
    ------
    DistributeError
        If JAX has already started its backend (the device count is fixed then).
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise DistributeError(f"count must be a positive integer, got {count!r}.")
    if _jax_started():
        raise DistributeError(
            "JAX has already started its devices in this process, so their number cannot change. "
            "Call brainkit.distribute.simulate_cpu_devices() before anything computes, or start Python "
            f"with XLA_FLAGS={_DEVICE_COUNT_FLAG}={count}."
        )
    flags = [
        f for f in os.environ.get("XLA_FLAGS", "").split() if not f.startswith(_DEVICE_COUNT_FLAG)
    ]
    os.environ["XLA_FLAGS"] = " ".join([*flags, f"{_DEVICE_COUNT_FLAG}={count}"])
    if "JAX_NUM_CPU_DEVICES" in os.environ:
        os.environ["JAX_NUM_CPU_DEVICES"] = str(count)
    # JAX read JAX_NUM_CPU_DEVICES when it was imported, and its config wins over XLA_FLAGS.
    if "jax" in sys.modules:
        import jax

        if jax.config.values.get("jax_num_cpu_devices", -1) not in (-1, count):
            jax.config.update("jax_num_cpu_devices", count)
    ensure_cpu_threads()


def _is_accelerator(device: str) -> bool:
    return not device.lower().startswith("cpu")


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
    accelerators = [d for d in devices if _is_accelerator(d)]
    return accelerators or devices


def initialize(
    coordinator_address: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
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

    With no arguments, Keras reads ``KERAS_DISTRIBUTION_JOB_ADDRESSES``,
    ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and ``KERAS_DISTRIBUTION_PROCESS_ID``
    (or JAX detects the cluster's own environment, e.g. Cloud TPU or Slurm).
    """
    keras = import_keras()
    if keras.backend.backend() != "jax":
        raise DistributeError(
            f"Multi-host training needs the JAX backend; this process runs {keras.backend.backend()!r}. "
            "Start it with KERAS_BACKEND=jax or brainkit --backend jax."
        )
    if num_processes is not None and (isinstance(num_processes, bool) or int(num_processes) < 1):
        raise DistributeError(f"num_processes must be a positive integer, got {num_processes!r}.")
    if (
        process_id is not None
        and num_processes is not None
        and not 0 <= int(process_id) < int(num_processes)
    ):
        raise DistributeError(
            f"process_id must be between 0 and num_processes - 1 = {int(num_processes) - 1}, got {process_id!r}."
        )
    if not _jax_started():  # Keras's initialize runs a collective: the workaround goes first
        ensure_cpu_threads()
    keras.distribution.initialize(coordinator_address, num_processes, process_id)


def _device_name(device: Any) -> str:
    """``"gpu:0"`` for ``"gpu:0"``, ``"GPU:0"``, ``" gpu:0 "`` or a JAX device object."""
    platform = getattr(device, "platform", None)
    ident = getattr(device, "id", None)
    if platform is not None and ident is not None:
        return f"{str(platform).lower()}:{ident}"
    if not isinstance(device, str):
        raise DistributeError(
            f"Devices are named like 'gpu:0' (see brainkit.distribute.list_devices()); got {device!r}."
        )
    return device.strip().lower()


def _choose_devices(distribute: str | Sequence[Any], backend: str, keras: Any) -> list[str] | None:
    """The devices to split the batch across, or None for one device ('auto' found < 2)."""
    if isinstance(distribute, str):
        mode = distribute.strip().lower().replace("-", "_")
        if mode not in ("auto", "data_parallel"):
            raise DistributeError(
                f"distribute must be None, 'auto', 'data_parallel' or a list of devices; got {distribute!r}."
            )
        if mode == "auto":
            if backend != "jax":
                return None
            accelerators = [
                str(d) for d in keras.distribution.list_devices() if _is_accelerator(str(d))
            ]
            return accelerators if len(accelerators) >= 2 else None
        if backend != "jax":
            raise DistributeError(_backend_message(backend))
        return list_devices()
    if backend != "jax":
        raise DistributeError(_backend_message(backend))
    devices = [_device_name(d) for d in distribute]
    known = [str(d) for d in keras.distribution.list_devices()]
    known += [d for d in _all_devices(keras) if d not in known]
    unknown = [d for d in devices if d not in known]
    if unknown:
        raise DistributeError(
            f"Unknown device(s) {', '.join(map(repr, unknown))}; this machine has: {', '.join(known)}. "
            "Name devices as brainkit.distribute.list_devices() prints them."
        )
    repeated = sorted({d for d in devices if devices.count(d) > 1})
    if repeated:
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


def _process_count(backend: str) -> int:
    if backend != "jax":
        return 1
    import jax

    return int(jax.process_count())


def _all_devices(keras: Any) -> list[str]:
    names: list[str] = []
    for kind in ("gpu", "tpu", "cpu"):
        try:
            names += [str(d) for d in keras.distribution.list_devices(kind)]
        except Exception:  # noqa: BLE001 - JAX raises RuntimeError for a platform it lacks
            continue
    return names


@contextmanager
def distribution_scope(
    distribute: str | Sequence[Any] | None, global_batch_size: int
) -> Iterator[dict[str, Any] | None]:
    """Run the code inside with data parallelism, as ``distribute`` asks.

    Build, compile, fit and evaluate the model inside the ``with`` block:
    variables created there are replicated on every device of the mesh.
    On the JAX backend it first applies :func:`ensure_cpu_threads` (the
    workaround for XLA's CPU deadlock with simulated devices) if JAX has not
    started yet.

    Parameters
    ----------
    distribute : None, "auto", "data_parallel", or a list of device names
        ``None``: one device, no distribution. ``"auto"``: data parallel when
        more than one accelerator is present (on the JAX backend), else one
        device. ``"data_parallel"``: across every local accelerator (or every
        CPU device when there are no accelerators). A list such as
        ``["gpu:0", "gpu:1"]``: across those devices.
    global_batch_size : int
        The batch size of one step across all devices; it must divide evenly.
        In a multi-host job (after :func:`initialize`) it is each host's
        batch, split across that host's devices, and each host must feed
        its own part of the data (see the notes on several hosts).

    Yields
    ------
    dict or None
        ``{"strategy", "devices", "mesh_shape", "axis_names", "global_batch",
        "per_device_batch"}`` (and ``"processes"`` on several hosts) when
        distributed, else None.

    Raises
    ------
    DistributeError
        The backend is not JAX, fewer than 2 devices, an unknown device name,
        or a batch size that does not split evenly across the devices.

    Warns
    -----
    RuntimeWarning
        When distributing over CPU devices that JAX started, before this call,
        with fewer than 2 host threads per device (the deadlock can happen).
    """
    if distribute is None:
        yield None
        return
    keras = import_keras()
    backend = keras.backend.backend()
    started = backend != "jax" or _jax_started()
    if not started:
        # Before anything asks JAX for its devices: the workaround must precede the CPU backend.
        ensure_cpu_threads()
    devices = _choose_devices(distribute, backend, keras)
    if devices is None:
        yield None
        return
    if len(devices) < 2:
        raise DistributeError(
            f"Data-parallel training needs at least 2 devices, but only {len(devices)} is available "
            f"({', '.join(devices) or 'none'}). Train without distribute=. {SIMULATE_HINT}"
        )
    if isinstance(global_batch_size, bool) or int(global_batch_size) < 1:
        raise DistributeError(
            f"The batch size must be a positive integer, got {global_batch_size!r}."
        )
    global_batch_size = int(global_batch_size)
    n = len(devices)
    processes = _process_count(backend)
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
            RuntimeWarning,
            stacklevel=3,
        )
    mesh = keras.distribution.DeviceMesh(shape=(n,), axis_names=[BATCH_AXIS], devices=devices)
    # NumPy arrays cannot be sharded across processes by Keras: each host passes its own part.
    strategy = keras.distribution.DataParallel(device_mesh=mesh, auto_shard_dataset=processes == 1)
    info = {
        "strategy": "data_parallel",
        "devices": list(devices),
        "mesh_shape": [n],
        "axis_names": [BATCH_AXIS],
        "global_batch": global_batch_size * processes,
        "per_device_batch": global_batch_size // local,
    }
    if processes > 1:
        info["processes"] = processes
    with strategy.scope():
        yield info


def check_even_batches(
    num_examples: int, batch_size: int, num_devices: int, what: str = "the data"
) -> None:
    """Raise :class:`DistributeError` unless every batch of ``num_examples`` splits across the devices.

    Keras cuts the data into batches of ``batch_size``; the last one holds the
    remainder, and JAX can only split it if the device count divides it too
    (else it fails deep inside ``fit`` with an ``IndivisibleError``).

    Parameters
    ----------
    num_examples : int
        Examples in the array that ``fit``/``evaluate`` will batch.
    batch_size : int
        The global batch size used for it.
    num_devices : int
        Devices in the mesh.
    what : str
        How to name the data in the message, e.g. ``"the training set"``.
    """
    last = int(num_examples) % int(batch_size)
    if last % int(num_devices):
        keep = int(num_examples) - last % int(num_devices)
        raise DistributeError(
            f"{what[:1].upper()}{what[1:]} has {num_examples} examples: with batches of {batch_size} "
            f"the last batch holds {last}, which does not split evenly across {num_devices} devices. "
            f"Use {keep} examples (or a batch size that divides {num_examples})."
        )


def _backend_message(backend: str) -> str:
    return (
        f"Data-parallel training uses Keras's distribution API, which runs on the JAX backend only; "
        f"this process runs {backend!r}. Start with KERAS_BACKEND=jax (or brainkit --backend jax), "
        "or train without distribute=."
    )
