"""Data-parallel training of one run over the processes that `torchrun` starts.

Every rank holds the whole model and walks the same global batches (same seed, same schedule);
each rank computes the loss on its own contiguous slice of a batch, and `sync_gradients` all-reduces
the gradients weighted by slice size. The objectives return batch means, so
Σ_r (n_r / N) · mean_r = the mean over the global batch: the update equals single-process training
with the same global batch up to floating-point summation order (tests/test_ddp.py checks both).
Random objectives (rs_rp noise, dropout) draw from each rank's own generator, so those runs are
equal in distribution, not bit for bit.

Outside torchrun (no WORLD_SIZE > 1 in the environment) every function here is a no-op.
Backends: nccl on GPUs, gloo on CPU (toolchain.md §6: gloo DDP verified on this CPU machine).
"""
from __future__ import annotations

import atexit
import contextlib
import os

import numpy as np
import torch
import torch.distributed as dist


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def is_main() -> bool:
    """Rank 0 (or a single process): the only one that writes results and checkpoints."""
    return rank() == 0


def launched() -> bool:
    """Started by torchrun with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_from_env(teardown_at_exit: bool = False) -> bool:
    """Join torchrun's process group (RANK/WORLD_SIZE/MASTER_ADDR from the environment); True if joined.

    `teardown_at_exit` for callers without a `with process_group()` around them (a notebook kernel).
    """
    if not launched() or dist.is_initialized():
        return dist.is_initialized()
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl")
    else:
        dist.init_process_group("gloo")
    if teardown_at_exit:
        atexit.register(teardown)
    return True


def teardown() -> None:
    """Destroy the process group: without it a rank can abort at exit (toolchain.md §6)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


@contextlib.contextmanager
def process_group():
    """`with process_group():` joins torchrun's group (if any) and always tears it down."""
    init_from_env()
    try:
        yield
    finally:
        teardown()


def shard(index: np.ndarray) -> np.ndarray:
    """This rank's contiguous slice of a global batch (slices differ by at most one item; may be empty)."""
    if world_size() == 1:
        return index
    return np.array_split(np.asarray(index), world_size())[rank()]


def broadcast_parameters(params: list[torch.Tensor]) -> None:
    """Start every rank from rank 0's weights (heads are seeded alike, but never trust that silently)."""
    if world_size() == 1:
        return
    for p in params:
        dist.broadcast(p.data, src=0)


def sync_gradients(params: list[torch.Tensor], loss: float, local: int, total: int) -> float:
    """Replace each rank's gradients by the global-batch gradient; return the global-batch loss.

    `local` items of `total` were on this rank; gradients (and the loss) are weighted by local/total
    and summed over ranks in one flat all-reduce. A rank with an empty slice contributes zeros.
    """
    if world_size() == 1:
        return loss
    weight = local / total
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1).float() for g in grads] + [torch.tensor([loss], device=grads[0].device)]) * weight
    dist.all_reduce(flat)
    offset = 0
    for p, g in zip(params, grads):
        p.grad = flat[offset:offset + g.numel()].view_as(g).to(g.dtype)
        offset += g.numel()
    return float(flat[-1])
