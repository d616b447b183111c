"""Kernels forked from one warm process, so a run's kernel starts with its imports already done.

A study runs dozens of notebooks, and each kernel used to spend seconds of CPU importing torch, transformers and
rxlt before its first line of work — on a 2-core laptop more than a SIB-200 evaluation run's computation
(benchmarks/results/study_timing.md). The local study loop therefore starts one *zygote* per study: a process that
imports what every phase notebook imports (PRELOAD), never computes, and forks a fresh kernel for each run. The
fork is a new process with its own memory (copy-on-write), session and process group, its environment, working
directory and arguments those jupyter_client asked for, so a run sees exactly what a freshly launched
`python -m ipykernel_launcher -f <connection file>` would see — minus the import time. Nothing runs in the zygote
after its imports, so no state of one run can reach another.

The kernel manager (rxlt.run.execution) asks `spawn`; it returns None — and the kernel is launched the usual way —
whenever the zygote is not running, not ready, or the request differs from what the zygote was started with (another
interpreter, a command that is not ipykernel_launcher, an environment variable it did not see at import time, e.g. a
data-parallel rank's RANK). `RXLT_KERNEL_ZYGOTE=0` turns it off.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

# what the phase notebooks import (matplotlib's inline backend module is left to each kernel: it wires itself to
# the kernel's display hooks when it is first imported there)
PRELOAD = ("ipykernel.kernelapp", "rxlt.notebook", "transformers.models.bert.modeling_bert",
           "transformers.models.xlm_roberta.modeling_xlm_roberta", "transformers.models.auto.modeling_auto",
           "transformers.models.auto.tokenization_auto", "tokenizers", "safetensors.torch")
# variables jupyter_client adds to a kernel's environment: the only ones a forked kernel may have that the zygote
# did not see at import time
JUPYTER_VARIABLES = ("JPY_", "PYDEVD_")
READY_TIMEOUT = 180.0

_active: list["Zygote"] = []


def enabled() -> bool:
    return os.environ.get("RXLT_KERNEL_ZYGOTE", "1") not in ("0", "false", "no", "off")


def active() -> "Zygote | None":
    return _active[-1] if _active else None


class ForkedKernel:
    """The Popen interface jupyter_client's LocalProvisioner uses, for a kernel the zygote forked (its child, not
    ours: it is reaped there, so liveness is read from /proc and the exit status is not known here)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            try:
                state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                state = "gone"
            if state in ("Z", "X", "gone"):
                self.returncode = 0
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.time() + timeout
        while self.poll() is None:
            if deadline is not None and time.time() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Zygote:
    """A warm process that forks kernels (`spawn`); start with `warm_kernels()`."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="rxlt-zygote-"))
        self.socket = str(self.dir / "socket")
        self.env = dict(os.environ)
        self.python = os.path.realpath(sys.executable)
        read, write = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-Xfrozen_modules=off", "-m", "rxlt.run.kernel_zygote", self.socket, str(write)],
            stdin=subprocess.DEVNULL, pass_fds=(write,), start_new_session=True, env=self.env)
        os.close(write)
        self._ready_pipe = read
        self._ready: bool | None = None
        self._lock = threading.Lock()
        self.launched = 0
        self.fallbacks: list[str] = []  # why a kernel was launched the usual way instead (for tests and timings)

    def ready(self) -> bool:
        with self._lock:
            if self._ready is None:
                import select

                got, _, _ = select.select([self._ready_pipe], [], [], READY_TIMEOUT)
                self._ready = bool(got) and os.read(self._ready_pipe, 16).startswith(b"ready")
                os.close(self._ready_pipe)
            return self._ready and self.process.poll() is None

    def why_not(self, cmd: list[str], env: dict | None) -> str:
        """'' when the zygote can fork this kernel, else the reason it cannot."""
        if "-m" not in cmd or cmd[cmd.index("-m") + 1:cmd.index("-m") + 2] != ["ipykernel_launcher"]:
            return f"not an ipykernel_launcher command: {cmd[:4]}"
        if os.path.realpath(cmd[0]) != self.python:
            return f"another interpreter: {cmd[0]}"
        env = dict(os.environ if env is None else env)
        changed = sorted(k for k in set(env) | set(self.env) if env.get(k) != self.env.get(k)
                         and not k.startswith(JUPYTER_VARIABLES))
        if changed:
            return f"environment differs from the zygote's: {changed[:5]}"
        return "" if self.ready() else "the zygote is not running"

    def spawn(self, cmd: list[str], env: dict | None, cwd: str | None) -> ForkedKernel | None:
        why = self.why_not(cmd, env)
        if why:
            self.fallbacks.append(why)
            return None
        env = {**(os.environ if env is None else env), "JPY_PARENT_PID": str(os.getpid())}  # as jupyter_client's launcher
        request = {"args": cmd[cmd.index("-m") + 2:], "env": env, "cwd": str(cwd or os.getcwd())}
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(60)
                conn.connect(self.socket)
                conn.sendall(json.dumps(request).encode() + b"\n")
                reply = json.loads(conn.makefile().readline())
        except (OSError, ValueError) as exc:
            self.fallbacks.append(f"zygote unreachable: {exc}")
            return None
        self.launched += 1
        return ForkedKernel(int(reply["pid"]))

    def kernels(self) -> list[int]:
        """The zygote's children still running: the kernels it forked (read from /proc)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.process.pid and fields[0] not in ("Z", "X"):
                found.append(int(stat.parent.name))
        return found

    def close(self, grace: float = 2.0) -> None:
        """Stop the zygote. A kernel still shutting down gets `grace` seconds and is then killed, so none outlives the
        study (a launched kernel would be ended by its kernel manager the same way) and none is left parentless."""
        deadline = time.time() + grace
        while self.process.poll() is None and self.kernels() and time.time() < deadline:
            time.sleep(0.1)
        for pid in self.kernels() if self.process.poll() is None else []:
            try:
                os.killpg(pid, signal.SIGKILL)  # a forked kernel leads its own process group
            except (ProcessLookupError, PermissionError):
                pass
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._ready is None:
            os.close(self._ready_pipe)
        for f in self.dir.iterdir():
            f.unlink(missing_ok=True)
        self.dir.rmdir()


