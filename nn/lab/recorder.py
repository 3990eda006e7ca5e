"""Recording a training run for the lab: every parameter's value before every step."""

from __future__ import annotations

from nn.module import MLP
from nn.train import History


class LabRecorder:
    """A training callback that records every parameter's value before every step.

    Create it *before* training (it records the starting values then), one per run, and pass
    it in ``callbacks=`` to :func:`nn.fit` or :class:`nn.Trainer`, first (a callback that stops
    training skips those after it); after training,
    ``snapshots[k]`` holds the parameters with which step ``k`` computed its loss (and
    ``snapshots[-1]`` the trained ones). Memory: ``(steps + 1) * parameters`` floats.
    """

    def __init__(self, model: MLP) -> None:
        self.params = model.parameters()
        self.snapshots: list[list[float]] = [[p.data for p in self.params]]

    def __call__(self, history: History) -> bool:
        self.snapshots.append([p.data for p in self.params])
        return False


def check_recorder(model: MLP, history: History, recorder: LabRecorder) -> None:
    """ValueError unless ``recorder`` recorded this model through exactly this run."""
    if not isinstance(recorder, LabRecorder):
        raise TypeError(f"Lab: recorder must be a LabRecorder, got {type(recorder).__name__}")
    params = model.parameters()
    if len(recorder.params) != len(params) or any(
        a is not b for a, b in zip(recorder.params, params)
    ):
        raise ValueError(
            "Lab: the recorder recorded another model's parameters, not this model's; "
            "create LabRecorder(model) for the model that is trained and shown"
        )
    expected = len(history) + 1  # the starting values, then one snapshot per step
    if len(recorder.snapshots) != expected:
        raise ValueError(
            f"Lab: the recorder holds {len(recorder.snapshots)} snapshots but this history of "
            f"{len(history)} steps needs {expected} (the starting values and one per step): "
            "the recorder is not this run's. Create a new LabRecorder right before each "
            "training run and pass it in callbacks= (first, before a callback that may stop "
            "training)"
        )
