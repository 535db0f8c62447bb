"""The live training curves (``plots.live()``, mnist_course/live.py): what each kind of run shows.

In this process (no kernel) a live view draws its frames as for a person watching and keeps
them; executed by nbclient (as nbconvert, nbval and the grader do) a notebook keeps one final
figure per run, or one line in fast mode. The browser side is tests/test_browser_live.py.
"""

from __future__ import annotations

import io
import math
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from PIL import Image  # noqa: E402

from mnist_course import live as live_module  # noqa: E402
from mnist_course import plots  # noqa: E402
from mnist_course.live import GUESS_LOSS, Board, Run  # noqa: E402

COLUMN_PX = 900


def _data(count=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(count, 8)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64")


def _model(learning_rate=0.1):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _description(png: bytes) -> str:
    return Image.open(io.BytesIO(png)).text["Description"]


def test_a_fit_is_drawn_as_it_goes_and_ends_with_its_final_values():
    before = plt.figure()  # the student's own pyplot figure
    numbers = plt.get_fignums()
    x, y = _data()
    view = plots.live()
    history = _model().fit(x, y, epochs=3, batch_size=64, validation_split=0.25, verbose=0,
                           callbacks=[view])
    # The first epoch at once, and the final figure.
    assert view.frames >= 2
    final = _description(view.png)
    assert final == view.summary()
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        value = history.history[key][-1]
        shown = f"{value:.2%}" if "acc" in key else f"{value:.4g}"
        assert f"{key} {shown}" in final, f"the final frame does not show {key} = {shown}: {final}"
    assert "epoch 3 of 3" in final
    # Drawn on a figure of its own: pyplot's figures and current figure are the student's.
    assert plt.get_fignums() == numbers and plt.gcf() is before
    plt.close(before)
    # Titles and labels, and it fits the notebook column.
    loss_ax, accuracy_ax = view.figure.axes
    assert loss_ax.get_title() and accuracy_ax.get_title() and view.figure.get_suptitle()
    assert loss_ax.get_xlabel() == "Epoch" and accuracy_ax.get_ylabel() == "accuracy"
    assert {line.get_label() for line in loss_ax.get_lines()} >= {"training", "validation"}
    assert Image.open(io.BytesIO(view.png)).size[0] <= COLUMN_PX
    assert "3 of 3 epochs" in view.figure.get_suptitle()


def test_the_live_figure_fits_the_column_in_the_notebook_style():
    from mnist_course.setup import _PLOT_STYLE

    board = Board(show="live")
    run = Run(None, epochs=20, steps=1875, history={"loss": [0.5] * 20, "accuracy": [0.9] * 20})
    board.runs.append(run)
    with matplotlib.rc_context(_PLOT_STYLE):
        board.frame(final=True)
    buffer = io.BytesIO()
    board.figure.savefig(buffer, format="png", dpi=_PLOT_STYLE["figure.dpi"], bbox_inches="tight")
    assert Image.open(buffer).size[0] <= COLUMN_PX
    assert board.figure.get_figwidth() <= plots.MAX_WIDTH


def test_a_nan_loss_and_a_loss_above_ln_10_are_marked():
    board = Board(show="live")
    board.runs.append(Run(None, epochs=4, history={"loss": [40.0, 3.0, math.nan],
                                                    "accuracy": [0.1, 0.1, 0.1]}))
    board.frame(final=True)
    loss_ax = board.figure.axes[0]
    assert "NaN at epoch 3" in board.figure.get_suptitle()
    assert any(text.get_text() == "NaN" for text in loss_ax.texts)
    red_crosses = [line for line in loss_ax.get_lines() if line.get_marker() == "x"]
    assert red_crosses and np.count_nonzero(np.isfinite(red_crosses[0].get_ydata())) == 2
    assert any(line.get_label().startswith("guessing: ln 10") for line in loss_ax.get_lines())
    assert loss_ax.get_yscale() == "linear"  # 40 / 3: no need for a log scale
    board.runs[0].finished = board.runs[0].started + 2.0  # TerminateOnNaN stopped it
    assert "epoch 3 of 4 (stopped early) in 2 s: loss NaN" in board.summary()

    above = Run(None, epochs=2, history={"loss": [1000.0, 5.0]})
    assert "above ln 10" in above.trouble() and "epoch 1" in above.trouble()
    board = Board(show="live")
    board.runs.append(above)
    board.frame(final=True)
    assert board.figure.axes[0].get_yscale() == "log"  # a factor of 200: the log scale shows both
    assert Run(None, epochs=2, history={"loss": [GUESS_LOSS - 0.01, 0.5]}).trouble() is None


def test_elapsed_and_time_left():
    run = Run(None, epochs=20, started=100.0, history={"loss": [1.0] * 5})
    assert run.seconds_left(110.0) == pytest.approx(30.0)  # 5 epochs took 10 s: 15 more, 30 s
    run.partial_at = 5.5  # half-way through epoch 6
    assert run.seconds_left(111.0) == pytest.approx(11.0 * 14.5 / 5.5)
    assert live_module._duration(8.4) == "8 s" and live_module._duration(125) == "2 min 05 s"
    assert live_module._duration(3 * 3600 + 180) == "3 h 03 min"
    board = Board(show="live")
    board.runs.append(run)
    assert "about" in board._status(run, 110.0) and "left" in board._status(run, 110.0)


def test_frames_stay_within_the_budget():
    board = Board(show="live")
    board._cost = 0.3  # a slow machine: 0.3 s a frame
    assert board.gap() == pytest.approx(0.3 / live_module.BUDGET)
    board._last_frame = time.perf_counter()
    assert not board.due(time.perf_counter() + 1.0)
    assert board.due(time.perf_counter() + board.gap() + 0.01)
    assert not Board(show="final").due(math.inf) and not Board(show="line").due(math.inf)

    # Forty quick epochs: after the first ones, a frame only when the budget allows it.
    x, y = _data()
    view = plots.live()
    start = time.perf_counter()
    _model().fit(x, y, epochs=40, batch_size=128, verbose=0, callbacks=[view])
    elapsed = time.perf_counter() - start
    board = view.board
    assert board.frames < 40
    # The forced frames (empty axes, first epoch, final) aside, drawing stays within the budget.
    assert board.drawing_seconds - 3 * board.slowest <= live_module.BUDGET * elapsed


def test_long_epochs_get_frames_within_the_epoch(monkeypatch):
    import keras

    class SlowBatches(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            time.sleep(0.05)

    monkeypatch.setattr(live_module, "BUDGET", 1.0)  # a frame whenever MIN_INTERVAL has passed
    monkeypatch.setattr(live_module, "MIN_INTERVAL", 0.2)
    x, y = _data(count=1024)
    view = plots.live()
    seen = []

    class Spy(keras.callbacks.Callback):  # what the run held at each batch
        def on_train_batch_begin(self, batch, logs=None):
            if view.run.partial:
                seen.append(view.run.partial_at)

    _model().fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[view, SlowBatches(), Spy()])
    assert view.frames >= 4, "one long epoch should be drawn a few times before it ends"
    assert seen and all(0 < at < 1 for at in seen), "frames within epoch 1 sit between 0 and 1"


def test_the_runs_of_a_sweep_share_one_figure():
    x, y = _data()
    views = []
    for rate in (0.01, 0.1, 1.0):
        view = plots.live(sweep="learning rate", label=rate)
        _model(rate).fit(x, y, epochs=2, batch_size=64, validation_split=0.25, verbose=0,
                         callbacks=[view])
        views.append(view)
    board = views[0].board
    assert all(view.board is board for view in views)
    assert [run.label for run in board.runs] == ["learning rate 0.01", "learning rate 0.1",
                                                 "learning rate 1.0"]
    legend = [text.get_text() for text in board.figure.axes[1].get_legend().get_texts()]
    assert legend == ["learning rate 0.01", "learning rate 0.1", "learning rate 1.0"]
    assert _description(board.png).count("epoch 2 of 2") == 3
    # The same sweep run again (a label comes back): a new figure, the old one let go.
    again = plots.live(sweep="learning rate", label=0.01)
    _model().fit(x, y, epochs=1, verbose=0, callbacks=[again])
    assert again.board is not board and len(again.board.runs) == 1


def test_bad_arguments_say_what_to_do(monkeypatch):
    with pytest.raises(ValueError, match="give sweep= too"):
        plots.live(label=0.1)
    with pytest.raises(ValueError, match="one of live, final, line"):
        plots.live(show="movie")
    monkeypatch.setenv(live_module.LIVE_VARIABLE, "sometimes")
    with pytest.raises(ValueError, match="MNIST_COURSE_LIVE"):
        live_module.how_to_show()
    monkeypatch.setenv(live_module.LIVE_VARIABLE, "line")
    assert live_module.how_to_show() == "line"
    monkeypatch.delenv(live_module.LIVE_VARIABLE)
    assert live_module.how_to_show() == "live"  # no kernel: drawn as for a person, and kept


def test_a_script_gets_one_line_at_the_end(capsys):
    x, y = _data()
    view = plots.live()
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[view])
    printed = capsys.readouterr().out.splitlines()
    assert printed == [view.summary()] and printed[0].startswith("Training: epoch 2 of 2")


