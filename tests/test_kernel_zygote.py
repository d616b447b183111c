"""Kernels forked from the study's warm zygote (rxlt.run.kernel_zygote) behave as launched ones: same working
directory, arguments and environment, their own session and process group, inline figures, interruptible and
killable through the run's kernel manager; a request the zygote cannot serve is launched the usual way; the zygote
leaves nothing running behind. The whole study path (every kernel forked, Ctrl-C, resume) runs in
test_study_e2e.py."""
import asyncio
import json
import os
import signal
import time

import nbformat
import pytest

from rxlt.run import execution, kernel_zygote

pytestmark = pytest.mark.slow

PROBE = """
import json, os, sys
import matplotlib.pyplot as plt
import torch
plt.plot([0, 1], [1, 0])
product = float((torch.ones(256, 256) @ torch.ones(256, 256)).sum())  # an OpenMP region after the fork
print(json.dumps({"threads": torch.get_num_threads(), "product": product, "cwd": os.getcwd(), "pid": os.getpid(), "pgid": os.getpgid(0), "sid": os.getsid(0),
                  "env": {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "PYDEVD_", "MPLBACKEND"))},
                  "preloaded": "rxlt.notebook" in sys.modules, "argv0": os.path.basename(sys.argv[0])}))
"""


def _run(tmp_path, name: str) -> dict:
    import papermill

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    nb.metadata["kernelspec"] = {"name": execution.kernel_name(), "display_name": "rxlt", "language": "python"}
    out = tmp_path / f"{name}.ipynb"
    run_dir = tmp_path / name
    run_dir.mkdir()
    papermill.execute_notebook(nb, str(out), kernel_name=execution.kernel_name(), progress_bar=False, cwd=str(run_dir),
                               kernel_manager_class=execution._kernel_manager_class(name))
    outputs = nbformat.read(out, as_version=4).cells[0].outputs
    text = next(o["text"] for o in outputs if o.get("name") == "stdout")
    return {**json.loads(text), "png": any("image/png" in o.get("data", {}) for o in outputs)}


def test_forked_kernel_sees_what_a_launched_one_sees(tmp_path):
    launched = _run(tmp_path, "launched")
    with kernel_zygote.warm_kernels() as zygote:
        forked = _run(tmp_path, "forked")
        assert zygote.launched == 1 and not zygote.fallbacks
        zygote_pid = zygote.process.pid
    assert forked["preloaded"] and not launched["preloaded"]  # the imports were done before the fork
    assert forked["cwd"] == str(tmp_path / "forked") and launched["cwd"] == str(tmp_path / "launched")
    assert forked["env"] == launched["env"] and forked["argv0"] == launched["argv0"]
    assert forked["threads"] == launched["threads"] and forked["product"] == launched["product"] == 256.0 ** 3
    assert forked["pid"] == forked["pgid"] == forked["sid"]  # its own session and process group, as launched
    assert forked["png"] and launched["png"]  # matplotlib's inline backend reaches the notebook
    assert not os.path.exists(f"/proc/{zygote_pid}")  or open(f"/proc/{zygote_pid}/stat").read().split()[2] == "Z"


def test_a_request_the_zygote_cannot_serve_is_launched_the_usual_way(tmp_path, monkeypatch):
    with kernel_zygote.warm_kernels() as zygote:
        monkeypatch.setenv("RXLT_SOMETHING_NEW", "1")  # not seen by the zygote's imports
        got = _run(tmp_path, "fallback")
        assert zygote.launched == 0 and "RXLT_SOMETHING_NEW" in zygote.fallbacks[0]
    assert not got["preloaded"] and got["env"]["RXLT_SOMETHING_NEW"] == "1"
    monkeypatch.setenv("RXLT_KERNEL_ZYGOTE", "0")
    with kernel_zygote.warm_kernels() as none:
        assert none is None and kernel_zygote.active() is None


def test_a_forked_kernel_is_interrupted_and_killed_through_its_manager(tmp_path):
    async def scenario():
        manager = execution._kernel_manager_class("zygote-stop")(kernel_name=execution.kernel_name())
        await manager.start_kernel(cwd=str(tmp_path))
        client = manager.client()
        client.start_channels()
        await client.wait_for_ready(timeout=60)
        pid = manager.provisioner.pid
        msg = client.execute("import time\nfor _ in range(600): time.sleep(0.1)")
        time.sleep(1.0)
        execution.stop_kernels(signal.SIGINT)  # what the study's first Ctrl-C does
        reply = await client._async_get_shell_msg(timeout=30)
        assert reply["parent_header"]["msg_id"] == msg and reply["content"]["ename"] == "KeyboardInterrupt"
        assert await manager.is_alive()  # interrupted, not ended
        execution.stop_kernels(signal.SIGKILL)
        deadline = time.time() + 10
        while await manager.is_alive() and time.time() < deadline:
            await asyncio.sleep(0.1)
        assert not await manager.is_alive()
        client.stop_channels()
        await manager.shutdown_kernel(now=True)
        return pid

    with kernel_zygote.warm_kernels() as zygote:
        try:
            pid = asyncio.run(scenario())
        finally:
            execution._KERNELS.pop("zygote-stop", None)
            execution.clear_stop()
        assert zygote.launched == 1
    assert not os.path.exists(f"/proc/{pid}")
