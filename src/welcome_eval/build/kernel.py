"""Stages 2 and 3 of the build: parameterise and execute a report notebook in a
long-lived kernel.

A :class:`ReportKernel` is started once per worker and executes report after
report (reset in between, so a report comes out as from a fresh kernel);
:func:`run_pool` works through the queue of reports with several of them;
:func:`execute_notebook` runs one notebook with its parameters injected
(papermill's convention). A failing cell raises :class:`ReportFailed`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from queue import Empty, Queue
from typing import Any, TypeVar

import nbformat

from welcome_eval.build.plan import BuildError

__all__ = [
    "KERNEL_DIR_PREFIX",
    "ReportFailed",
    "ReportKernel",
    "execute_notebook",
    "plain_message",
    "run_pool",
    "short_message",
    "sweep_kernel_dirs",
]

Job = TypeVar("Job")


class ReportFailed(BuildError):
    """A cell of a report notebook raised: the exception's type and message,
    without the traceback (kept in :attr:`traceback` and written to the build
    log with the executed notebook)."""

    def __init__(self, ename: str, evalue: str, traceback: str, notebook: Any) -> None:
        self.ename = ename
        self.evalue = plain_message(evalue)
        self.traceback = plain_message(traceback)
        self.notebook = notebook
        super().__init__(f"{self.ename}: {self.evalue}")


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def plain_message(text: str) -> str:
    """``text`` without terminal colour codes."""
    return _ANSI.sub("", str(text))


def short_message(text: str, limit: int = 400) -> str:
    """The first lines of an exception message, at most ``limit`` characters."""
    lines = [line.rstrip() for line in plain_message(text).strip().splitlines() if line.strip()]
    short = " / ".join(lines[:3])
    return short if len(short) <= limit else short[: limit - 1] + "…"


def _parameterized(path: Path, parameters: dict[str, Any]) -> nbformat.NotebookNode:
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    notebook = parameterize_notebook(load_notebook_node(str(path)), parameters)
    for cell in notebook.cells:
        # papermill gives the injected cell a random id; a fixed one keeps builds byte-identical.
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
    return notebook


def _run_cells(notebook: nbformat.NotebookNode, client: Any, path: Path, parameters: Any) -> None:
    from nbclient.exceptions import CellExecutionError

    try:
        client.execute()
    except CellExecutionError as exc:
        raise ReportFailed(exc.ename, exc.evalue, exc.traceback, notebook) from None
    # A reused kernel keeps counting; number the cells as a fresh kernel would.
    count = 0
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = count


def execute_notebook(
    path: Path,
    parameters: dict[str, Any],
    *,
    cwd: Path,
    kernel: ReportKernel | None = None,
) -> nbformat.NotebookNode:
    """Execute a notebook top to bottom with ``parameters`` injected after its
    cell tagged ``parameters`` (papermill's convention): in ``kernel`` (a
    :class:`ReportKernel`, reset first) or else in a fresh kernel."""
    if kernel is not None:
        return kernel.execute(path, parameters, cwd=cwd)
    with ReportKernel() as fresh:
        return fresh.execute(path, parameters, cwd=cwd)


#: Run before every report in a reused kernel: an empty namespace, no open
#: figures, the plotting and pandas settings the kernel started with.
_RESET = """\
def _welcome_eval_reset(ip=get_ipython()):
    # What %reset -f does, without its garbage collection (0.2 s per report).
    for name in [n for n in ip.user_ns if n not in ip.user_ns_hidden]:
        del ip.user_ns[name]
    ip.user_ns["_oh"].clear()
    import os, sys, warnings
    import matplotlib, matplotlib.pyplot, pandas
    matplotlib.pyplot.close("all")
    if not hasattr(sys, "_welcome_eval_rc"):
        sys._welcome_eval_rc = matplotlib.rcParams.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(sys._welcome_eval_rc)
        pandas.reset_option("all")
    warnings.resetwarnings()
    os.chdir({cwd!r})
