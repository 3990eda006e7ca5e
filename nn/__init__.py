"""Neural networks on top of the ``autograd`` engine: modules, losses, optimizers, data, files.

>>> import random
>>> from nn import MLP, hinge
>>> random.seed(1337)
>>> model = MLP(2, [16, 16, 1])        # micrograd's network, micrograd's weights
>>> len(model.parameters())
337
"""

from typing import TYPE_CHECKING

from autograd import __version__ as __version__  # one version, autograd's (same object)
from nn.csv import load_csv
from nn.datasets import make_blobs, make_circles, make_moons, make_spirals, make_xor, split
from nn.lab import Lab, LabRecorder
from nn.losses import bce_with_logits, cross_entropy, hinge, l2, mse
from nn.metrics import accuracy, predict
from nn.module import MLP, Layer, Module, Neuron
from nn.optim import GD, SGD, Adam, AdamW, Optimizer
from nn.run import write_run
from nn.serialize import StateError, load, load_model, save
from nn.train import EarlyStopping, History, Trainer, TrainingDiverged, fit

if TYPE_CHECKING:
    from nn.lab.live import LiveLab

__all__ = [
    "GD",
    "MLP",
    "SGD",
    "Adam",
    "AdamW",
    "EarlyStopping",
    "History",
    "Lab",
    "LabRecorder",
    "Layer",
    "LiveLab",
    "Module",
    "Neuron",
    "Optimizer",
    "StateError",
    "Trainer",
    "TrainingDiverged",
    "accuracy",
    "bce_with_logits",
    "cross_entropy",
    "fit",
    "hinge",
    "l2",
    "load",
    "load_csv",
    "load_model",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spirals",
    "make_xor",
    "mse",
    "predict",
    "save",
    "split",
    "write_run",
]


def __getattr__(name: str) -> object:
    """``nn.LiveLab``, imported on first use: it needs anywidget (``pip install
    'valuegrad[lab]'``), which ``import nn`` does not."""
    if name == "LiveLab":
        from nn.lab.live import LiveLab

        return LiveLab
    raise AttributeError(f"module 'nn' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, ``LiveLab`` among them before its first use."""
    return sorted({*globals(), *__all__})
