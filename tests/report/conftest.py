import pytest


@pytest.fixture(autouse=True)
def close_figures():
    """The figure functions return open figures; close them after each test."""
    yield
    from mlplab.report import pyplot
    pyplot().close("all")
