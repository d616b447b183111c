"""The kernels of a study's runs (rxlt.run.execution): registered so the driver can stop them, shut down without
the SIGINT jupyter_client sends first (the cause of "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel"
after runs that went fine), and killed at once when they start after a stop was asked for; the runner's
Ctrl-C handler: the first interrupts the kernels, a second kills them and exits at once (rxlt.run.runner._Stop).
The whole Ctrl-C path of `rxlt study` is tested end to end in test_study_e2e.py."""
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


SECOND_CTRL_C = """
import os, signal, subprocess, sys, time
from rxlt.run import execution
from rxlt.run.runner import _Stop

child = subprocess.Popen(["sh", "-c", 'trap "echo interrupted > {mark}" INT; touch {mark}.ready; '
                          'while :; do sleep 0.1; done'],
                         start_new_session=True)  # a kernel runs in a session of its own, as jupyter_client starts it
print(child.pid, flush=True)
deadline = time.time() + 60  # the trap must be set before the first Ctrl-C (a loaded machine starts sh slowly)
while not os.path.exists("{mark}.ready") and time.time() < deadline:
    time.sleep(0.05)
manager = type("Manager", (), {{"provisioner": type("Provisioner", (), {{"pid": child.pid, "pgid": child.pid}})()}})()
execution._KERNELS["02_finetune/x"] = manager
with _Stop("rxlt study s.yaml"):
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(1)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(30)
print("the second Ctrl-C did not exit")
"""


def test_first_ctrl_c_interrupts_the_kernels_and_a_second_kills_them_and_exits_at_once(tmp_path):
    import subprocess
    import sys

    mark = tmp_path / "mark"
    res = subprocess.run([sys.executable, "-c", SECOND_CTRL_C.format(mark=mark)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 130 and "did not exit" not in res.stdout, res.stdout + res.stderr
    assert mark.read_text().strip() == "interrupted"  # the first Ctrl-C reached the kernel's process group
    assert "Ctrl-C again kills them at once" in res.stderr
    assert res.stderr.strip().splitlines()[-1] == ("rxlt: killed the running notebooks; their runs are not complete; "
                                                   "resume with: rxlt study s.yaml")
    assert _gone(int(res.stdout.split()[0])), "the kernel outlived the second Ctrl-C"
