"""Your own data from a CSV file: :func:`load_csv` (``X, y``) and :func:`read_csv` (with what
reproduces the reading), on the standard library's ``csv`` reader.

The rules are stricter than a spreadsheet's: every feature cell a plain number, every label a
class index; each refusal names the file, the line, the column and the value. Two things are
detected when not given: the delimiter, among ``, ; tab |`` (the one that splits every line of
the file's start alike, the standard library's ``csv`` reader doing the splitting), and the
header, by this module's own rule (a first row of text only). ``csv.Sniffer`` does not serve
either: its delimiter guess runs a regular expression whose time grows with the square of a
line full of stray quotes (minutes on a 100 kB line) and prefers ``,`` in ``1,5;2,25;0``,
and ``Sniffer.has_header`` guesses from column types, taking ``1.5,NA,0`` for data.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from nn._validate import first, positive_int, shorten
from nn.datasets import Labels, Points

#: The largest CSV file :func:`load_csv` reads unless told otherwise: 10 MB. The engine trains
#: on one scalar at a time, so thousands of rows are its scale; 10 MB is ~470,000 rows of three
#: short numbers and a label, and 6 to 10 times its size in memory once read, as lists of
#: floats (tests/test_csv.py::test_memory_once_read_is_6_to_10_times_the_file measures it).
DEFAULT_MAX_BYTES = 10_000_000
#: The delimiters detected when none is given, in order of preference; the separators a
#: one-column line or a bad cell is checked for when the file uses another delimiter.
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
#: The lines the delimiter is detected from (blank lines aside).
SNIFFED_LINES = 20
#: Characters that are part of numbers (or quote or end lines): never a delimiter.
_NOT_DELIMITERS = '0123456789.-+eE"\r\n'
#: A number as a cell writes it: ASCII digits, an optional sign, point and exponent.
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
#: NaN and infinity, as ``float`` spells them: numbers, but refused as features.
_NOT_FINITE = re.compile(r"[+-]?(nan|inf|infinity)", re.ASCII | re.IGNORECASE)
#: A label as a cell writes it: a whole number, plainly (``2``, ``2.0``); with a sign.
_LABEL = re.compile(r"([+-]?)(\d+)(\.0*)?", re.ASCII)
#: How many absent classes a message lists.
_SHOWN = 5
#: The most digits a label may have (leading zeros aside): far more than any number of
#: classes, and checked before ``int()``, whose own limit (4,300 digits) says nothing of CSVs.
MAX_LABEL_DIGITS = 100


@dataclass(frozen=True)
class CsvData:
    """A CSV file as :func:`read_csv` read it: the data and what reproduces the reading.

    ``X`` and ``y`` are :func:`load_csv`'s; ``names`` the header's cells (None without a
    header; :attr:`feature_names` those of ``X``'s columns); ``header_detected`` whether
    the header (or its absence) was detected, not given; ``target`` the label column's
    0-based index and ``sha256`` the hex SHA-256 of exactly the bytes parsed.
    """

    X: Points
    y: Labels
    names: list[str] | None
    header_detected: bool
    target: int
    delimiter: str
    sha256: str

    @property
    def feature_names(self) -> list[str] | None:
        """The header's names of the feature columns, in ``X``'s order (the label column's
        left out); None without a header. A feature whose header cell is empty is named
        ``x`` and its 0-based index in ``X``, as an unnamed input is elsewhere (``x0``)."""
        if self.names is None:
            return None
        features = [name for j, name in enumerate(self.names) if j != self.target]
        return [name or f"x{i}" for i, name in enumerate(features)]


def load_csv(
    path: str | os.PathLike[str],
    target: str | int | None = None,
    *,
    header: bool | None = None,
    delimiter: str | None = None,
    classes: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[Points, Labels]:
    """Read a classification data set from a CSV file: ``(X, y)`` as the generators return.

    Each row is one example: numeric feature columns and one label column, the last unless
    ``target`` names it (a header name, or a 0-based column index, negative from the end).
    ``X`` holds the other columns in file order as floats, ``y`` the labels as ints.

    * **Header**: with ``header=None`` (the default) the first row is a header when none of
      its non-empty cells is a number: ``x,y,label`` is a header, ``1.5,2,0`` is data, and
      a first row mixing numbers and text (``1.5,NA,0``) is a ``ValueError`` naming the
      text: pass ``header=True`` or ``header=False``. A header of numbers only (columns
      named ``1``, ``2``...) reads as data: pass ``header=True``.
    * **Cells**: ASCII numbers, an optional sign, digits with an optional point, an optional
      exponent (``1``, ``-2.5e3``, ``.5``, spaces around), quoted or not. An empty cell,
      text, ``1_000``, NaN or infinity is a ``ValueError``; nothing is evaluated.
    * **Labels** are class indices ``0 .. K-1``, written plainly: ``2`` or ``2.0``. With
      ``classes=None``, K is the largest label + 1 and every class from 0 to K-1 must occur
      (labels {0, 2} are refused: renumber them), and at least 2 must: one class is refused.
      With ``classes=k``, labels must be below k and any may be absent (e.g. a held-out
      part of a k-class set). Negative labels (a -1/+1 file), fractions, exponents and text
      are refused.
    * **A pandas index**: a first column with an empty header cell holding distinct whole
      numbers (0, 1, ..., n-1, as ``DataFrame.to_csv`` writes by default, or a sample of
      them) is refused: write the file with ``index=False``.
    * **Format**: UTF-8 with or without a byte-order mark, ``\\n`` or ``\\r\\n`` line ends
      (not ``\\r`` alone), blank lines skipped anywhere, ``"`` quotes, cells separated by
      ``delimiter`` (one character, not a digit, ``.``, ``-``, ``+``, ``e``, a quote or a
      line end). With ``delimiter=None`` (the default) it is detected from the first
      :data:`SNIFFED_LINES` lines, among ``,``, ``;``, a tab and ``|``: one that splits
      every line into the same number (2 or more) of cells; of several, the one whose cells
      are most often numbers (``1,5;2,25;0`` is ``;`` with decimal commas), then the first
      in that order; ``","`` when none does (a one-column line then says which other
      separator it holds).
    * **Size**: a file of more than ``max_bytes`` bytes on disk is refused before any of it is
      read (the message says its size and how to raise the limit); reading also stops at
      ``max_bytes``, for a file that grows or a pipe whose size is not known.

    Every problem is a ``ValueError`` naming the file, the line (1-based, as an editor numbers
    it), the column (its header name, or its 1-based number without a header) and the value,
    e.g. ``load_csv: data.csv, line 7, column 'x2': 'abc' is not a number``. A missing file is
    the ``OSError`` of ``open``. :func:`read_csv` reads the same and says more (names, hash).
    """
    data = read_csv(
        path, target, header=header, delimiter=delimiter, classes=classes, max_bytes=max_bytes
    )
    return data.X, data.y


def read_csv(
    path: str | os.PathLike[str],
    target: str | int | None = None,
    *,
    header: bool | None = None,
    delimiter: str | None = None,
    classes: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> CsvData:
    """:func:`load_csv`, with what reproduces the reading: a :class:`CsvData`.

    The same rules and errors; the file is read once, its SHA-256 computed from the bytes
    parsed (a pipe, which cannot be read twice, has one too).
    """
    op = "load_csv"
    where = os.fspath(path)
    if delimiter is not None and (
        not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in _NOT_DELIMITERS
    ):
        raise ValueError(
            f"{op}: delimiter must be one character other than a digit, '.', '-', '+', 'e', "
            f"a quote or a line end, got {shorten(delimiter)}"
        )
    if header is not None and not isinstance(header, bool):
        raise ValueError(
            f"{op}: header must be True, False or None (detect), got {shorten(header)}"
        )
    if target is not None and (isinstance(target, bool) or not isinstance(target, (str, int))):
        raise ValueError(f"{op}: target must be a column name or index, got {shorten(target)}")
    positive_int(op, "max_bytes", max_bytes)
    if classes is not None and positive_int(op, "classes", classes) < 2:
        raise ValueError(f"{op}: classes must be at least 2 for a classifier, got {classes}")
    size = os.stat(path).st_size
    if size > max_bytes:
        raise ValueError(
            f"{op}: {where} is {size:,} bytes, more than max_bytes={max_bytes:,}; refused "
            "before reading it. The engine trains on thousands of rows, not millions: use a "
            "sample of the file, or pass a larger max_bytes"
        )
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        lines = _lines(f, where, max_bytes, digest)
        if delimiter is None:
            lines, delimiter = _detect_delimiter(lines)
        return _parse(lines, where, target, header, delimiter, classes, digest)


def _detect_delimiter(lines: Iterator[str]) -> tuple[Iterator[str], str]:
    """The lines (none lost) and the delimiter of the first :data:`SNIFFED_LINES` non-blank
    ones (see :func:`load_csv`); ``","`` if no candidate splits them alike."""
    head: list[str] = []
    for line in lines:
        head.append(line)
        if sum(1 for text in head if text.strip()) == SNIFFED_LINES:
            break
    sample = [text for text in head if text.strip()]
    scores = {}
    for candidate in CANDIDATE_DELIMITERS:
        try:  # linear in the sample's length
            rows = list(csv.reader(sample, delimiter=candidate))
        except csv.Error:  # e.g. a line end inside a line: the reader's own message comes later
            continue
        widths = {len(row) for row in rows}
        if len(widths) == 1 and widths.pop() > 1:
            # a number, or one written with a decimal comma (the message then says so)
            scores[candidate] = sum(
                _is_number(cell) or (candidate != "," and _is_number(cell.replace(",", ".")))
                for row in rows
                for cell in row
            )
    best = max(scores.values(), default=None)
    delimiter = next((d for d in CANDIDATE_DELIMITERS if scores.get(d) == best), ",")
    return itertools.chain(head, lines), delimiter


def _lines(f: BinaryIO, where: str, max_bytes: int, digest: hashlib._Hash) -> Iterator[str]:
    """The file's lines as text, ends kept, stopping with a ValueError past ``max_bytes``;
    ``digest`` is updated with every byte read."""
    total = 0
    line = 0
    while raw := f.readline(max_bytes - total + 1):  # never more than the limit in memory
        total += len(raw)
        line += 1
        if total > max_bytes:
            raise ValueError(
                f"load_csv: {where} holds more than max_bytes={max_bytes:,} bytes (stopped "
                f"reading at line {line}); pass a larger max_bytes"
            )
        digest.update(raw)
        try:
            yield raw.decode("utf-8-sig" if line == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"load_csv: {where}, line {line}: not UTF-8 text ({exc.reason} at byte "
                f"{exc.start} of the line)"
            ) from None


def _parse(
    lines: Iterator[str],
    where: str,
    target: str | int | None,
    header: bool | None,
    delimiter: str,
    classes: int | None,
    digest: hashlib._Hash,
) -> CsvData:
    """Parse the lines (see :func:`load_csv`): header, width and target from the first row."""
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True, strict=True)
    names: list[str] | None = None
    width = label_at = 0
    X: Points = []
    y: Labels = []
    largest = (-1, 0)  # the largest label and its line
    while True:
        line = reader.line_num + 1  # where the next record starts
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "new-line character" in str(exc):
                raise ValueError(
                    f"load_csv: {where}, line {line}: old Mac line ends (CR only): convert to LF"
                ) from None
            raise ValueError(
                f"load_csv: {where}, line {line}: malformed CSV ({exc}; is a quote left open?)"
            ) from None
        if len(cells) <= 1 and not "".join(cells).strip():
            continue  # a blank line
        at = f"load_csv: {where}, line {line}"
        if not width:
            if len(cells) < 2:
                raise ValueError(
                    f"{at}: 1 column ({shorten(cells[0])}); a data set needs at least 2, "
                    f"features then the label{_hint(cells[0], delimiter)}"
                )
            width = len(cells)
            if _detect_header(cells, at, delimiter) if header is None else header:
                names = [cell.strip() for cell in cells]
                label_at = _target_column(target, names, width, where, header)
                continue
            label_at = _target_column(target, None, width, where, header)
        if len(cells) != width:
            first_row = "the header" if names is not None else "the first row"
            raise ValueError(
                f"{at}: {_count(len(cells), 'column')}, but {first_row} has {width}"
                f"{_hint(delimiter.join(cells), delimiter)}"
            )
        row = []
        for j, cell in enumerate(cells):
            try:
                if j == label_at:
                    label = _class_label(cell, classes)
                    largest = max(largest, (label, -line))
                    y.append(label)
                else:
                    row.append(_feature(cell, delimiter))
            except ValueError as exc:  # the place is named only here: no text per good cell
                raise ValueError(f"{at}, {_column(j, names)}: {exc}") from None
        X.append(row)
    if not X:
        if names is None:
            raise ValueError(f"load_csv: {where} is empty: no rows")
        raise ValueError(f"load_csv: {where} has a header ({first(names)}) but no rows of data")
    if names is not None and not names[0] and label_at != 0:
        _refuse_an_index(X, where)
    if classes is None:
        _check_classes(y, largest[0], -largest[1], where)
    return CsvData(X, y, names, header is None, label_at, delimiter, digest.hexdigest())


def _detect_header(cells: list[str], at: str, delimiter: str) -> bool:
    """Whether a first row is a header: some text and no number (a row of empty cells is
    data, refused as such). A mix of numbers and text: the ValueError naming the text."""
    numbers = [_is_number(cell) for cell in cells]
    if not any(numbers):
        return any(cell.strip() for cell in cells)
    for j, cell in enumerate(cells):
        if cell.strip() and not numbers[j]:
            raise ValueError(
                f"{at}, column {j + 1}: {shorten(cell)} is not a number"
                f"{_hint(cell, delimiter)}, but other cells of the first row are: is it a header "
                "or data? Pass header=True or header=False"
            )
    return False


def _is_number(cell: str) -> bool:
    """A cell that writes a number (NaN and infinity included: they are not names)."""
    text = cell.strip()
    return bool(_NUMBER.fullmatch(text) or _NOT_FINITE.fullmatch(text))


def _refuse_an_index(X: Points, where: str) -> None:
    """A ValueError if the first column, unnamed, holds distinct whole numbers >= 0 (0, 1,
    ..., n-1, or a sample of them): the index pandas writes by default."""
    column = [row[0] for row in X]
    if all(v >= 0 and v.is_integer() for v in column) and len(set(column)) == len(column):
        raise ValueError(
            f"load_csv: {where}, line 1, column 1: the first column has no name and holds "
            f"distinct whole numbers ({', '.join(f'{v:g}' for v in column[:3])}, ...): the "
            "index pandas "
            "writes, not a feature; write the file with df.to_csv(path, index=False), or "
            "drop the column"
        )


def _target_column(
    target: str | int | None,
    names: list[str] | None,
    width: int,
    where: str,
    header: bool | None,
) -> int:
    """The label column's index: the last, a header name, or an index (negative from the end)."""
    if target is None:
        return width - 1
    if isinstance(target, int):
        if not -width <= target < width:
            raise ValueError(
                f"load_csv: {where}: target={target} is not a column index; the file has "
                f"{width} columns (0 to {width - 1}, or -{width} to -1 from the end)"
            )
        return target % width
    if names is None:
        why = "header=False" if header is False else "its first row is all numbers"
        raise ValueError(
            f"load_csv: {where}: target={shorten(target)} names a column, but the file has no "
            f"header ({why}): pass the column's index, or header=True if the first row is a "
            "header"
        )
    if names.count(target) != 1:
        problem = "is not a column" if target not in names else "names more than one column"
        raise ValueError(
            f"load_csv: {where}: target={shorten(target)} {problem}; the columns are "
            f"{first(names, shown=12)}"
        )
    return names.index(target)


def _count(n: int, word: str) -> str:
    """``1 column``, ``2 columns``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _column(j: int, names: list[str] | None) -> str:
    """How a message names column ``j``: its header name, else its 1-based number."""
    return f"column {shorten(names[j])}" if names is not None and names[j] else f"column {j + 1}"


def _hint(text: str, delimiter: str) -> str:
    """A hint when ``text`` holds another separator than ``delimiter``: the likely mistake."""
    if delimiter != "," and re.fullmatch(r"\s*[+-]?\d+,\d+\s*", text, re.ASCII):
        return f" (a decimal comma? write {text.strip().replace(',', '.')})"
    for other in CANDIDATE_DELIMITERS:
        if other != delimiter and other in text:
            return f" (is the file separated by {other!r}? pass delimiter={other!r})"
    return ""


def _feature(cell: str, delimiter: str) -> float:
    """A feature cell as a finite float; else ValueError saying what is wrong with it."""
    text = cell.strip()
    if not text:
        raise ValueError("empty cell (a missing value); every feature must be a number")
    if _NOT_FINITE.fullmatch(text):
        raise ValueError(f"{shorten(cell)} is not a finite number (NaN and inf are refused)")
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"{shorten(cell)} is not a number{_hint(cell, delimiter)}")
    x = float(text)
    if not math.isfinite(x):  # 1e999
        raise ValueError(f"{shorten(cell)} is not a finite number (NaN and inf are refused)")
    return x


def _class_label(cell: str, classes: int | None) -> int:
    """A label cell as a class index: a whole number >= 0 written plainly (``2`` or ``2.0``),
    below ``classes``."""
    rule = "labels are class indices 0, 1, ..., K-1"
    match = _LABEL.fullmatch(cell.strip())
    if match is None:
        raise ValueError(
            f"the label {shorten(cell)} is not a whole number written plainly (as 2 or 2.0); {rule}"
        )
    digits = match[2].lstrip("0") or "0"
    if len(digits) > MAX_LABEL_DIGITS:
        raise ValueError(
            f"the label {shorten(cell)} is a whole number of {len(digits):,} digits, more "
            f"than a class index has (at most {MAX_LABEL_DIGITS}); {rule}"
        )
    label = int(digits)
    if match[1] == "-" and label:
        raise ValueError(
            f"the label {shorten(cell)} is negative; {rule} (for -1/+1 labels write 0 for -1)"
        )
    if classes is not None and label >= classes:
        raise ValueError(
            f"the label {shorten(cell)} is not below classes={classes} (0 to {classes - 1})"
        )
    return label


def _check_classes(y: Labels, largest: int, line: int, where: str) -> None:
    """Every class 0 .. max(y) occurs, and at least 2 do: else ValueError saying which.

    ``largest`` is max(y), first written on ``line``. The work is bounded by the number of
    rows, not by the labels' size."""
    present = set(y)
    if len(present) == 1:
        raise ValueError(
            f"load_csv: {where}: every row has the label {y[0]}; a classifier needs at least 2 "
            "classes"
        )
    absent = largest + 1 - len(present)
    if absent:
        missing: list[str] = []
        c = 0
        while len(missing) < min(absent, _SHOWN):  # at most len(present) + _SHOWN turns
            if c not in present:
                missing.append(str(c))
            c += 1
        shown = ", ".join(missing) + (f" and {absent - _SHOWN:,} more" if absent > _SHOWN else "")
        raise ValueError(
            f"load_csv: {where}: the labels go up to {largest} (line {line}), but no row has "
            f"the label {shown}; labels must be 0 .. K-1 with every class present (renumber "
            "them, or pass classes= to allow absent ones)"
        )