# ------------------------------------------------------------- executed by a program (nbclient)

_NOTEBOOK_CELLS = [
    """\
import numpy as np
import matplotlib.pyplot as plt
import keras
from mnist_course import mode, plots
rng = np.random.default_rng(0)
x = rng.normal(size=(256, 8)).astype("float32")
y = (x[:, 0] > 0).astype("int64")
def build(rate):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model""",
    """\
student_figure = plt.figure()  # the student's figure, current while the model trains
history = build(0.1).fit(x, y, epochs=mode.epochs(3), validation_split=0.25, verbose=0,
                         callbacks=[plots.live()])
untouched = plt.gcf() is student_figure and plt.get_fignums() == [student_figure.number]
plt.close(student_figure)""",
    """\
for rate in [0.01, 0.1, 1.0]:
    build(rate).fit(x, y, epochs=mode.epochs(3), verbose=0,
                    callbacks=[plots.live(sweep="learning rate", label=rate)])""",
    "assert untouched",
]


def _execute(tmp_path, monkeypatch, fast: bool) -> nbformat.NotebookNode:
    monkeypatch.setenv("MNIST_COURSE_FAST", "1" if fast else "0")
    monkeypatch.delenv(live_module.LIVE_VARIABLE, raising=False)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)
                                               for source in _NOTEBOOK_CELLS])
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    return notebook


@pytest.mark.parametrize("fast", [False, True], ids=["full mode", "fast mode"])
def test_an_executed_notebook_keeps_one_output_per_run(tmp_path, monkeypatch, fast):
    notebook = _execute(tmp_path, monkeypatch, fast)
    fit_cell, sweep_cell = notebook.cells[1], notebook.cells[2]
    for cell, runs in ((fit_cell, 1), (sweep_cell, 3)):
        (output,) = cell.outputs  # one output: no intermediate frames, no widget state, no text
        assert output.output_type == "display_data"
        text = output.data["text/plain"]
        assert text.count("epoch 3 of 3" if not fast else "epoch 2 of 2") == runs
        if fast:  # one line, no figure
            assert set(output.data) == {"text/plain"} and "\n" not in text
        else:
            assert set(output.data) == {"image/png", "text/plain"}
            png = __import__("base64").b64decode(output.data["image/png"])
            assert _description(png) == text  # the figure is the final one
            assert Image.open(io.BytesIO(png)).size[0] <= COLUMN_PX
    assert "widgets" not in notebook.metadata
    assert not notebook.cells[3].outputs  # pyplot's current figure is still the student's
