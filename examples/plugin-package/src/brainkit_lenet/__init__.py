"""brainkit-lenet: LeNet-5 as a brainkit architecture plugin (entry point ``lenet5``)."""

from brainkit_lenet.lenet import lenet5

__all__ = ["lenet5"]
__version__ = "0.1.0"
