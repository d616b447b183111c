"""Where and at which precision models compute: the device, what `precision: auto` means here, autocast.

Training (rxlt.train.loop) and prediction (rxlt.scoring) both use it, so it sits below both.
"""
from __future__ import annotations

import contextlib

import torch


def compute_device() -> torch.device:
    """The GPU when there is one (this rank's, under torchrun), else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def cpu_has_fast_bf16() -> bool:
    """AVX512-BF16 or AMX tiles: bf16 matrix products run natively (else oneDNN emulates them)."""
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def choose_precision(cuda: bool, cuda_bf16: bool, cpu_bf16: bool) -> str:
    """What 'auto' means on given hardware: bf16 where it is fast, fp16 (+ a loss scaler) on GPUs
    without bf16 (pre-Ampere), fp32 on CPUs without bf16 units.

    On CPUs without AVX512-BF16/AMX bf16 autocast is emulated: ~8x slower than fp32 on this project's
    AMD EPYC (AVX2) machines (benchmarks/results/speed.md), while embedded-encoder.md measured 2.4x
    faster with bf16 units.
    """
    if cuda:
        return "bf16" if cuda_bf16 else "fp16"
    return "bf16" if cpu_bf16 else "fp32"


def resolve_precision(precision: str) -> str:
    """'auto' -> the fastest accurate precision on this machine (choose_precision); others unchanged."""
    if precision != "auto":
        if precision == "fp16" and not torch.cuda.is_available():
            raise ValueError("precision 'fp16' needs a CUDA GPU (fp16 with a loss scaler); use bf16 or fp32 on CPU")
        return precision
    cuda = torch.cuda.is_available()
    return choose_precision(cuda, cuda and torch.cuda.is_bf16_supported(), not cuda and cpu_has_fast_bf16())


def autocast(precision: str):
    """bf16 (or fp16) autocast on CPU/GPU, or nothing for fp32."""
    precision = resolve_precision(precision)
    if precision == "fp32":
        return contextlib.nullcontext()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.autocast(device, dtype=torch.float16 if precision == "fp16" else torch.bfloat16)
