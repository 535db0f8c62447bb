"""Live training curves: one figure that redraws itself while ``model.fit`` runs.

``plots.live()`` returns a Keras callback. Pass it to ``fit`` and the cell shows one figure of
the training (and validation) loss and accuracy against epochs, the time spent and an estimate
of the time left; the loss gets a red mark when it goes above ln 10 (worse than guessing) or
becomes NaN (the run diverged). Runs of a sweep share one figure, each run added as it trains:
``plots.live(sweep="learning rate", label=rate)``. Used by every notebook that trains (02-07).

Where the figure goes depends on who runs the notebook:

- a person (JupyterLab, Notebook 7, VS Code, Colab: a front end that answers ``input()``): the
  figure is updated in place (IPython's ``update_display_data``) at the end of an epoch, and a
  few times within long epochs, never more often than keeps drawing under 2 % of the run;
- a program (nbconvert, nbclient, nbval, the grader: ``allow_stdin`` is off): nothing while
  training, then one final figure, or in fast mode one line of text;
- no notebook at all (a script): the frames are drawn as for a person and kept (``.figure``),
  and one line is printed at the end.

``MNIST_COURSE_LIVE=live|final|line`` forces one of the three kinds of output. The figure is a
:class:`matplotlib.figure.Figure` of its own, so the student's pyplot figure (``plt.gcf()``)
is never touched.

Example:
    >>> import keras, numpy as np                                        # doctest: +SKIP
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, "softmax")])  # doctest: +SKIP
    >>> model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # doctest: +SKIP
    >>> view = live()                                                     # doctest: +SKIP
    >>> model.fit(np.zeros((8, 4)), np.zeros(8), epochs=2, verbose=0, callbacks=[view])  # doctest: +SKIP
    >>> view.summary()                                                    # doctest: +SKIP
    'Training: epoch 2 of 2 in 0 s: accuracy 100.00%, loss 0.6931'
"""

from __future__ import annotations

import base64
import io
import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from mnist_course import mode

#: The environment variable that forces the kind of output: ``live``, ``final`` or ``line``.
LIVE_VARIABLE = "MNIST_COURSE_LIVE"
#: Share of a run's wall time that drawing frames may take (the first and final frames aside).
BUDGET = 0.02
#: Fewest seconds between two frames, however cheap drawing is.
MIN_INTERVAL = 0.5
#: The figure: two panels side by side, within the course's 10-inch column at 90 dpi.
SIZE = (9.0, 3.6)
DPI = 90
_SHOWS = ("live", "final", "line")


def how_to_show() -> str:
    """``"live"``, ``"final"`` or ``"line"``: what a live view shows in this process now.

    ``live`` when a person watches (a Jupyter front end that accepts ``input()``) or when no
    kernel runs at all; otherwise ``final`` (one figure after training), or ``line`` in fast
    mode. ``MNIST_COURSE_LIVE`` overrides it.

    Example:
        >>> os.environ[LIVE_VARIABLE] = "final"
        >>> how_to_show()
        'final'
        >>> del os.environ[LIVE_VARIABLE]
    """
    forced = os.environ.get(LIVE_VARIABLE, "").strip().lower()
    if forced:
        if forced not in _SHOWS:
            raise ValueError(f"{LIVE_VARIABLE}={forced!r} is not one of {', '.join(_SHOWS)}: "
                             f"set it to one of them, or unset it to let the course choose.")
        return forced
    interactive = _front_end_is_interactive()
    if interactive is None or interactive:
        return "live"
    return "line" if mode.is_fast_mode() else "final"


