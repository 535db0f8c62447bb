"""Drive JupyterLab (or Notebook 7) in a real headless Chromium, for the browser tests.

Debian's ``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` and Selenium from PyPI do the work;
nothing here downloads a browser or a driver (the driver's path is given to Selenium, so
Selenium Manager never runs). When one of them is missing the test FAILS with a message
saying what to install; it is skipped only when ``MNIST_COURSE_NO_BROWSER=1`` is set.

Use the fixtures from a test module::

    from browser import browser, lab  # noqa: F401  (pytest fixtures)

    def test_something(lab, browser):
        page = Page(browser, lab)
        page.open("01_meet_the_data.ipynb")
        cell = page.code_cell(containing="check.exercise_1_1(")
        page.set_cell_text(cell, "print(1 + 1)")
        page.run(cell)
        assert page.output_text(cell) == "2"

``lab`` is a JupyterLab server on a temporary copy of ``notebooks/``; :func:`jupyter_server`
starts one on any folder (``with jupyter_server(folder) as server: ...``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("MNIST_COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("MNIST_COURSE_CHROMEDRIVER", "/usr/bin/chromedriver"))
KERNEL_NAME = "mnist-course"
KERNEL_DISPLAY_NAME = "Python (mnist-course)"
SKIP_VARIABLE = "MNIST_COURSE_NO_BROWSER"
INSTALL_HINT = ("install them (Debian/Ubuntu: `sudo apt-get install chromium chromium-driver`; "
                "Selenium: `pip install -e '.[dev]'`), or set MNIST_COURSE_NO_BROWSER=1 to skip "
                "the browser tests on purpose")


def require_browser() -> None:
    """Fail (never skip silently) when Chromium, its driver or Selenium is missing."""
    if os.environ.get(SKIP_VARIABLE) == "1":
        pytest.skip(f"browser tests skipped because {SKIP_VARIABLE}=1 is set")
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the Python package selenium")
    if missing:
        pytest.fail(f"the browser test needs {', '.join(missing)}: {INSTALL_HINT}", pytrace=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running Jupyter server: its base URL, token and the folder it serves."""

    url: str
    token: str
    root: Path

    def api(self, path: str) -> object:
        """GET a REST endpoint of the server (``"api/sessions"``) and decode its JSON."""
        request = urllib.request.Request(f"{self.url}/{path}",
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)


def _write_kernelspec(directory: Path) -> None:
    """The course kernel, running this very Python and importing this checkout's package."""
    spec = directory / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher",
                 "-f", "{connection_file}"],
        "display_name": KERNEL_DISPLAY_NAME, "language": "python", "env": env,
    }))


def _write_lab_settings(directory: Path) -> None:
    """JupyterLab settings for a test: no "Jupyter news?" pop-up over the notebook."""
    notification = directory / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


@contextlib.contextmanager
def jupyter_server(folder: Path, *, timeout: float = 60) -> Iterator[Server]:
    """Start a Jupyter server (JupyterLab at /lab, Notebook 7 at /notebooks) on a temp copy of
    *folder*, on a free localhost port with a random token; stop it on exit.

    The kernel named ``mnist-course`` is this Python with this checkout on its path (a private
    kernelspec comes first on ``JUPYTER_PATH``), and the user's JupyterLab settings and
    workspaces are left alone (temporary ones are used)."""
    with tempfile.TemporaryDirectory(prefix="mnist-course-browser-") as tmp:
        tmp_path = Path(tmp)
        root = tmp_path / "work"
        shutil.copytree(folder, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "backup"))
        _write_kernelspec(tmp_path / "jupyter")
        _write_lab_settings(tmp_path / "settings")
        token = os.urandom(16).hex()
        port = _free_port()
        env = dict(os.environ,
                   JUPYTER_PATH=os.pathsep.join(filter(None, [str(tmp_path / "jupyter"),
                                                              os.environ.get("JUPYTER_PATH")])),
                   JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
                   JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
                   MNIST_COURSE_FAST=os.environ.get("MNIST_COURSE_FAST", "1"))
        command = [sys.executable, "-m", "jupyter", "lab", "--no-browser",
                   f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
                   "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
                   f"--ServerApp.root_dir={root}",
                   "--LabApp.news_url=None",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                   "--LabApp.extension_manager=readonly"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
            command.append("--allow-root")
        log_path = tmp_path / "server.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       cwd=root)
        server = Server(f"http://127.0.0.1:{port}", token, root)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError("the Jupyter server stopped at start-up:\n"
                                       + log_path.read_text(errors="replace")[-3000:])
                try:
                    server.api("api/status")
                    break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the Jupyter server did not answer in {timeout:.0f} s:\n"
                                           + log_path.read_text(errors="replace")[-3000:])
                    time.sleep(0.3)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def chrome_driver(*, width: int = 1280, height: int = 900):
    """A headless Chromium driven through Debian's chromedriver, with a fresh profile."""
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="mnist-course-chromium-")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-default-apps",
                     f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(argument)
    service = Service(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_window_size(width, height)
    driver._mnist_course_profile = profile  # removed by close_driver()
    return driver


def close_driver(driver) -> None:
    """Quit the browser and delete its temporary profile."""
    profile = getattr(driver, "_mnist_course_profile", None)
    driver.quit()
    if profile:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def lab() -> Iterator[Server]:
    """A Jupyter server on a temporary copy of the student notebooks (``notebooks/``)."""
    require_browser()
    with jupyter_server(ROOT / "notebooks") as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Selenium WebDriver), closed after the module's tests."""
    driver = chrome_driver()
    try:
        yield driver
    finally:
        close_driver(driver)