_welcome_eval_reset()
"""


#: Prefix of a kernel's socket folder in the temporary directory (then the build's pid).
KERNEL_DIR_PREFIX = "welcome-eval-kernel-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def sweep_kernel_dirs(temp: Path | None = None) -> list[Path]:
    """Remove kernel socket folders left in the temporary directory by builds
    that were killed (their process no longer exists); return them."""
    removed = []
    for folder in Path(temp or tempfile.gettempdir()).glob(KERNEL_DIR_PREFIX + "*"):
        pid = folder.name[len(KERNEL_DIR_PREFIX) :].split("-", 1)[0]
        if not folder.is_dir() or folder.is_symlink():
            continue
        if pid.isdigit() and _alive(int(pid)):
            continue
        if not pid.isdigit() and any(folder.iterdir()):
            continue  # an older version's folder with content: leave it
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


class ReportKernel:
    """One long-lived kernel that executes report after report.

    Starting a kernel and importing pandas, matplotlib and the library costs
    seconds per report; a worker keeps its kernel and clears the namespace,
    open figures and settings between reports, so a report comes out the
    same as from a fresh kernel (tested: the build does not depend on
    ``jobs``). Kernels talk over local IPC sockets: nothing listens on the
    network during a build.
    """

    def __init__(self) -> None:
        from jupyter_client.manager import KernelManager

        sweep_kernel_dirs()
        # The sockets and the connection file live in one folder named after this
        # process, so that a killed build's folder can be recognised and removed.
        self._sockets = tempfile.TemporaryDirectory(prefix=f"{KERNEL_DIR_PREFIX}{os.getpid()}-")
        folder = Path(self._sockets.name)
        self.km = KernelManager(
            kernel_name="python3",
            transport="ipc",
            ip=str(folder / "kernel"),
            connection_file=str(folder / "connection.json"),
        )
        # No input history: it would write every report's code to an SQLite file.
        self.km.start_kernel(extra_arguments=["--HistoryManager.enabled=False"])
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def __enter__(self) -> ReportKernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _client(self, notebook: nbformat.NotebookNode) -> Any:
        from nbclient import NotebookClient

        client = NotebookClient(notebook, km=self.km, timeout=600, kernel_name="python3")
        client.kc = self.kc  # nbclient ignores a kc passed to the constructor
        return client

    def execute(
        self, path: Path, parameters: dict[str, Any], *, cwd: Path
    ) -> nbformat.NotebookNode:
        """Execute the notebook at ``path`` with ``parameters`` in this kernel."""
        reset = nbformat.v4.new_notebook()
        reset.cells.append(nbformat.v4.new_code_cell(_RESET.format(cwd=str(cwd))))
        _run_cells(reset, self._client(reset), path, "(reset)")
        notebook = _parameterized(path, parameters)
        _run_cells(notebook, self._client(notebook), path, parameters)
        return notebook

    def shutdown(self) -> None:
        try:
            self.kc.stop_channels()
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        finally:
            self._sockets.cleanup()


def run_pool(queue: Queue[Job], workers: int, run: Callable[[Job, ReportKernel], None]) -> None:
    """Work through ``queue`` with ``workers`` threads, each with its own
    :class:`ReportKernel` started once and reused: ``run(job, kernel)`` for every job.

    The first failure empties the queue (the other workers stop after their
    current job) and is raised; every kernel is shut down at the end.
    """
    kernels: list[ReportKernel] = []

    def work() -> None:
        kernel = ReportKernel()
        kernels.append(kernel)
        while True:
            try:
                job = queue.get_nowait()
            except Empty:
                return
            run(job, kernel)

    try:
        # Kernels are separate processes: the threads only wait for them and render.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(work) for _ in range(workers if queue.qsize() else 0)]
            for future in as_completed(futures):
                if future.exception() is not None:
                    while not queue.empty():  # stop the other workers early
                        queue.get_nowait()
                    future.result()
    finally:
        for kernel in kernels:
            kernel.shutdown()
