"""The live training curves as a student sees them, in a real JupyterLab (see tests/browser.py).

A short ``fit`` with ``callbacks=[plots.live()]`` on the fast-mode MNIST sample, in JupyterLab
and in Notebook 7: while it runs,
the cell's one output is a figure that changes (it showed fewer epochs before it showed them
all), and it ends with the History's final values. The figure carries its own caption (a PNG
``Description``), so the test reads the epochs and values from the very image the browser shows.
A screenshot is saved to build/screenshots/live_training.png (the README shows a copy from
docs/). ``MNIST_COURSE_NO_BROWSER=1`` skips it.
"""

from __future__ import annotations

import base64
import io
import json
import re
import time

import nbformat
import pytest
from PIL import Image

from browser import ROOT, Page, browser, jupyter_server, require_browser  # noqa: F401

SCREENSHOTS = ROOT / "build" / "screenshots"
NOTEBOOK = "live.ipynb"
SETUP = """\
from mnist_course import plots, setup_notebook
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = setup_notebook()
x_train_flat = x_train.reshape(-1, 784) / 255
y_train_onehot = keras.utils.to_categorical(y_train, 10)
model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(128, activation="relu"),
                          layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])"""
FIT = """\
batch_size = 32
num_epochs = 8
history = model.fit(x_train_flat, y_train_onehot, batch_size=batch_size, epochs=num_epochs,
                    validation_split=0.1, verbose=0, callbacks=[plots.live()])"""
FINAL = "import json; print(json.dumps({key: values[-1] for key, values in history.history.items()}))"

# The cell's outputs: how many there are, and the src of each image among them.
_OUTPUTS = """
const area = arguments[0].querySelector('.jp-OutputArea');
if (!area) return {count: 0, images: []};
return {count: area.querySelectorAll('.jp-OutputArea-output').length,
        images: Array.from(area.querySelectorAll('.jp-OutputArea-output img')).map(img => img.src)};
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_browser()
    folder = tmp_path_factory.mktemp("live")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)
                                               for source in (SETUP, FIT, FINAL)])
    notebook.metadata["kernelspec"] = {"name": "mnist-course", "display_name": "Python (mnist-course)",
                                       "language": "python"}
    nbformat.write(notebook, folder / NOTEBOOK)
    with jupyter_server(folder) as running:
        yield running


def _caption(src: str) -> str:
    """The caption a frame carries (its PNG Description)."""
    assert src.startswith("data:image/png;base64,"), src[:40]
    return Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).text["Description"]


def _shown(key: str, value: float) -> str:
    return f"{key} {value:.2%}" if "acc" in key else f"{key} {value:.4g}"


@pytest.mark.parametrize("app", ["lab", "notebook"], ids=["JupyterLab", "Notebook 7"])
def test_the_figure_grows_while_fit_runs_and_ends_with_the_final_values(server, browser, app):  # noqa: F811
    page = Page(browser, server)
    page.open(NOTEBOOK, app=app)
    if app == "lab":
        page.hide_side_panel()
    setup, fit, final = (page.code_cell(containing=text) for text in ("setup_notebook()",
                                                                       "plots.live()", "json.dumps"))
    page.run(setup, timeout=180)

    finished = page.start(fit)
    frames, most_outputs = [], 0
    deadline = time.monotonic() + 300
    while True:
        done = finished()  # read before the outputs: the last look sees the final frame
        outputs = browser.execute_script(_OUTPUTS, fit)
        most_outputs = max(most_outputs, outputs["count"])
        for src in outputs["images"]:
            if not frames or frames[-1] != src:
                frames.append(src)
        if done:
            break
        assert time.monotonic() < deadline, "the fit did not finish in 300 s"
        time.sleep(0.15)

    assert most_outputs == 1, f"the cell showed {most_outputs} outputs at once: frames pile up"
    captions = [_caption(src) for src in frames]
    epochs = [int(match.group(1)) for caption in captions
              if (match := re.search(r"epoch (\d+) of 8", caption))]
    print("\nFrames seen in JupyterLab:\n" + "\n".join(captions))
    assert len(set(epochs)) >= 2 and epochs[0] < epochs[-1] == 8, (
        f"the figure did not change between epochs: {captions}")

    page.run(final)
    values = json.loads(page.output_text(final))
    for key, value in values.items():
        assert _shown(key, value) in captions[-1], f"the last frame does not show {key} = {value}"

    if app == "lab":
        page.scroll_to(fit)
        page.screenshot(SCREENSHOTS / "live_training.png", element=fit)
