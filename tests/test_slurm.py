"""`rxlt study --executor slurm` against a real one-node Slurm cluster on 127.0.0.1.

The set-up installs Debian's slurm-wlm and munge if missing (root only; skipped with a message
otherwise), writes a slurm.conf into a temp dir, starts munged, slurmctld and slurmd there
(toolchain.md §5b), and stops them by PID afterwards. The study is tests/fixtures/slurm_study.yaml
(7 runs, every phase); its results under Slurm must equal the local executor's.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STUDY = REPO / "tests" / "fixtures" / "slurm_study.yaml"
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _install() -> str:
    """'' when slurmctld, slurmd and munged are available (installing them if root can), else why not."""
    if all(shutil.which(x) for x in ("slurmctld", "slurmd", "munged", "sbatch")):
        return ""
    if os.geteuid() != 0:
        return "slurm-wlm/munge are not installed and installing them needs root"
    try:
        # another test may be installing chromium at the same moment: wait for dpkg's lock instead of failing
        res = subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "slurm-wlm", "munge"],
                             capture_output=True, text=True,
                             timeout=600, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    except (OSError, subprocess.SubprocessError) as exc:
        return f"apt-get install slurm-wlm munge failed: {exc}"
    if res.returncode != 0:
        return f"apt-get install slurm-wlm munge failed: {res.stderr.strip()[-300:]}"
    return ""


@pytest.fixture(scope="session")  # built once per worker, even if other files run in between
def slurm():
    """A running one-node cluster; yields the environment for its clients (SLURM_CONF)."""
    why = _install()
    if why:
        pytest.skip(f"no Slurm test cluster: {why}")
    if os.geteuid() != 0:
        pytest.skip("no Slurm test cluster: the daemons and jobs run as root here (toolchain.md §5b)")
    key = Path("/etc/munge/munge.key")
    if not key.is_file():
        pytest.skip(f"no Slurm test cluster: {key} missing (munge package set-up incomplete)")
    s = Path(tempfile.mkdtemp(prefix="rxlt-slurm-", dir="/tmp"))  # short: the munge socket path has a length limit
    s.chmod(0o755)  # munged wants its socket directory world-executable
    host = socket.gethostname().split(".")[0]
    sock = s / "munge.socket.2"
    (s / "spool").mkdir()
    (s / "state").mkdir()
    conf = s / "slurm.conf"
    conf.write_text("\n".join([
        "ClusterName=rxlttest", f"SlurmctldHost={host}(127.0.0.1)", "SlurmUser=root", "SlurmdUser=root",
        f"SlurmctldPort={_free_port()}", f"SlurmdPort={_free_port()}",
        "AuthType=auth/munge", f"AuthInfo=socket={sock}", "CredType=cred/munge", "MpiDefault=none",
        "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "ReturnToService=2",
        f"SlurmctldPidFile={s}/slurmctld.pid", f"SlurmdPidFile={s}/slurmd.pid",
        f"SlurmdSpoolDir={s}/spool", f"StateSaveLocation={s}/state",
        f"SlurmctldLogFile={s}/slurmctld.log", f"SlurmdLogFile={s}/slurmd.log",
        "SchedulerType=sched/backfill", "SelectType=select/cons_tres", "SelectTypeParameters=CR_CPU",
        "AccountingStorageType=accounting_storage/none", "JobCompType=jobcomp/none",
        "JobAcctGatherType=jobacct_gather/none",
        f"NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count() or 1} RealMemory=8000 State=UNKNOWN",
        "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP", ""]))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    daemons = []
    try:
        for cmd in (["munged", "--foreground", f"--socket={sock}", f"--key-file={key}", f"--pid-file={s}/munged.pid",
                     f"--log-file={s}/munged.log", f"--seed-file={s}/munged.seed", "--force"],
                    ["slurmctld", "-D", "-f", str(conf)], ["slurmd", "-D", "-f", str(conf)]):
            daemons.append(subprocess.Popen(cmd, env=env, stdout=open(s / f"{cmd[0]}.out", "w"),
                                            stderr=subprocess.STDOUT, start_new_session=True))
            time.sleep(1.0)
        deadline = time.time() + 60
        state = ""
        while time.time() < deadline:
            res = subprocess.run(["sinfo", "-h", "-o", "%t"], env=env, capture_output=True, text=True, timeout=30)
            state = res.stdout.strip() or res.stderr.strip()
            if state == "idle":
                break
            time.sleep(1.0)
        else:
            logs = "".join((s / f).read_text()[-1500:] for f in ("slurmctld.log", "slurmd.log") if (s / f).is_file())
            pytest.fail(f"Slurm test cluster not idle after 60 s (sinfo: {state!r}):\n{logs}")
        yield env
    finally:
        for proc in reversed(daemons):  # stop by PID, each we started
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        shutil.rmtree(s, ignore_errors=True)


def _rxlt(env, tmp, *args, timeout=900, wait=True):
    cmd = [sys.executable, "-m", "rxlt", *args, "--runs-dir", str(tmp / "runs")]
    env = {**env, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
    if not wait:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def _study(env, tmp, *extra, study=STUDY, wait=True):
    return _rxlt(env, tmp, "study", str(study), "--reports-dir", str(tmp / "reports"), *extra, wait=wait)


def _results(tmp) -> dict:
    return {f"{p.parent.parent.name}/{p.parent.name}": json.loads(p.read_text())
            for p in (tmp / "runs" / "slurm-tiny").glob("*/*/results.json")}


@pytest.fixture(scope="session")  # built once per worker, even if other files run in between
def local(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local")
    res = _study(dict(os.environ), tmp, "--executor", "local")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return tmp


@pytest.fixture(scope="session")  # built once per worker, even if other files run in between
def on_slurm(slurm, tmp_path_factory):
    """The study through Slurm; its 04_tiers job is cancelled while it waits, then retried alone."""
    tmp = tmp_path_factory.mktemp("slurm")
    proc = _study(slurm, tmp, "--executor", "slurm", wait=False)
    ledger, tiers_job, deadline = tmp / "runs" / "slurm-tiny" / "ledger.json", None, time.time() + 300
    try:
        while tiers_job is None and time.time() < deadline and proc.poll() is None:
            time.sleep(0.5)
            try:
                entries = json.loads(ledger.read_text())
            except (OSError, ValueError):
                continue
            tiers_job = next((e.get("job_id") for k, e in entries.items() if k.startswith("04_tiers")), None)
        assert tiers_job, f"04_tiers never submitted: {proc.stdout.read() if proc.poll() is not None else ''}"
        subprocess.run(["scancel", tiers_job.split("_")[0]], env=slurm, check=True, timeout=30)
        out, _ = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    status = json.loads(_rxlt(slurm, tmp, "status", str(STUDY), "--json").stdout)
    first = {"rc": proc.returncode, "out": out, "status": status, "results": _results(tmp)}
    retry = _study(slurm, tmp, "--executor", "slurm", "--retry-failed")
    final = json.loads(_rxlt(slurm, tmp, "status", str(STUDY), "--json").stdout)
    return tmp, first, retry, final


def test_cancelled_run_is_reported_failed_with_its_log(on_slurm):
    tmp, first, _, _ = on_slurm
    assert first["rc"] == 1, first["out"][-3000:]
    states = {r["run"].split("/")[0]: r for r in first["status"]["runs"]}
    assert [r["state"] for r in first["status"]["runs"]].count("done") == 5, first["out"][-3000:]
    tiers = states["04_tiers"]
    assert tiers["state"] == "failed" and tiers["job_id"]
    assert tiers["log"].startswith(str(tmp / "runs" / "slurm-tiny" / "slurm")) and tiers["log"].endswith("_log.out")
    assert "04_tiers" in first["out"] and "failed" in first["out"]
    for r in first["status"]["runs"]:
        if r["state"] == "done":
            assert Path(r["log"]).is_file(), r  # each Slurm job's own log


def test_retry_failed_runs_only_the_failed_run(on_slurm):
    tmp, first, retry, final = on_slurm
    assert retry.returncode == 0, retry.stdout[-3000:] + retry.stderr[-3000:]
    assert "5 already finished, 2 to run (failed last time)" in retry.stdout
    assert [r["state"] for r in final["runs"]] == ["done"] * 7
    again = _results(tmp)
    for key, r in first["results"].items():  # finished runs were not executed again
        assert again[key]["provenance"]["finished"] == r["provenance"]["finished"], key


def test_slurm_results_equal_local_results(on_slurm, local):
    tmp, _, _, _ = on_slurm
    on, off = _results(tmp), _results(local)
    assert sorted(on) == sorted(off) and len(on) == 7  # same run ids
    for key in off:
        assert on[key]["status"] == "complete"
        assert on[key]["samples"] == off[key]["samples"], key
        assert json.dumps(on[key]["metrics"], sort_keys=True) == json.dumps(off[key]["metrics"], sort_keys=True), key
    assert (tmp / "reports" / "index.html").is_file()
    assert len(list((tmp / "reports" / "slurm-tiny").glob("*/*.html"))) == 7


def test_clear_errors_before_submitting(slurm, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(STUDY.read_text().replace("slurm_partition: debug", "slurm_partition: debgu"))
    res = _study(slurm, tmp_path, "--executor", "slurm", study=bad)
    assert res.returncode == 2 and "did you mean 'debug'" in res.stderr, res.stderr
    assert not (tmp_path / "runs").exists()  # nothing submitted, nothing written
    res = _rxlt(slurm, tmp_path, "status", str(STUDY))
    assert res.returncode == 2 and "has no runs under" in res.stderr


def test_runs_left_on_slurm_are_not_submitted_twice(slurm, tmp_path):
    """A killed `rxlt study` leaves its jobs queued: a new one refuses to submit them again; status shows them."""
    proc = _study(slurm, tmp_path, "--executor", "slurm", wait=False)
    ledger, entries, deadline = tmp_path / "runs" / "slurm-tiny" / "ledger.json", {}, time.time() + 120
    try:
        while len(entries) < 7 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.5)
            try:
                entries = json.loads(ledger.read_text())
            except (OSError, ValueError):
                pass
    finally:
        proc.kill()  # the driver dies; its jobs stay on Slurm
        proc.wait()
    jobs = sorted({e["job_id"].split("_")[0] for e in entries.values()})
    try:
        assert len(entries) == 7, entries
        again = _study(slurm, tmp_path, "--executor", "slurm")
        assert again.returncode == 2 and "still on Slurm from an earlier" in again.stderr, again.stderr
        status = json.loads(_rxlt(slurm, tmp_path, "status", str(STUDY), "--json").stdout)
        states = [r["state"] for r in status["runs"]]
        assert states.count("queued") + states.count("running") + states.count("done") == 7, status
        assert "queued" in states  # the 04_tiers array waits for its dependencies
    finally:
        subprocess.run(["scancel", *jobs], env=slurm, timeout=30)
        deadline = time.time() + 60
        while time.time() < deadline and subprocess.run(["squeue", "-h"], env=slurm, capture_output=True,
                                                        text=True, timeout=30).stdout.strip():
            time.sleep(1)
