"""Data parallel DropBlock on a 2-device CPU mesh: each replica draws its own mask.

XLA_FLAGS must be set before JAX is imported, so the JAX part runs in a fresh
interpreter; it saves the masks it saw and this process checks them against
the NumPy core.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import dropblock_core as db

GLOBAL_SHAPE = (4, 3, 12, 12)
LOCAL_SHAPE = (2, 3, 12, 12)
DROP, BLOCK, SEED, STEP = 0.2, 3, 11, 2

SCRIPT = textwrap.dedent(
    f"""
    import sys
    import jax, jax.numpy as jnp, numpy as np
    from jax.sharding import NamedSharding, PartitionSpec as P
    import dropblock_jax as dj

    assert jax.device_count() == 2, jax.devices()
    mesh = jax.make_mesh((2,), ("data",))
    x = jax.device_put(jnp.ones({GLOBAL_SHAPE}), NamedSharding(mesh, P("data")))

    def local(x, seed, step):
        replica = jax.lax.axis_index("data")
        return dj.dropblock(x, {DROP}, {BLOCK}, seed=seed, step=step, replica=replica)

    per_replica = jax.jit(
        jax.shard_map(local, mesh=mesh, in_specs=(P("data"), P(), P()), out_specs=P("data"))
    )
    y = per_replica(x, {SEED}, {STEP})
    assert y.sharding.spec[0] == "data", y.sharding  # stays batch-sharded
    whole = jax.jit(lambda x, s, t: dj.dropblock(x, {DROP}, {BLOCK}, seed=s, step=t))(
        x, {SEED}, {STEP}
    )
    on_second = jax.device_put(jnp.ones({LOCAL_SHAPE}), jax.devices()[1])
    eager = dj.dropblock(on_second, {DROP}, {BLOCK}, seed={SEED}, step={STEP}, replica=1)
    assert eager.devices() == {{jax.devices()[1]}}, eager.devices()
    np.savez(
        sys.argv[1],
        shard_map=np.asarray(y),
        global_jit=np.asarray(whole),
        eager_device1=np.asarray(eager),
    )
    """
)


@pytest.mark.slow
def test_replicas_draw_independent_masks_equal_to_the_core(tmp_path):
    out = tmp_path / "masks.npz"
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "JAX_PLATFORMS": "cpu",
    }
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    got = np.load(out)
    n = LOCAL_SHAPE[0]
    local = [
        db.sample_mask(LOCAL_SHAPE, DROP, BLOCK, seed=SEED, step=STEP, replica=r) for r in (0, 1)
    ]
    # shard_map: replica r's rows are the core's mask for its local shape and replica r
    for r in (0, 1):
        np.testing.assert_array_equal(got["shard_map"][r * n : (r + 1) * n] != 0, local[r])
        kept = local[r]
        np.testing.assert_allclose(  # normalisation is over the replica's own rows
            got["shard_map"][r * n : (r + 1) * n][kept], np.float32(kept.size / kept.sum())
        )
    assert (local[0] != local[1]).any()
    # jit over the sharded global array without shard_map: one global mask
    want = db.sample_mask(GLOBAL_SHAPE, DROP, BLOCK, seed=SEED, step=STEP)
    np.testing.assert_array_equal(got["global_jit"] != 0, want)
    # eager host path on the second device
    np.testing.assert_array_equal(got["eager_device1"] != 0, local[1])
