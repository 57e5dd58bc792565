"""Tests a plugin author writes, with brainkit's testing helpers."""

from brainkit_lenet import lenet5

from brainkit.architectures import API_VERSION, OLDEST_API_VERSION
from brainkit.testing import assert_valid_architecture


def test_declares_a_plugin_api_version_brainkit_supports():
    # api_version is the oldest plugin API lenet5 needs; newer brainkits keep accepting it.
    assert OLDEST_API_VERSION <= lenet5.api_version <= API_VERSION


def test_the_object_builds_and_trains():
    # train_step=True: one epoch of brainkit.train with the recipe, on a slice of the sample.
    report = assert_valid_architecture(
        lenet5, input_shape=(28, 28), num_classes=10, train_step=True
    )
    assert report.parameters == 61_706
    assert not report.warnings


def test_other_shapes():
    assert_valid_architecture(lenet5, input_shape=(32, 32, 3), num_classes=5)


def test_installed_entry_point(architecture_check):
    # Needs the package installed (pip install -e .): this is how users get it.
    report = architecture_check("lenet5")
    assert report.source.startswith("brainkit-lenet")
