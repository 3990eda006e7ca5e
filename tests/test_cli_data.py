"""The command line on your own data: ``python -m nn --data`` end to end (pictures, history,
the lab page in a real Chromium), its usage errors and hints, and the guide's runs
(docs/guide/your-data.md); the reading itself is tests/test_csv.py's.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import nn
from autograd.viz.page import read_payload
from nn import MLP, LabRecorder, fit
from nn.cli import build_parser, main
from nn.lab import Lab
from tests.browser import watch
from tests.test_csv import GUIDE, ROOT, fenced_block_after, needs_a_renderer, write_rows

# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def make_csv(
    path: Path, d: int, n: int = 40, k: int = 2, header: bool = True, seed: int = 0
) -> Path:
    """Points in [-1, 1]^d, labelled by the sign of their sum (k=2) or its range (k=3)."""
    r = random.Random(seed)
    rows: list[list[object]] = [[f"f{j}" for j in range(d)] + ["label"]] if header else []
    for i in range(n):
        x = [r.uniform(-1, 1) for _ in range(d)]
        rows.append([*x, i % k])  # every class present
    return write_rows(path, rows)


def page_data(path: Path) -> dict:
    """The data a lab page carries, decoded as its script does."""
    return read_payload(path.read_text())


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def cli_3d(tmp_path_factory) -> dict:
    """``python -m nn --data`` on 3 features, in a real subprocess, as a user runs it."""
    folder = tmp_path_factory.mktemp("cli3d")
    data = make_csv(folder / "three.csv", d=3)
    out = folder / "out"
    flags = f"--steps 5 --hidden 4 --no-progress --save {folder / 'model.json'}".split()
    result = subprocess.run(
        [sys.executable, "-m", "nn", "--data", str(data), "--out", str(out), *flags],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    return {"result": result, "out": out, "data": data, "model": folder / "model.json"}


@needs_a_renderer
def test_cli_on_3_features_writes_the_pictures_and_a_note_instead_of_the_boundary(cli_3d) -> None:
    result, out = cli_3d["result"], cli_3d["out"]
    assert result.returncode == 0, result.stderr
    note = "no decision boundary: it needs 2-D inputs, these have 3 features"
    assert f"decision_boundary.png not written: {note}" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "graph.svg",
        "history.json",
        "lab.html",
        "loss.png",
    ]
    assert (out / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (out / "graph.svg").read_text() and "x2" in (out / "graph.svg").read_text()
    saved = json.loads(cli_3d["model"].read_text())
    assert saved["architecture"]["nin"] == 3 and saved["architecture"]["nouts"] == [4, 1]
    history = json.loads((out / "history.json").read_text())
    assert len(history["records"]) == 5
    assert history["data"] == {
        "csv": str(cli_3d["data"]),
        "sha256": hashlib.sha256(cli_3d["data"].read_bytes()).hexdigest(),
        "delimiter": ",",
        "header": True,
        "header_detected": True,
        "columns": ["f0", "f1", "f2", "label"],
        "target": {"index": 3, "name": "label"},
        "rows": 40,
        "features": 3,
        "classes": 2,
        "val_fraction": 0.0,
        "seed": 1337,
    }
    lab = page_data(out / "lab.html")
    assert lab["grid"] is None and lab["boundary_note"].startswith(note)


@needs_a_renderer
def test_cli_on_2_features_draws_the_boundary(tmp_path: Path, capsys) -> None:
    data = make_csv(tmp_path / "two.csv", d=2, header=False)
    flags = f"--data {data} --steps 5 --hidden 4 --out {tmp_path / 'o'} --no-progress".split()
    code, out, _ = run(capsys, *flags)
    assert code == 0 and "not written" not in out
    assert (tmp_path / "o" / "decision_boundary.png").read_bytes()[:4] == b"\x89PNG"
    lab = page_data(tmp_path / "o" / "lab.html")
    assert lab["boundary_note"] is None and lab["grid"]["n"] == 32 and len(lab["X"]) == 40
    history = json.loads((tmp_path / "o" / "history.json").read_text())
    assert history["data"]["features"] == 2 and history["data"]["rows"] == 40


@needs_a_renderer
def test_cli_three_classes_choose_cross_entropy_and_three_outputs(tmp_path: Path, capsys) -> None:
    data = make_csv(tmp_path / "three_classes.csv", d=4, k=3)
    model = tmp_path / "m.json"
    code, out, err = run(
        capsys,
        "--data",
        str(data),
        "--steps",
        "3",
        "--hidden",
        "3",
        "--out",
        str(tmp_path / "o"),
        "--no-progress",
        "--no-lab",
        "--save",
        str(model),
    )
    assert code == 0, err
    architecture = json.loads(model.read_text())["architecture"]
    assert architecture["nin"] == 4 and architecture["nouts"] == [3, 3]
    assert "cross_entropy loss" in out


def test_the_datasets_history_records_its_source_too(tmp_path: Path, capsys) -> None:
    code, _, _ = run(
        capsys,
        "--steps",
        "2",
        "--samples",
        "20",
        "--out",
        str(tmp_path),
        "--no-progress",
        "--no-lab",
        "--graph-backend",
        "auto",
    )
    assert code == 0
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["data"] == {
        "dataset": "moons",
        "samples": 20,
        "noise": 0.1,
        "classes": 2,
        "val_fraction": 0.0,
        "seed": 1337,
    }


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--dataset", "moons", "--data", "{csv}"],
            "argument --data: not allowed with argument --dataset",
        ),
        (["--data", "{csv}", "--samples", "50"], "--samples applies to --dataset; --data"),
        (["--data", "{csv}", "--noise", "0.2"], "--noise applies to --dataset"),
        (["--target", "label"], "--target applies to --data FILE.csv"),
        (["--max-bytes", "10"], "--max-bytes applies to --data FILE.csv"),
        (["--no-header"], "--header applies to --data FILE.csv"),
        (["--data", "{csv}", "--delimiter", ";;"], "--delimiter must be one character"),
        (["--data", "{csv}", "--loss", "hinge"], "--loss hinge needs 2 classes, but"),
        (["--data", "{csv}", "--loss", "hinge"], "has 3 (labels 0 to 2); use --loss cross_entropy"),
    ],
)
def test_cli_usage_errors_with_data(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    data = make_csv(tmp_path / "d.csv", d=3, k=3)
    with pytest.raises(SystemExit) as info:
        main(["--out", str(tmp_path / "o"), *[a.format(csv=data) for a in args]])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_errors_from_the_data_exit_1_with_one_line(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,label\n1,2,0\n3,abc,1\n")
    code, _, err = run(capsys, "--data", str(bad), "--out", str(tmp_path / "o"))
    assert (
        code == 1 and err == f"error: load_csv: {bad}, line 3, column 'y': 'abc' is not a number\n"
    )
    three = make_csv(tmp_path / "three.csv", d=2, k=3)
    code, _, err = run(capsys, "--data", str(three), "--classes", "2", "--out", str(tmp_path / "o"))
    assert code == 1 and "line 4, column 'label': the label '2' is not below --classes 2" in err
    code, _, err = run(
        capsys, "--data", str(three), "--target", "nope", "--out", str(tmp_path / "o")
    )
    assert code == 1 and "the columns are ['f0', 'f1', 'label']" in err
    size = three.stat().st_size
    code, _, err = run(
        capsys, "--data", str(three), "--max-bytes", "100", "--out", str(tmp_path / "o")
    )
    assert (
        code == 1
        and f"is {size:,} bytes, more than --max-bytes 100" in err
        and "max_bytes" not in err
    )
    assert not (tmp_path / "o").exists()  # nothing trained, nothing written


def test_cli_a_saved_model_must_fit_the_data(tmp_path: Path, capsys) -> None:
    model = tmp_path / "m.json"
    nn.save(MLP(2, [3, 1], rng=random.Random(0)), model)
    data = make_csv(tmp_path / "d.csv", d=3)
    code, _, err = run(
        capsys,
        "--data",
        str(data),
        "--load",
        str(model),
        "--evaluate",
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 1 and f"has 2 inputs; {data} has 3 feature columns" in err
    three = make_csv(tmp_path / "k3.csv", d=2, k=3)
    code, _, err = run(
        capsys,
        "--data",
        str(three),
        "--load",
        str(model),
        "--evaluate",
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 1 and f"has 2 classes, but {three} has labels up to 2" in err
    two = make_csv(tmp_path / "two.csv", d=2)
    code, out, err = run(
        capsys,
        "--data",
        str(two),
        "--load",
        str(model),
        "--evaluate",
        "--out",
        str(tmp_path / "o"),
        "--graph-backend",
        "auto",
    )
    assert code == 0 and "final: train accuracy" in out, err


# --------------------------------------------------------------------------------------------
# The lab page of data that is not 2-D
# --------------------------------------------------------------------------------------------


def test_the_lab_of_3_features_ships_a_note_and_no_boundary() -> None:
    r = random.Random(1)
    X = [[r.uniform(-1, 1) for _ in range(3)] for _ in range(12)]
    y = [i % 2 for i in range(12)]
    model = MLP(3, [3, 1], rng=random.Random(0))
    rec = LabRecorder(model)
    history = fit(model, X, y, steps=3, progress=False, callbacks=[rec])
    data = Lab(model, X, y, history, rec, loss="hinge", max_frames=2, max_points=3).data()
    assert data["grid"] is None and all(f["grid"] == "" for f in data["frames"])
    assert data["boundary_note"] == (
        "no decision boundary: it needs 2-D inputs, these have 3 features (the loss curves, "
        "the graph and backward still show the run)"
    )
    assert data["Xtext"][0] == ", ".join(f"x{i} = {v!r}" for i, v in enumerate(X[0]))
    with pytest.raises(ValueError, match=r"Lab: X\[0\] has 2 numbers, but the model takes 3"):
        Lab(model, [x[:2] for x in X], y, history, rec, loss="hinge")


@needs_a_renderer
def test_the_3d_lab_page_loads_shows_the_note_and_steps_backward(browser, cli_3d, tmp_path) -> None:
    assert cli_3d["result"].returncode == 0, cli_3d["result"].stderr
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    problems = watch(page)
    page.goto((cli_3d["out"] / "lab.html").as_uri())
    page.wait_for_selector(".vg-lab[data-ready]", timeout=10_000)
    try:
        note = page.locator(".vg-boundary-note")
        assert note.is_visible()
        assert note.inner_text().startswith(
            "no decision boundary: it needs 2-D inputs, these have 3 features"
        )
        assert page.locator("canvas").count() == 0 and page.locator(".vg-boundary").count() == 0
        assert page.locator("svg.vg-loss polyline").count() == 1  # the loss curve
        buttons = page.locator(".vg-pick")
        assert buttons.count() == 16  # the lab's default max_points of the 40 rows
        second = buttons.nth(1)
        second.click()
        assert "vg-picked" in (second.get_attribute("class") or "")
        index = int(second.inner_text().split()[1])
        title = page.locator("[data-readout=point]").inner_text()
        assert title.startswith(f"Point {index} (x0 = ") and title.count(",") >= 2  # 3 numbers
        assert {"x0", "x1", "x2"} <= {
            n.get_attribute("data-name") for n in page.locator(".vg-node").all()
        }
        page.locator("[data-action=backward-step]").click()
        assert page.locator(".vg-node.vg-current").get_attribute("data-name") == "loss"
        page.locator("[data-action=train-step]").click()  # no boundary to redraw
        assert "training step 1" in page.locator("[data-readout=step]").inner_text()
        assert problems == []
    except BaseException:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        print(f"screenshot of the failing page: {tmp_path / 'failure.png'}")
        raise
    finally:
        page.close()


# --------------------------------------------------------------------------------------------
# The guide (docs/guide/your-data.md) shows what really happens
# --------------------------------------------------------------------------------------------


def test_the_guides_examples_are_what_they_say(tmp_path: Path, capsys, monkeypatch) -> None:
    import doctest

    monkeypatch.chdir(ROOT)  # the guide's paths are relative to the repository
    failed, attempted = doctest.testfile(str(GUIDE), module_relative=False, verbose=False)
    assert attempted >= 4 and failed == 0
    # the command as the guide gives it (the lab skipped: it prints no line quoted there)
    command = fenced_block_after(GUIDE.read_text(), "## On the command line")[0].split()
    assert command[:3] == ["python", "-m", "nn"]
    args = [a if a != "out/points" else str(tmp_path) for a in command[3:]]
    code, out, _ = run(capsys, *args, "--no-lab", "--no-progress")
    assert code == 0
    quoted = fenced_block_after(GUIDE.read_text(), "prints (among its other lines")
    assert len(quoted) == 5
    for line in quoted:
        assert line in out.splitlines(), line


def test_cli_target_by_index_for_a_file_without_header(tmp_path: Path, capsys) -> None:
    path = tmp_path / "d.csv"
    rows = [[i % 2, float(i), float(-i)] for i in range(10)]  # the label first
    write_rows(path, rows)
    model = tmp_path / "m.json"
    code, _, err = run(
        capsys,
        *f"--data {path} --target 0 --steps 2 --hidden 2 --out {tmp_path / 'o'}".split(),
        *f"--no-progress --no-lab --save {model}".split(),
    )
    assert code == 0, err
    assert json.loads(model.read_text())["architecture"]["nin"] == 2
    history = json.loads((tmp_path / "o" / "history.json").read_text())
    source = history["data"]
    assert source["target"] == {"index": 0, "name": None} and source["rows"] == 10
    assert source["columns"] is None and source["header"] is False and source["header_detected"]
    # '²'.isdigit() is True: still a name, not an index; so is a number of 5,000 digits, which
    # int() would refuse with its own advice on sys.set_int_max_str_digits
    for name in ["x", "\u00b2", "\u0661", "9" * 5000]:
        code, _, err = run(
            capsys, "--data", str(path), "--target", name, "--out", str(tmp_path / "o")
        )
        assert code == 1 and "names a column, but the file has no header" in err, err


def test_cli_reads_a_pipe_once(tmp_path: Path, capsys) -> None:
    """A pipe (``--data <(...)`` in bash) is read once, its SHA-256 taken while reading."""
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    text = "".join(f"{i},{-i},{i % 2}\n" for i in range(12)).encode()
    writer = threading.Thread(target=lambda: fifo.write_bytes(text), daemon=True)
    writer.start()
    flags = f"--steps 2 --hidden 2 --out {tmp_path / 'o'} --no-progress --no-lab".split()
    code, _, err = run(capsys, "--data", str(fifo), *flags)
    writer.join(timeout=10)
    assert code == 0, err
    source = json.loads((tmp_path / "o" / "history.json").read_text())["data"]
    assert source["sha256"] == hashlib.sha256(text).hexdigest() and source["rows"] == 12


def nn_cli(*args: object) -> subprocess.CompletedProcess[str]:
    """``python -m nn`` in a real subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "nn", *map(str, args), "--no-progress", "--no-lab"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_cli_the_reviewers_files_fail_at_once_with_one_line(tmp_path: Path) -> None:
    """A huge label (it hung, eating memory) and a bad first cell (its row became a header,
    lost): both exit 1 with the message; --header/--no-header decide the first row."""
    dos = tmp_path / "dos.csv"
    dos.write_text("x,label\n1,0\n2,1\n3,1000000000000\n")
    result = nn_cli("--data", dos, "--out", tmp_path / "o")
    assert result.returncode == 1
    assert result.stderr == (
        f"error: load_csv: {dos}: the labels go up to 1000000000000 (line 4), but no row has the "
        "label 2, 3, 4, 5, 6 and 999,999,999,993 more; labels must be 0 .. K-1 with every class "
        "present (renumber them, or pass --classes to allow absent ones)\n"
    )
    na = tmp_path / "na.csv"
    na.write_text("1.5,NA,0\n2,3,1\n4,5,0\n6,7,1\n")
    result = nn_cli("--data", na, "--steps", 2, "--out", tmp_path / "o")
    assert result.returncode == 1 and result.stderr.startswith(
        f"error: load_csv: {na}, line 1, column 2: 'NA' is not a number, but other cells"
    )
    assert "--header or --no-header" in result.stderr
    result = nn_cli("--data", na, "--no-header", "--out", tmp_path / "o")
    assert result.returncode == 1 and "line 1, column 2: 'NA' is not a number\n" in result.stderr
    result = nn_cli("--data", na, "--header", "--steps", 2, "--out", tmp_path / "o")
    assert result.returncode == 0, result.stderr
    source = json.loads((tmp_path / "o" / "history.json").read_text())["data"]
    assert source["rows"] == 3 and source["header"] is True and not source["header_detected"]
    assert source["columns"] == ["1.5", "NA", "0"]
    assert source["target"] == {"index": 2, "name": "0"}


