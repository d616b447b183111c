"""JupyterLab out of the box: notebooks served as notebooks, settings from the environment, a notebook executed."""
import json
import os
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


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    port, token = _free_port(), "rxlt-test-token"
    home = tmp_path_factory.mktemp("home")  # runtime files away from the user's home
    env = {**os.environ, "HOME": str(home), "JUPYTER_RUNTIME_DIR": str(home / "runtime")}
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--ip", "127.0.0.1", f"--port={port}",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={REPO}", "--LabApp.news_url=None", "--allow-root"]
    log = open(home / "lab.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def get(path):
        req = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    deadline = time.time() + 60
    while True:
        try:
            get("/api")
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"JupyterLab did not start: {(home / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.5)
    yield get, port
    proc.send_signal(signal.SIGTERM)  # stop by PID
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
