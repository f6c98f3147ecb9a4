"""Stages 2 and 3 of the build: parameterise and execute a report notebook in a
long-lived kernel.

A :class:`ReportKernel` is started once per worker and executes report after
report (reset in between, so a report comes out as from a fresh kernel);
:class:`KernelStarter` starts and warms kernels in the background (e.g. while the
build reads the waves); :func:`run_pool` works through the queue of reports with
several of them;
:func:`execute_notebook` runs one notebook with its parameters injected
(papermill's convention). A failing cell raises :class:`ReportFailed`.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from queue import Empty, Queue
from typing import Any, TypeVar

import nbformat

from welcome_eval.build.plan import BuildError

__all__ = [
    "KERNEL_DIR_PREFIX",
    "KernelStarter",
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


_notebooks: dict[tuple[str, str], nbformat.NotebookNode] = {}
_notebooks_lock = threading.Lock()


def _load(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, parsed once per content (keyed on its sha256, so an edited
    notebook is read again). Callers change only copies of it."""
    from papermill.iorw import load_notebook_node

    data = Path(path).read_bytes()
    key = (str(path), hashlib.sha256(data).hexdigest())
    with _notebooks_lock:
        if key not in _notebooks:
            for old in [k for k in _notebooks if k[0] == key[0]]:
                del _notebooks[old]
            _notebooks[key] = load_notebook_node(str(path))
        return _notebooks[key]


def _parameterized(path: Path, parameters: dict[str, Any]) -> nbformat.NotebookNode:
    from papermill.parameterize import parameterize_notebook

    # parameterize_notebook and the execution change the notebook they are given.
    notebook = parameterize_notebook(copy.deepcopy(_load(path)), parameters)
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
        # Only the settings a report changed: validating all 300 took 35 ms per report.
        def same(a, b):
            try:
                return bool(a == b)
            except Exception:  # arrays and the like: set again
                return False
        changed = {{
            key: value
            for key, value in dict.items(sys._welcome_eval_rc)
            if not same(dict.__getitem__(matplotlib.rcParams, key), value)
        }}
        matplotlib.rcParams.update(changed)
        pandas.reset_option("all")
    warnings.resetwarnings()
    os.chdir({cwd!r})
_welcome_eval_reset()
"""


#: Run once in a new kernel (:meth:`ReportKernel.warm_up`): the imports of the report
#: notebooks (and nbconvert's Markdown renderer the sections use) and a first map (fonts,
#: the Agg renderer, the map's geometry and borders) inside ``rc_context``, so that the
#: first reset records the settings the kernel started with.
_WARM_UP = """\
def _welcome_eval_warm_up():
    import importlib, io
    from welcome_eval.config import skip_unused_optional_imports
    skip_unused_optional_imports()
    import matplotlib
    import matplotlib.pyplot as plt
    for name in (
        "welcome_eval.analysis.benchmark",
        "welcome_eval.analysis.programme",
        "welcome_eval.publish.disclosure_plan",
        "welcome_eval.publish.display",
        "welcome_eval.publish.privacy",
        "welcome_eval.present.figures.benchmark",
        "welcome_eval.present.figures.checklist",
        "welcome_eval.sections.parameters",
        "welcome_eval.sections.benchmark_report",
        "welcome_eval.sections.checklist_report",
        "welcome_eval.sections.programme_report",
        "welcome_eval.sections.quality_report",
        "welcome_eval.sections.register_report",
        "welcome_eval.stats",
        "welcome_eval.survival",
        "nbconvert.filters.markdown_mistune",
    ):
        importlib.import_module(name)
    from welcome_eval.present.figures.map import region_map
    with matplotlib.rc_context():
        ax = region_map(highlight="05958004")
        ax.figure.savefig(io.BytesIO(), format="png", dpi=110, bbox_inches="tight")
        plt.close("all")
try:
    _welcome_eval_warm_up()
finally:
    del _welcome_eval_warm_up
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

    def __init__(self, *, warm: bool = False) -> None:
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
        #: Whether :meth:`warm_up` was asked for.
        self.warm = False
        if warm:
            self.warm_up()

    def __enter__(self) -> ReportKernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _client(self, notebook: nbformat.NotebookNode) -> Any:
        from nbclient import NotebookClient

        client = NotebookClient(notebook, km=self.km, timeout=600, kernel_name="python3")
        client.kc = self.kc  # nbclient ignores a kc passed to the constructor
        return client

    def _run_code(self, code: str, path: Path) -> None:
        """Run ``code`` in the kernel outside any notebook (no client setup, no outputs kept);
        an exception in it raises :class:`ReportFailed`."""
        reply = self.kc.execute_interactive(code, timeout=600, output_hook=lambda message: None)
        content = reply["content"]
        if content.get("status") != "ok":
            ename = content.get("ename", "Error")
            evalue = content.get("evalue", "")
            failed = nbformat.v4.new_notebook()
            failed.cells.append(nbformat.v4.new_code_cell(code))
            raise ReportFailed(ename, evalue, "\n".join(content.get("traceback", [])), failed)

    def warm_up(self) -> None:
        """Ask the kernel to import what the reports import and draw one map, so that the
        first report of this kernel costs no more than the others. Returns at once: the
        kernel works on it while this process does other things (reading the waves), and
        the first report waits behind it. Leaves no name, figure or setting behind; a
        failure in it is left to the report that needs the module to report."""
        self.kc.execute(_WARM_UP, store_history=False)
        self.warm = True

    def execute(
        self, path: Path, parameters: dict[str, Any], *, cwd: Path
    ) -> nbformat.NotebookNode:
        """Execute the notebook at ``path`` with ``parameters`` in this kernel."""
        # One notebook client per report: the reset goes straight to the kernel.
        self._run_code(_RESET.format(cwd=str(cwd)), path)
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


class KernelStarter:
    """Start ``count`` warm :class:`ReportKernel` s in the background, so that starting
    them overlaps with other work (reading the waves); :meth:`take` hands them out.

    Use it as a context manager: on leaving it, kernels not taken are shut down.
    """

    def __init__(self, count: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, count))
        self._starting: list[Future[ReportKernel]] = [
            self._pool.submit(ReportKernel, warm=True) for _ in range(max(0, count))
        ]
        self._lock = threading.Lock()

    def take(self) -> ReportKernel:
        """A started kernel (waiting for it if needed), or a new warm one when all are taken."""
        with self._lock:
            future = self._starting.pop(0) if self._starting else None
        return future.result() if future is not None else ReportKernel(warm=True)

    def close(self) -> None:
        """Shut down the kernels not taken (once started; a warm-up is not waited for)."""
        with self._lock:
            left, self._starting = self._starting, []
        for future in left:
            # a kernel that failed to start has nothing to shut down
            with contextlib.suppress(Exception):
                future.result().shutdown()
        self._pool.shutdown(wait=True)

    def __enter__(self) -> KernelStarter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_pool(
    queue: Queue[Job],
    workers: int,
    run: Callable[[Job, ReportKernel], None],
    *,
    starter: KernelStarter | None = None,
) -> None:
    """Work through ``queue`` with ``workers`` threads, each with its own
    :class:`ReportKernel` started once and reused: ``run(job, kernel)`` for every job.
    The kernels come from ``starter`` when given (started earlier), else are started here.

    The first failure empties the queue (the other workers stop after their
    current job) and is raised; every kernel is shut down at the end.
    """
    kernels: list[ReportKernel] = []

    def work() -> None:
        kernel = starter.take() if starter is not None else ReportKernel(warm=True)
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