def _kernel():
    """The running IPython kernel, or None outside one (a script, a terminal IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return getattr(shell, "kernel", None) if shell is not None else None


def _front_end_is_interactive() -> bool | None:
    """None outside a kernel; otherwise whether the cell's request allows ``input()``.

    JupyterLab, Notebook 7, VS Code and Colab send ``allow_stdin: true`` with every cell; the
    programs that execute notebooks (nbclient, hence nbconvert and the grader, and nbval)
    send ``false``, since nobody is there to type. That is the signal used here."""
    kernel = _kernel()
    if kernel is None:
        return None
    try:
        parent = kernel.get_parent("shell")
    except Exception:  # an older ipykernel: the flag it keeps for input()
        return bool(getattr(kernel, "_allow_stdin", False))
    content = parent.get("content", {}) if isinstance(parent, dict) else {}
    return bool(content.get("allow_stdin", False))


def _cell_number() -> int | None:
    """The execution count of the running cell (a sweep's figure lives for one cell)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return getattr(shell, "execution_count", None) if shell is not None else None


# -- what a run recorded ---------------------------------------------------------------------

@dataclass
class Run:
    """One ``fit``: its values per finished epoch, and the epoch in progress."""

    label: str | None
    epochs: int = 0
    steps: int | None = None
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    history: dict[str, list[float]] = field(default_factory=dict)
    partial: dict[str, float] = field(default_factory=dict)
    partial_at: float = 0.0

    @property
    def done(self) -> int:
        """Finished epochs."""
        return len(self.history.get("loss", []))

    def elapsed(self, now: float | None = None) -> float:
        return (self.finished or now or time.perf_counter()) - self.started

    def seconds_left(self, now: float) -> float | None:
        """Time left, from the time each finished part of the run took so far."""
        progress = max(self.done, self.partial_at) / self.epochs if self.epochs else 0.0
        if self.finished is not None or progress <= 0:
            return None
        return max(0.0, self.elapsed(now) * (1 - progress) / progress)

    def accuracy_key(self) -> str | None:
        """The accuracy metric's name in the logs (``accuracy``, ``categorical_accuracy``...)."""
        names = [k for k in [*self.history, *self.partial] if not k.startswith("val_")]
        return next((k for k in names if "acc" in k), None)

    def trouble(self) -> str | None:
        """A sentence when the loss became NaN or rose above ln 10, else None."""
        for epoch, value in enumerate(self.history.get("loss", []), start=1):
            if not math.isfinite(value):
                return f"loss is NaN at epoch {epoch}: the run diverged"
        for epoch, value in enumerate(self.history.get("loss", []), start=1):
            if value > GUESS_LOSS:
                return f"loss above ln 10 = {GUESS_LOSS:.2f} at epoch {epoch}: worse than guessing"
        return None

    def line(self) -> str:
        """One line with the latest values: what the text version of the view shows."""
        name = f"{self.label}: " if self.label is not None else ""
        if not self.done:
            return f"{name}epoch 1 of {self.epochs} running"
        stopped = " (stopped early)" if self.finished and self.done < self.epochs else ""
        values = ", ".join(f"{key} {_format(key, series[-1])}" for key, series in self.history.items())
        return (f"{name}epoch {self.done} of {self.epochs}{stopped} in "
                f"{_duration(self.elapsed())}: {values}")


GUESS_LOSS = math.log(10)


def _format(key: str, value: float) -> str:
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else str(value)
    return f"{value:.2%}" if "acc" in key else f"{value:.4g}"


def _duration(seconds: float) -> str:
    """``"8 s"``, ``"2 min 05 s"``, ``"1 h 03 min"``."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


# -- the figure and where it is shown ----------------------------------------------------------

class Board:
    """One figure and its place in the notebook, shared by the runs it shows.

    A single ``fit`` has a board of its own; the runs of a sweep add themselves to one board.
    ``frame()`` draws the figure and shows it (a new output the first time, the same output
    updated after that); ``finish()`` shows the final version.
    """

    def __init__(self, sweep: str | None = None, *, show: str | None = None):
        self.sweep = sweep
        self.show = show or how_to_show()
        self.runs: list[Run] = []
        self.figure: Figure | None = None
        self.png: bytes | None = None
        self.frames = 0
        self.drawing_seconds = 0.0
        self.drawing_cpu_seconds = 0.0
        self.slowest = 0.0
        self._cost = 0.0
        self._last_frame = -math.inf
        self._handle = None

    # when to draw
    def gap(self) -> float:
        """Seconds to wait between frames so that drawing stays within :data:`BUDGET`."""
        return max(MIN_INTERVAL, self._cost / BUDGET)

    def due(self, now: float) -> bool:
        return self.show == "live" and now - self._last_frame >= self.gap()

    # what to draw
    def summary(self) -> str:
        """The text of the view: one line per run."""
        if self.sweep is None:
            return ("Training: " + self.runs[-1].line()) if self.runs else "Training: not started"
        return f"Sweep ({self.sweep}): " + "; ".join(run.line() for run in self.runs)

    def frame(self, *, final: bool = False) -> None:
        """Draw and show the figure now (``live``), or only at the end (``final``, ``line``)."""
        if self.show == "line":
            if final:
                self._output({"text/plain": self.summary()}, {})
            return
        if self.show == "final" and not final:
            return
        start, cpu = time.perf_counter(), time.thread_time()
        self.png = self._draw()
        bundle = {"image/png": base64.b64encode(self.png).decode("ascii"),
                  "text/plain": self.summary()}
        width, height = (int(round(inches * DPI)) for inches in SIZE)
        self._output(bundle, {"image/png": {"width": width, "height": height}})
        end = time.perf_counter()
        self._cost = end - start if not self.frames else 0.5 * (self._cost + end - start)
        self.drawing_seconds += end - start
        self.drawing_cpu_seconds += time.thread_time() - cpu
        self.slowest = max(self.slowest, end - start)
        self.frames += 1
        self._last_frame = end

    def waiting(self) -> None:
        """Say at once that training has begun (a line of text costs nothing to draw)."""
        self._output({"text/plain": self.summary() + " (the curves appear after it)"}, {})

    def finish(self) -> None:
        """Show the final figure (or line); in a script, print its line."""
        self.frame(final=True)
        if _kernel() is None:
            print(self.summary())

    def _output(self, bundle: dict, metadata: dict) -> None:
        if _kernel() is None:  # a script: keep the frame, show nothing until the end
            return
        from IPython.display import display

        if self._handle is None:
            self._handle = display(bundle, raw=True, metadata=metadata, display_id=True)
        else:
            self._handle.update(bundle, raw=True, metadata=metadata)

    def _draw(self) -> bytes:
        if self.figure is None:
            self.figure = Figure(figsize=SIZE, dpi=DPI)
            FigureCanvasAgg(self.figure)
            self.figure.subplots(1, 2)
            self.figure.subplots_adjust(left=0.075, right=0.985, bottom=0.14, top=0.78, wspace=0.22)
        loss_ax, accuracy_ax = self.figure.axes
        for ax in (loss_ax, accuracy_ax):
            ax.clear()
        now = time.perf_counter()
        current = self.runs[-1] if self.runs else None
        single = self.sweep is None
        most_epochs = max((run.epochs for run in self.runs), default=1) or 1
        for index, run in enumerate(self.runs):
            colour = None if single else f"C{index % 10}"
            name = "" if single else run.label
            _plot_run(loss_ax, run, "loss", colour, name, single)
            key = run.accuracy_key()
            if key:
                _plot_run(accuracy_ax, run, key, colour, name, single)
        _decorate_loss(loss_ax, self.runs, most_epochs)
        accuracy_ax.set_xlim(0, most_epochs)
        accuracy_ax.set_title("Accuracy")
        accuracy_ax.set_xlabel("Epoch")
        accuracy_ax.set_ylabel("accuracy")
        accuracy_ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        accuracy_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if not any(run.accuracy_key() for run in self.runs):
            accuracy_ax.text(0.5, 0.5, "no accuracy metric\n(compile with metrics=[\"accuracy\"])",
                             ha="center", va="center", transform=accuracy_ax.transAxes, color="gray")
        handles, labels = accuracy_ax.get_legend_handles_labels()
        if handles:
            accuracy_ax.legend(fontsize="small", loc="best")
        self.figure.suptitle(self._status(current, now), fontsize="medium")
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=DPI,
                            metadata={"Title": "Training curves", "Description": self.summary()})
        return buffer.getvalue()

    def _status(self, run: Run | None, now: float) -> str:
        if run is None:
            return "Training: starting"
        head = f"{run.label}, run {len(self.runs)}: " if self.sweep else ""
        steps = f" ({run.steps:,} steps each)" if run.steps else ""
        if run.finished is not None:
            stopped = " (stopped early)" if run.done < run.epochs else ""
            text = f"{head}{run.done} of {run.epochs} epochs{steps}{stopped} in {_duration(run.elapsed())}"
        else:
            left = run.seconds_left(now)
            text = (f"{head}epoch {min(run.done + 1, run.epochs)} of {run.epochs}{steps}: "
                    f"{_duration(run.elapsed(now))} so far"
                    + (f", about {_duration(left)} left" if left is not None else ""))
        trouble = [f"{'' if self.sweep is None else r.label + ': '}{r.trouble()}"
                   for r in self.runs if r.trouble()]
        return text + ("\n" + "; ".join(trouble) if trouble else "")


def _plot_run(ax, run: Run, key: str, colour: str | None, name: str, single: bool) -> None:
    """Draw one run's training and validation values of ``key`` (finished epochs, and a
    dotted line to the running value of the epoch in progress)."""
    for prefix, style, default in (("", "-", "C0"), ("val_", "--", "C1")):
        values = run.history.get(prefix + key)
        if not values:
            continue
        colour_here = default if single else colour
        label = (("training" if not prefix else "validation") if single
                 else (name if not prefix else None))
        x = np.arange(1, len(values) + 1)
        y = np.asarray(values, dtype=float)
        ax.plot(x, y, style, marker="o", markersize=3, color=colour_here, label=label)
        if key == "loss":
            bad = ~np.isfinite(y) | (y > GUESS_LOSS)
            if bad.any():
                ax.plot(x[bad], np.where(np.isfinite(y[bad]), y[bad], np.nan), "x", color="red",
                        markersize=9, markeredgewidth=2)
                for epoch in x[~np.isfinite(y)]:
                    ax.annotate("NaN", (epoch, 1.0), xycoords=("data", "axes fraction"),
                                ha="center", va="top", color="red", fontweight="bold")
    if run.partial and run.finished is None and key in run.partial:
        x0 = run.done
        last = run.history.get(key, [None])[-1] if run.done else None
        colour_here = "C0" if single else colour
        if last is not None:
            ax.plot([x0, run.partial_at], [last, run.partial[key]], ":", color=colour_here)
        ax.plot([run.partial_at], [run.partial[key]], "o", markerfacecolor="none",
                color=colour_here, markersize=5)


def _decorate_loss(ax, runs: list[Run], epochs: int) -> None:
    values = np.asarray([v for run in runs for k, s in run.history.items() if "loss" in k for v in s]
                        + [v for run in runs for k, v in run.partial.items() if "loss" in k], float)
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.size and finite.max() > GUESS_LOSS:
        ax.axhline(GUESS_LOSS, color="red", linestyle="--", linewidth=1,
                   label=f"guessing: ln 10 = {GUESS_LOSS:.2f}")
    if finite.size and finite.max() / finite.min() > 50:
        ax.set_yscale("log")
        ax.set_ylabel("loss (log scale)")
    else:
        ax.set_ylabel("loss")
    ax.set_xlim(0, epochs)
    ax.set_title("Loss")
    ax.set_xlabel("Epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", loc="best")


# -- the Keras callback ----------------------------------------------------------------------

_SWEEPS: dict[tuple[int | None, str], Board] = {}


class LiveView(keras.callbacks.Callback):
    """The Keras callback behind :func:`mnist_course.plots.live` (see the module's docstring).

    After ``fit`` it keeps what it showed: ``.figure`` (the matplotlib figure), ``.png`` (its
    last frame), ``.frames`` (how many were drawn) and ``summary()`` (the text line).

    Example:
        >>> view = LiveView()            # doctest: +SKIP
        >>> model.fit(x, y, epochs=5, callbacks=[view])   # doctest: +SKIP
    """

    def __init__(self, *, sweep: str | None = None, label: Any = None, show: str | None = None):
        super().__init__()
        if show is not None and show not in _SHOWS:
            raise ValueError(f"show={show!r}: use one of {', '.join(_SHOWS)}, or leave it out.")
        if label is not None and sweep is None:
            raise ValueError("label= names one run of a sweep: give sweep= too, for example "
                             "plots.live(sweep=\"learning rate\", label=learning_rate).")
        self.sweep = sweep
        self.label = None if label is None else f"{sweep} {label}"
        self._show = show
        self.board: Board | None = None
        self.run: Run | None = None
        self._epoch_started = 0.0

    # what the student can look at afterwards
    @property
    def figure(self) -> Figure | None:
        return self.board.figure if self.board else None

    @property
    def png(self) -> bytes | None:
        return self.board.png if self.board else None

    @property
    def frames(self) -> int:
        return self.board.frames if self.board else 0

    def summary(self) -> str:
        return self.board.summary() if self.board else "Training: not started"

    def _board(self) -> Board:
        if self.sweep is None:
            return Board(show=self._show)
        key = (_cell_number(), self.sweep)
        board = _SWEEPS.get(key)
        if board is None or any(run.label == self.label for run in board.runs):
            for old in [k for k in _SWEEPS if k[1] == self.sweep]:
                del _SWEEPS[old]  # one sweep figure per cell run: free the older one
            board = _SWEEPS[key] = Board(self.sweep, show=self._show)
        return board

    # Keras's hooks
    def on_train_begin(self, logs=None):
        self.board = self._board()
        params = self.params or {}
        label = self.label or (f"{self.sweep} run {len(self.board.runs) + 1}" if self.sweep else None)
        self.run = Run(label, epochs=int(params.get("epochs") or 0), steps=params.get("steps"))
        self.board.runs.append(self.run)
        self._epoch_started = self.run.started
        if self.board.show == "live" and not self.board.runs[:-1]:
            self.board.waiting()  # one line at once, replaced by the figure after epoch 1

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = time.perf_counter()
        self.run.partial = {}

    def on_train_batch_begin(self, batch, logs=None):
        # Only a clock is read here; the running values are fetched when a frame is due. (A
        # batch-end hook would make Keras convert every batch's logs at once.)
        if not batch or not self.run.steps:
            return
        now = time.perf_counter()
        board = self.board
        if board.due(now) and now - self._epoch_started >= board.gap():
            self.run.partial = _numbers(self.model.get_metrics_result())
            self.run.partial_at = self.run.done + batch / self.run.steps
            board.frame()

    def on_epoch_end(self, epoch, logs=None):
        for key, value in _numbers(logs).items():
            self.run.history.setdefault(key, []).append(value)
        self.run.partial = {}
        self.run.partial_at = float(self.run.done)
        first = self.run.done == 1 and self.board.frames == 0
        if self.board.show == "live" and (first or self.board.due(time.perf_counter())):
            self.board.frame()

    def on_train_end(self, logs=None):
        self.run.finished = time.perf_counter()
        self.run.partial = {}
        self.board.finish()


def _numbers(logs: dict | None) -> dict[str, float]:
    """The single numbers among Keras's logs (tensors and arrays of one value included)."""
    numbers = {}
    for key, value in (logs or {}).items():
        try:
            numbers[key] = float(np.asarray(value).item())
        except (TypeError, ValueError):
            continue
    return numbers


def live(*, sweep: str | None = None, label: Any = None, show: str | None = None) -> LiveView:
    """A Keras callback that draws the training curves while ``fit`` runs (see the module).

    ``sweep`` and ``label`` put several runs on one figure: call it once per run with the same
    ``sweep`` (what changes, e.g. ``"learning rate"``) and that run's ``label`` (its value).
    ``show`` forces ``"live"``, ``"final"`` or ``"line"``.

    Example:
        >>> callback = live(sweep="learning rate", label=0.01)
        >>> callback.label
        'learning rate 0.01'
    """
    return LiveView(sweep=sweep, label=label, show=show)
