"""The kernels of a study's runs (rxlt.run.execution): registered so the driver can stop them, shut down without
the SIGINT jupyter_client sends first (the cause of "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel"
after runs that went fine), and killed at once when they start after a stop was asked for."""
import asyncio
import os
import signal
import time

import pytest

from rxlt.run import execution

pytestmark = pytest.mark.slow


def _gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def test_run_kernels_are_registered_shut_down_without_sigint_and_stopped_when_late(monkeypatch, tmp_path):
    sent = []
    real_killpg = os.killpg
    monkeypatch.setattr(os, "killpg", lambda pgid, sig: (sent.append(sig), real_killpg(pgid, sig))[1])

    def manager(key):
        return execution._kernel_manager_class(key)(kernel_name=execution.kernel_name(), transport="ipc",
                                                    ip=str(tmp_path / key))

    async def scenario():
        clean = manager("clean")
        await clean.start_kernel()
        assert execution._KERNELS["clean"] is clean
        await clean.shutdown_kernel()
        assert signal.SIGINT not in sent, sent  # jupyter_client alone sends SIGINT before every shutdown
        execution._KERNELS.pop("clean")

        execution.stop_kernels(signal.SIGKILL)  # a stop arrives while the next run is still starting its kernel
        late = manager("late")
        await late.start_kernel()
        pid = late.provisioner.pid
        try:
            assert sent[-1] == signal.SIGKILL and _gone(pid), "a kernel started after the stop must be killed"
        finally:
            await late.shutdown_kernel(now=True)
            execution._KERNELS.pop("late", None)

    try:
        asyncio.run(scenario())
    finally:
        execution.clear_stop()
