"""The lesson MLP's training arithmetic as one hand-written JAX loop: the floor for brainkit's.

784 -> 128 (ReLU) -> 10, softmax cross-entropy, Adam, batch 32, one epoch (1,875 steps) inside
one jitted ``fori_loop`` on random data; prints the seconds of three epochs after a warm-up.
A little less work than brainkit's loop: contiguous batches (no shuffled gather), no accuracy
metric, no bias correction in Adam.
Compare with the ``epoch_seconds`` in the ``metrics.json`` of ``brainkit train --arch mlp``
(docs/performance.rst). Run: ``KERAS_BACKEND=jax python benchmarks/bench_jax_floor.py``.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np

rng = np.random.default_rng(0)
x = jnp.asarray(rng.random((60000, 784), dtype=np.float32))
y = jnp.asarray(rng.integers(0, 10, 60000))
shapes = ((784, 128), (128,), (128, 10), (10,))


def loss(p, xb, yb):
    z = jax.nn.relu(xb @ p[0] + p[1]) @ p[2] + p[3]
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(z), yb[:, None], 1))


def step(i, state):
    p, m, v = state
    xb, yb = (jax.lax.dynamic_slice_in_dim(a, i * 32, 32) for a in (x, y))
    g = jax.grad(loss)(p, xb, yb)
    m = [0.9 * a + 0.1 * b for a, b in zip(m, g, strict=True)]
    v = [0.999 * a + 0.001 * b * b for a, b in zip(v, g, strict=True)]
    p = [a - 1e-3 * b / (jnp.sqrt(c) + 1e-7) for a, b, c in zip(p, m, v, strict=True)]
    return p, m, v


@jax.jit
def epoch(state):
    return jax.lax.fori_loop(0, 1875, step, state)


params = [jnp.asarray(rng.normal(0, 0.05, s).astype(np.float32)) for s in shapes]
state = jax.block_until_ready(epoch((params, *([jnp.zeros_like(a) for a in params],) * 2)))
for _ in range(3):
    t = time.perf_counter()
    state = jax.block_until_ready(epoch(state))
    print(f"one epoch: {time.perf_counter() - t:.3f} s")