def test_cli_delimiter_a_tab_written_as_backslash_t(tmp_path: Path) -> None:
    data = write_rows(
        tmp_path / "t.tsv", [["a", "b", "label"], [1, 2, 0], [3, 4, 1]], delimiter="\t"
    )
    result = nn_cli("--data", data, "--delimiter", "\\t", "--steps", 1, "--out", tmp_path / "o")
    assert result.returncode == 0, result.stderr
    source = json.loads((tmp_path / "o" / "history.json").read_text())["data"]
    assert source["delimiter"] == "\t" and source["columns"] == ["a", "b", "label"]
    result = nn_cli("--data", data, "--delimiter", "tab", "--out", tmp_path / "o")
    assert result.returncode == 2
    assert "--delimiter must be one character, got 'tab' (a tab: \\t, or $'\\t' in bash)" in (
        result.stderr
    )
    result = nn_cli("--data", data, "--delimiter", ".", "--out", tmp_path / "o")
    assert result.returncode == 1 and "delimiter must be one character other than a digit" in (
        result.stderr
    )


def test_cli_help_names_the_csv_data_and_the_header_option() -> None:
    text = " ".join(build_parser("nn").format_help().split())  # unwrapped
    assert "or on your own CSV file with --data" in text and "--header, --no-header" in text


