"""Fixtures for the pretrained-model tests: each model once per session, or a skip that says
how to install it."""

import pytest

from tests.pretrained.helpers import model_or_skip


@pytest.fixture(scope="session")
def minilm():
    return model_or_skip("minilm")


@pytest.fixture(scope="session")
def smollm2():
    return model_or_skip("smollm2")
