import pytest

from mnist_course import mode


@pytest.mark.parametrize("value, fast", [("1", True), ("yes", True), ("0", False), ("", False),
                                         ("off", False), ("FALSE", False)])
def test_fast_mode_reads_the_variable(monkeypatch, value, fast):
    monkeypatch.setenv(mode.FAST_MODE_VARIABLE, value)
    assert mode.is_fast_mode() is fast


def test_epochs_are_capped_only_in_fast_mode(monkeypatch):
    monkeypatch.setenv(mode.FAST_MODE_VARIABLE, "1")
    assert mode.epochs(20) == mode.FAST_EPOCHS
    assert mode.epochs(1) == 1
    monkeypatch.setenv(mode.FAST_MODE_VARIABLE, "0")
    assert mode.epochs(20) == 20
    assert "off" in mode.describe()


@pytest.mark.parametrize("bad", [0, -3, 2.5, "5", True])
def test_epochs_rejects_nonsense(bad):
    with pytest.raises(ValueError, match="positive whole number"):
        mode.epochs(bad)
