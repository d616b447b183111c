"""JupyterLab out of the box: notebooks served as notebooks, settings from the environment, a notebook executed."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("*.py"))
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cmdlines(pid: int) -> dict[int, str]:
    """pid -> command line of `pid` and every process below it (what `ps` shows any local user)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            children.setdefault(int(stat.read_text().rsplit(")", 1)[1].split()[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = {}, [pid]
    while todo:
        p = todo.pop()
        try:
            found[p] = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        todo += children.get(p, [])
    return found


@pytest.fixture(scope="session")  # built once per worker, even if other files run in between
def lab(tmp_path_factory):
    """JupyterLab started as a user starts it: `make lab` (its setup prerequisite taken as done: `make -o setup`)."""
    port = _free_port()
    home = tmp_path_factory.mktemp("home")  # runtime files away from the user's home
    env = {**os.environ, "HOME": str(home), "JUPYTER_RUNTIME_DIR": str(home / "runtime")}
    env.pop("JUPYTER_TOKEN", None)
    log = open(home / "lab.log", "w")
    proc = subprocess.Popen(["make", "--no-print-directory", "-o", "setup", "lab", f"LAB_PORT={port}"], cwd=REPO,
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    token = ""

    def get(path):
        req = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    deadline = time.time() + 60
    while True:
        try:
            if not token:
                token = re.search(r"\?token=([0-9a-f]{32})\b", (home / "lab.log").read_text()).group(1)
            get("/api")
            break
        except (OSError, AttributeError):
            if time.time() > deadline or proc.poll() is not None:
                os.killpg(proc.pid, signal.SIGKILL)
                pytest.fail(f"JupyterLab did not start: {(home / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.5)
    # the token travels in the environment: no process of `make lab` shows it on its command line
    shown = {p: c for p, c in _cmdlines(proc.pid).items() if token in c}
    assert not shown, f"token on a command line: {shown}"
    yield get, port
    os.killpg(proc.pid, signal.SIGTERM)  # stop make and the server it started, by process group
    proc.wait(timeout=30)
    log.close()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "port still open after stopping the server"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_py_percent_files_are_served_as_notebooks_with_tagged_parameters(lab, name):
    get, _ = lab
    model = get(f"/api/contents/notebooks/{name}?content=1")
    assert model["type"] == "notebook", model["type"]
    cells = model["content"]["cells"]
    assert cells[0]["cell_type"] == "markdown"
    assert sum("parameters" in c["metadata"].get("tags", []) for c in cells) == 1
    assert model["content"]["metadata"]["kernelspec"]["name"] == "rxlt"


def test_environment_makes_jupytext_the_default_viewer_and_offers_the_kernel(lab):
    get, _ = lab
    settings = get("/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    # an environment-level override becomes the schema default (a user's own setting could still change it)
    assert settings["schema"]["properties"]["defaultViewers"]["default"]["python"] == "Jupytext Notebook"
    assert (Path(sys.prefix) / "etc" / "jupyter" / "labconfig" / "default_setting_overrides.json").is_file()
    assert "rxlt" in get("/api/kernelspecs")["kernelspecs"]


def test_notebook_from_the_server_runs_on_the_rxlt_kernel_interactively(lab, tmp_path):
    import nbformat
    import papermill

    get, _ = lab
    nb = nbformat.from_dict(get("/api/contents/notebooks/01_intermediate.py?content=1")["content"])
    env_batch = os.environ.pop("RXLT_BATCH", None)  # interactive: tqdm.auto widgets, scratch semantics
    try:
        out = papermill.execute_notebook(
            nb, str(tmp_path / "out.ipynb"), kernel_name="rxlt", progress_bar=False,
            parameters={"encoder_layers": 1, "epochs": 1, "tasks": ["cldr-reltime"], "run_dir": str(tmp_path / "run")})
    finally:
        if env_batch is not None:
            os.environ["RXLT_BATCH"] = env_batch
    assert all(c.metadata.papermill.status == "completed" for c in out.cells if c.cell_type == "code")
    assert json.loads((tmp_path / "run" / "results.json").read_text())["status"] == "complete"
    outputs = [o for c in out.cells if c.cell_type == "code" for o in c.outputs]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)  # tqdm.auto bar