class Page:
    """A notebook open in JupyterLab (``app="lab"``) or Notebook 7 (``app="notebook"``)."""

    def __init__(self, driver, server: Server, *, timeout: float = 60):
        self.driver = driver
        self.server = server
        self.timeout = timeout
        self.path: str | None = None

    # -- waiting ----------------------------------------------------------------------------
    def wait(self, condition, message: str, timeout: float | None = None):
        """Wait until ``condition(driver)`` is truthy; fail with *message* otherwise."""
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout or self.timeout, poll_frequency=0.2).until(
            condition, message)

    def kernel_state(self) -> str | None:
        """The execution state of the kernel of the open notebook ("idle", "busy", ...)."""
        for session in self.server.api("api/sessions"):
            if session.get("path") == self.path and session.get("kernel"):
                return self.server.api(f"api/kernels/{session['kernel']['id']}")["execution_state"]
        return None

    def kernel_name(self) -> str | None:
        """The name of the kernel the server started for the open notebook."""
        for session in self.server.api("api/sessions"):
            if session.get("path") == self.path and session.get("kernel"):
                return session["kernel"]["name"]
        return None

    def wait_for_idle_kernel(self, timeout: float | None = None) -> None:
        """Wait until the notebook's kernel has started and is idle."""
        self.wait(lambda _: self.kernel_state() == "idle",
                  f"the kernel of {self.path} did not become idle", timeout)

    # -- opening ----------------------------------------------------------------------------
    def open(self, path: str, *, app: str = "lab") -> None:
        """Open *path* (relative to the server's folder) and wait for its cells and kernel."""
        from selenium.webdriver.common.by import By

        self.path = path
        prefix = {"lab": "lab/tree", "notebook": "notebooks"}[app]
        self.driver.get(f"{self.server.url}/{prefix}/{path}?token={self.server.token}")
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"),
                  f"{path} did not open in {app}")
        self.wait_for_idle_kernel(timeout=120)
        # The first cell is active once the notebook is ready for the keyboard.
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell.jp-mod-active"),
                  "no cell of the notebook became active")

    # -- cells ------------------------------------------------------------------------------
    def cells(self):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")

    def cell_text(self, cell) -> str:
        """The source of a code cell as the editor shows it."""
        return self.driver.execute_script(
            "return Array.from(arguments[0].querySelectorAll('.jp-InputArea .cm-line'))"
            ".map(line => line.textContent).join('\\n');", cell)

    def code_cell(self, *, containing: str):
        """The first code cell whose source contains *containing*."""
        for cell in self.cells():
            if "jp-CodeCell" in cell.get_attribute("class") and containing in self.cell_text(cell):
                return cell
        raise AssertionError(f"no code cell of {self.path} contains {containing!r}")

    def scroll_to(self, element) -> None:
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", element)

    def set_cell_text(self, cell, text: str) -> None:
        """Replace a code cell's source by typing *text* into its editor (lines must not be
        indented: the editor indents after a colon by itself)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        self.scroll_to(cell)
        editor = cell.find_element(By.CSS_SELECTOR, ".cm-content")
        editor.click()
        select_all = Keys.COMMAND if sys.platform == "darwin" else Keys.CONTROL
        editor.send_keys(select_all, "a")
        editor.send_keys(Keys.DELETE)
        editor.send_keys(Keys.ENTER.join(text.split("\n")))
        self.wait(lambda _: self.cell_text(cell) == text,
                  f"the cell shows {self.cell_text(cell)!r}, not what was typed", timeout=10)

    def run(self, cell, timeout: float | None = None) -> None:
        """Run a cell (Ctrl+Enter in its editor) and wait until it has finished."""
        finished = self.start(cell)
        self.wait(lambda _: finished(), f"the cell did not finish running: {self.cell_text(cell)[:80]!r}",
                  timeout)

    def start(self, cell):
        """Start running a cell (Ctrl+Enter in its editor) without waiting; returns a function
        that says whether it has finished (its prompt shows a new number)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        self.scroll_to(cell)
        editor = cell.find_element(By.CSS_SELECTOR, ".cm-content")
        before = self._prompt(cell)
        editor.click()
        editor.send_keys(Keys.CONTROL, Keys.ENTER)

        def finished() -> bool:
            prompt = self._prompt(cell)
            return prompt != before and "*" not in prompt and any(ch.isdigit() for ch in prompt)

        return finished

    def _prompt(self, cell) -> str:
        from selenium.webdriver.common.by import By

        prompts = cell.find_elements(By.CSS_SELECTOR, ".jp-InputPrompt")
        return prompts[0].text if prompts else ""

    def run_all_above(self, cell, timeout: float | None = None) -> None:
        """Run every code cell before *cell*, one after the other (stops at the first error)."""
        for other in self.cells():
            if other == cell:
                return
            if "jp-CodeCell" in other.get_attribute("class") and self.cell_text(other).strip():
                self.run(other, timeout)

    def output_text(self, cell) -> str:
        """The text of a cell's outputs, as a student reads it."""
        return self.driver.execute_script(
            "const area = arguments[0].querySelector('.jp-OutputArea');"
            "return area ? area.innerText.trim() : '';", cell)

    def hide_side_panel(self) -> None:
        """Collapse JupyterLab's left side panel (the file browser) by clicking its open tab."""
        from selenium.webdriver.common.by import By

        for tab in self.driver.find_elements(
                By.CSS_SELECTOR, ".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current"):
            tab.click()

    def screenshot(self, path: str | Path, element=None) -> Path:
        """Save a PNG of the window (or of *element*) to *path*; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if element is not None:
            element.screenshot(str(path))
        else:
            self.driver.save_screenshot(str(path))
        return path