def test_a_lab_too_large_for_its_data_points_says_so() -> None:
    """The page lists every data point: with many, they make it too large, not the model,
    and there is no grid to blame without a boundary."""
    r = random.Random(2)
    X = [[r.uniform(-1, 1) for _ in range(10)] for _ in range(5000)]
    y = [i % 2 for i in range(5000)]
    model = MLP(10, [2, 1], rng=random.Random(0))
    rec = LabRecorder(model)
    history = fit(model, X[:20], y[:20], steps=2, progress=False, callbacks=[rec])
    with pytest.raises(ValueError) as info:
        Lab(model, X, y, history, rec, loss="hinge", max_bytes=500_000).data()
    message = str(info.value)
    assert "more than max_bytes=500,000; most of it is the 5,000 data points of 10 numbers" in (
        message
    )
    assert "train on a sample of the data, or raise max_bytes" in message
    assert "grid" not in message and "model" not in message
    X2 = [x[:2] for x in X[:20]]  # 2-D: a boundary, whose grid can be the cause
    model2 = MLP(2, [2, 1], rng=random.Random(0))
    rec2 = LabRecorder(model2)
    history2 = fit(model2, X2, y[:20], steps=2, progress=False, callbacks=[rec2])
    with pytest.raises(ValueError, match=r"most of it is the decision boundary's grid \(grid=900"):
        Lab(model2, X2, y[:20], history2, rec2, loss="hinge", grid=900, max_bytes=500_000).data()


