"""mnist_course.images: pictures of digits become MNIST-like 28x28 images, and bad input gets
an ImageError that says what was wrong and what to do."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mnist_course import images
from mnist_course.images import ImageError, centre_of_mass, draw_digit, to_mnist


def ink_box(image):
    """Height and width of the smallest rectangle holding every non-zero pixel."""
    rows, columns = np.nonzero(image)
    return rows.max() - rows.min() + 1, columns.max() - columns.min() + 1


def looks_like_mnist(image):
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert image.max() == 255
    assert max(ink_box(image)) == images.BOX_SIZE
    assert min(ink_box(image)) <= images.BOX_SIZE
    row, column = centre_of_mass(image)
    assert abs(row - 14) <= 0.5 + 1e-9 and abs(column - 14) <= 0.5 + 1e-9
    for corner in (image[:3, :3], image[:3, -3:], image[-3:, :3], image[-3:, -3:]):
        assert not corner.any(), "the background must be exactly 0"


@pytest.fixture(scope="module")
def picture():
    """A dark 5 on light paper, small and off-centre."""
    return draw_digit("5", size=40, position=(0.3, 0.7), shape=(120, 100))


# --------------------------------------------------------------------------- what it makes


def test_drawn_digit_becomes_mnist_like(picture):
    assert picture.shape == (120, 100, 3) and picture.dtype == np.uint8
    assert picture[0, 0].mean() > 200, "paper is light"
    looks_like_mnist(to_mnist(picture))


@pytest.mark.parametrize("digit, font, style", [("1", "DejaVu Serif", "normal"), ("4", "cmr10", "normal"),
                                                 ("7", "STIXGeneral", "italic"), ("0", "DejaVu Sans Mono", "normal")])
def test_several_fonts_and_sizes(digit, font, style):
    for size, position in ((30, (0.25, 0.3)), (70, (0.6, 0.5))):
        looks_like_mnist(to_mnist(draw_digit(digit, font=font, style=style, size=size, position=position)))


def test_position_and_size_on_the_page_do_not_matter():
    small = to_mnist(draw_digit("2", size=30, position=(0.25, 0.75), shape=(150, 150)))
    large = to_mnist(draw_digit("2", size=90, position=(0.55, 0.45), shape=(150, 150)))
    correlation = np.corrcoef(small.ravel().astype(float), large.ravel().astype(float))[0, 1]
    assert correlation > 0.8


def test_aspect_ratio_is_kept():
    tall = np.full((200, 120), 250, dtype=np.uint8)
    tall[20:180, 50:82] = 0  # a bar 160 high and 32 wide: 5 to 1
    image = to_mnist(tall)
    height, width = ink_box(image)
    assert height == 20 and width == 4
    wide = to_mnist(tall.T)
    assert ink_box(wide) == (4, 20)


def test_a_mnist_digit_comes_back_almost_unchanged(course_data):
    x_test = course_data.test[0]
    for image in x_test[:20]:
        again = to_mnist(image)
        correlation = np.corrcoef(image.ravel().astype(float), again.ravel().astype(float))[0, 1]
        assert correlation > 0.85, "white-on-black input is not inverted, and MNIST is already prepared"


def test_centre_of_mass_is_where_mnist_has_it(course_data):
    x_train = course_data.train[0][:500]
    centres = np.array([centre_of_mass(image) for image in x_train])
    assert np.allclose(centres.mean(axis=0), images.MNIST_CENTRE, atol=0.1)


def test_inversion_is_decided_from_the_border(picture):
    dark_on_light = to_mnist(picture)
    light_on_dark = to_mnist(255 - picture)
    assert np.abs(dark_on_light.astype(int) - light_on_dark).max() <= 2
    forced = to_mnist(255 - picture, invert=False)
    assert np.array_equal(forced, light_on_dark)
    with pytest.raises(ImageError, match="blank"):
        to_mnist(picture, invert=False)  # treating light paper as ink leaves nothing


def test_steps_are_returned_in_order(picture):
    result, steps = to_mnist(picture, return_steps=True)
    assert tuple(steps) == images.STEP_NAMES
    assert steps["grayscale"].shape == picture.shape[:2]
    assert max(steps["fitted"].shape) == images.BOX_SIZE
    assert steps["centred"].shape == (28, 28)
    assert np.array_equal(result, to_mnist(picture))


def test_a_tiny_digit_is_enlarged():
    tiny = np.zeros((40, 40), dtype=np.uint8)
    tiny[18:23, 19:21] = 255  # 5 pixels tall, white on black
    image = to_mnist(tiny)
    assert ink_box(image)[0] == 20


def test_noisy_paper_is_tolerated():
    rng = np.random.default_rng(0)
    noisy = draw_digit("8", size=50, position=(0.6, 0.4)).astype(float)
    noisy += rng.normal(0, 6, size=noisy.shape)
    looks_like_mnist(to_mnist(np.clip(noisy, 0, 255).astype(np.uint8)))


# --------------------------------------------------------------------------- every input form


def test_every_input_form_gives_the_same_image(picture, tmp_path):
    expected = to_mnist(picture)
    gray = picture @ np.array(images.LUMA_WEIGHTS)
    as_png = tmp_path / "five.png"
    Image.fromarray(picture).save(as_png)
    as_jpeg = tmp_path / "five.jpg"
    Image.fromarray(picture).save(as_jpeg, quality=95)
    same = {
        "float 0..1": picture / 255.0,
        "gray": gray,
        "gray with channel axis": gray[..., None],
        "opaque RGBA": np.dstack([picture, np.full(picture.shape[:2], 255, dtype=np.uint8)]),
        "Pillow image": Image.fromarray(picture),
        "path as str": str(as_png),
        "path as Path": as_png,
        "list": picture.tolist(),
    }
    for name, value in same.items():
        assert np.abs(to_mnist(value).astype(int) - expected).max() <= 2, name
    assert np.abs(to_mnist(as_jpeg).astype(int) - expected).mean() < 3, "JPEG is lossy, but close"


def test_transparent_background_is_laid_on_white(tmp_path):
    opaque = draw_digit("3", size=50, paper="white")
    transparent = draw_digit("3", size=50, transparent=True)
    assert transparent.shape[-1] == 4 and transparent[0, 0, 3] == 0
    assert np.abs(to_mnist(transparent).astype(int) - to_mnist(opaque)).max() <= 2
    path = tmp_path / "three.png"
    Image.fromarray(transparent).save(path)
    assert np.abs(to_mnist(path).astype(int) - to_mnist(opaque)).max() <= 2
    gray_alpha = np.dstack([transparent[..., :3].mean(axis=-1), transparent[..., 3]]).astype(np.uint8)
    assert np.abs(to_mnist(gray_alpha).astype(int) - to_mnist(opaque)).max() <= 3


def test_white_ink_on_transparency_says_to_pass_the_alpha_channel():
    white_ink = draw_digit("3", size=50, ink="white", transparent=True)
    with pytest.raises(ImageError, match=r"alpha channel alone: to_mnist\(picture\[\.\.\., 3\]\)"):
        to_mnist(white_ink)
    looks_like_mnist(to_mnist(white_ink[..., 3]))


# --------------------------------------------------------------------------- bad input


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


@pytest.mark.parametrize("blank", [np.full((50, 40), 255, dtype=np.uint8), np.zeros((30, 30)),
                                   np.full((20, 20, 3), 0.6), np.full((20, 20, 4), 255, dtype=np.uint8)])
def test_blank_pictures_are_refused(blank):
    with pytest.raises(ImageError, match="blank.*no digit") as caught:
        to_mnist(blank)
    assert "\n" in str(caught.value), "the message goes on to say what to do"


def test_faint_marks_are_refused_as_blank():
    faint = np.full((50, 50), 250, dtype=np.uint8)
    faint[20:30, 20:30] = 240
    with pytest.raises(ImageError, match="blank"):
        to_mnist(faint)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((0, 10)), "empty"),
    (np.zeros(784), "shape \\(784,\\)"),
    (np.zeros((2, 28, 28)), "one picture at a time"),
    (np.zeros((10, 10, 5)), "\\(height, width, 3\\)"),
    (np.array([["a", "b"], ["c", "d"]]), "not pixel numbers"),
    (np.full((10, 10), np.nan), "NaN"),
    (np.full((10, 10), 300), "outside 0..255"),
    (np.full((10, 10), -1.0), "outside 0..255"),
    ([[1, 2], [3]], "could not be read as an array"),
])
def test_bad_arrays_are_explained(bad, message):
    with pytest.raises(ImageError, match=message):
        to_mnist(bad)


def test_bad_paths_are_explained(tmp_path):
    with pytest.raises(ImageError, match="does not exist"):
        to_mnist(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="is a folder"):
        to_mnist(tmp_path)
    text = tmp_path / "notes.png"
    text.write_text("this is not a picture")
    with pytest.raises(ImageError, match="not an image that Pillow can read.*\nFix: give a PNG"):
        to_mnist(text)
    broken = tmp_path / "broken.png"
    Image.fromarray(np.zeros((50, 50), dtype=np.uint8)).save(broken)
    broken.write_bytes(broken.read_bytes()[:60])
    with pytest.raises(ImageError, match="could not be read|not an image"):
        to_mnist(broken)


def test_centre_of_mass():
    image = np.zeros((5, 5))
    image[1, 1] = image[1, 3] = 1.0
    assert centre_of_mass(image) == (1.0, 2.0)
    with pytest.raises(ImageError):
        centre_of_mass(np.zeros((5, 5)))