@contextmanager
def warm_kernels():
    """Kernels of the runs started inside forked from one warm zygote (nothing when disabled)."""
    if not enabled():
        yield None
        return
    zygote = Zygote()
    _active.append(zygote)
    try:
        yield zygote
    finally:
        _active.remove(zygote)
        zygote.close()


# ---------------------------------------------------------------- the zygote process

def _become_kernel(request: dict) -> None:
    """In the forked child: a kernel as `python -m ipykernel_launcher <args>` started in `cwd` with `env`."""
    code = 1
    try:
        os.setsid()  # its own session and process group, as jupyter_client starts kernels
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
            signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import importlib.util

        sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, *request["args"]]  # as `-m` sets it
        if os.environ.get("JPY_PARENT_PID"):  # read by ipykernel at import time, i.e. in the zygote: pass it on
            sys.argv.append(f"--IPKernelApp.parent_handle={int(os.environ['JPY_PARENT_PID'])}")
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001 - a kernel that cannot start says why on stderr, as a launched one would
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _die_with_parent() -> None:
    """Linux: SIGTERM this process when the study loop that started it dies (even by SIGKILL). Forked kernels do
    not inherit it (prctl(2): cleared on fork), so a dying zygote never takes a running kernel with it."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def serve(path: str, ready_fd: int) -> None:
    import importlib

    _die_with_parent()
    # what ipykernel sets before a kernel's first line (kernelapp.py, init_pylab): matplotlib reads it when imported,
    # here, and loads the inline backend — which wires itself to the kernel's display hooks — at a kernel's first plot
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for name in PRELOAD:
        importlib.import_module(name)

    def reap(*_):
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    signal.signal(signal.SIGCHLD, reap)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    os.write(ready_fd, b"ready\n")
    os.close(ready_fd)
    while True:
        conn, _ = server.accept()
        with conn:
            request = json.loads(conn.makefile().readline())
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                server.close()
                conn.close()
                _become_kernel(request)
            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