def test_cli_defaults_lr_saves_into_the_new_out_folder_and_says_what_evaluate_drew(
    tmp_path: Path, capsys
) -> None:
    """With --data the default learning rate is DATA_LR (a CSV's scale is unknown), with a
    toy set micrograd's DEMO_LR; --save may name a file in the --out folder the run creates;
    --evaluate draws the loaded model's hardest sample and says so (nothing was trained)."""
    from nn.run import DATA_LR, DEMO_LR

    data = make_csv(tmp_path / "d.csv", d=3)
    out = tmp_path / "new" / "out"  # neither folder exists yet
    flags = ["--steps", "2", "--no-progress", "--no-lab", "--graph-backend", "auto"]
    code, _, err = run(
        capsys, "--data", str(data), "--out", str(out), "--save", str(out / "m.json"), *flags
    )
    assert code == 0, err
    assert (out / "m.json").exists()
    records = json.loads((out / "history.json").read_text())["records"]
    assert records[0]["lr"] == DATA_LR
    code, _, err = run(capsys, "--out", str(tmp_path / "demo"), *flags)
    assert code == 0, err
    records = json.loads((tmp_path / "demo" / "history.json").read_text())["records"]
    assert records[0]["lr"] == DEMO_LR != DATA_LR
    code, out_text, err = run(
        capsys,
        "--data",
        str(data),
        "--load",
        str(out / "m.json"),
        "--evaluate",
        "--out",
        str(tmp_path / "e"),
    )
    assert code == 0, err
    assert "the largest loss of the loaded model" in out_text and "after training" not in out_text
    with pytest.raises(SystemExit) as exit_:
        main(["--data", str(data), "--save", str(tmp_path / "nowhere" / "m.json")])
    assert exit_.value.code == 2 and "does not exist" in capsys.readouterr().err


def test_the_guides_learning_rate_runs(tmp_path: Path, capsys, monkeypatch) -> None:
    """The guide's learning-rate paragraph: --lr 1.0 blows up on blobs.csv, the --data
    default (0.1) trains it, and --lr 1.0 reaches 100% on points.csv; each quoted line is the
    run's own. blobs.csv is the data set the guide says it is."""
    monkeypatch.chdir(ROOT)
    text = GUIDE.read_text()
    part = text[text.index("**The learning rate.**") :]
    command = fenced_block_after(part, "**The learning rate.**")[0].split()
    X, y = nn.make_blobs(60, centers=3, n_features=4, seed=3)
    assert nn.load_csv("docs/guide/blobs.csv") == ([[round(v, 4) for v in x] for x in X], y)
    args = [a if a != "out/blobs" else str(tmp_path) for a in command[3:]]
    _, high, _ = run(capsys, *args, "--no-lab", "--no-progress")
    for line in fenced_block_after(part, "ends with the loss blown up"):
        assert line in high.splitlines(), line
    without = [a for i, a in enumerate(args) if a != "--lr" and (i == 0 or args[i - 1] != "--lr")]
    _, default, _ = run(capsys, *without, "--no-lab", "--no-progress")
    for line in fenced_block_after(part, "while the default, 0.1, ends with"):
        assert line in default.splitlines(), line
    points = ["--data", "docs/guide/points.csv", "--val-fraction", "0.25", "--lr", "1.0"]
    _, out, _ = run(capsys, *points, "--out", str(tmp_path), "--no-lab", "--no-progress")
    assert "final: train accuracy 100.0%" in out


def test_cli_hints_name_the_options_not_the_keywords(tmp_path: Path, capsys) -> None:
    """load_csv's hints say delimiter=, classes=, header=True/False, max_bytes=; the command
    line says --delimiter, --classes, --header/--no-header, --max-bytes."""
    cases = {
        "semi.csv": ("x;y;label\n1;2;0\n3;4;1\n", "pass --delimiter ';'", ["--delimiter", ","]),
        "gap.csv": ("x,label\n1,0\n2,2\n", "pass --classes to allow absent ones", []),
        "na.csv": ("1.5,NA,0\n2,3,1\n", "Pass --header or --no-header", []),
    }
    for name, (text, hint, flags) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        code, _, err = run(capsys, "--data", str(path), *flags, "--out", str(tmp_path / "o"))
        assert code == 1 and hint in err, err
        assert "delimiter=" not in err and "classes=" not in err and "header=" not in err
    big = tmp_path / "big.csv"
    big.write_text("x,label\n" + "1,0\n2,1\n" * 50)
    code, _, err = run(capsys, "--data", str(big), "--max-bytes", "100", "--out", str(tmp_path))
    assert code == 1 and "more than --max-bytes 100" in err and "max_bytes" not in err, err
