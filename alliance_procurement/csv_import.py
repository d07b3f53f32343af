"""Reading CSV imports: encoding, header checks and row errors (DESIGN §8).

Catalogues and price lists arrive as CSV files, often saved from Excel. They
are read as a stream of bytes, one physical line at a time, so a file of
hundreds of thousands of rows never sits in memory whole and an encoding
fault is pinned to the row it is on.

Rows are counted as a spreadsheet shows them: the header is row 1, the first
data row is row 2. (A quoted cell holding a line break still makes one row.)
Files must be UTF-8, with or without the byte order mark Excel writes; any
other encoding is reported as "wrong encoding" on each row it affects.
"""

import csv
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

HEADER_ROW = 1
# A cell longer than this is not a catalogue or price-list value.
MAX_CELL_CHARS = 10_000
PREVIEW_ROWS = 10
_BOM = "\ufeff"
# ASCII only: other scripts' digits are not numbers in a price list.
_WHOLE_NUMBER = re.compile(r"^[+]?\d+$", re.ASCII)
_DECIMAL = re.compile(r"^[+-]?(\d+)(?:\.(\d*))?$|^[+-]?\.(\d+)$", re.ASCII)


@dataclass(frozen=True)
class RowError:
    """One thing wrong with an import file, where it is and why.

    ``row`` is ``None`` for faults of the whole file (empty file, unknown
    contract); ``column`` is empty when no single column is at fault.
    """

    row: int | None
    column: str
    message: str
    code: str = "invalid"

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.column:
            return _("Row %(row)s, column %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)s: %(message)s") % {
            "row": self.row,
            "message": self.message,
        }

    def as_dict(self) -> dict:
        return asdict(self)


def sort_key(error: RowError) -> tuple[int, int]:
    """File-level errors first, then by row; stable within a row."""
    return (0, 0) if error.row is None else (1, error.row)


class ImportRejected(ValidationError):
    """An import with at least one bad row: nothing was saved.

    ``row_errors`` holds every error, sorted by row.
    """

    def __init__(self, row_errors: Sequence[RowError]):
        self.row_errors = sorted(row_errors, key=sort_key)
        count = len(self.row_errors)
        super().__init__(
            ngettext(
                "The file has %(count)s error; nothing was imported.",
                "The file has %(count)s errors; nothing was imported.",
                count,
            ),
            code="import_rejected",
            params={"count": count},
        )


@dataclass
class ImportSummary:
    """What an import did, or (dry run) would do."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    tiers: int = 0
    categories_created: int = 0
    preview: list[dict[str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        values = asdict(self)
        del values["preview"]
        return values


class CsvFile:
    """Read a CSV upload row by row, collecting what is wrong on the way.

    Usage::

        reader = CsvFile(binary_file, required=[...], optional=[...])
        for row_number, values in reader.rows():
            ...  # values maps each header column to its stripped text
        reader.errors  # header and structural faults, as RowError

    Rows with a structural fault (wrong encoding, too many or too few cells,
    a cell too long or holding a NUL character) are reported here and not
    yielded. Blank lines are
    skipped. A header with a missing, unknown or repeated column stops the
    read before any data row.
    """

    def __init__(
        self,
        binary_file: BinaryIO,
        *,
        required: Sequence[str],
        optional: Sequence[str] = (),
        preview_rows: int = PREVIEW_ROWS,
    ):
        self._file = binary_file
        self.required = list(required)
        self.optional = list(optional)
        self.columns: list[str] = []
        self.errors: list[RowError] = []
        self.data_rows = 0
        self.preview: list[dict[str, str]] = []
        self._preview_rows = preview_rows
        self._bad_lines = 0

    def error(self, row: int | None, column: str, message: str, code: str) -> None:
        self.errors.append(RowError(row, column, message, code))

    def _lines(self) -> Iterator[str]:
        """Decode the file line by line; a bad line is counted and replaced."""
        first = True
        readline: Callable[[], bytes] = self._file.readline
        while True:
            raw = readline()
            if not raw:
                return
            if isinstance(raw, str):  # a text stream: already decoded
                text = raw
            else:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    self._bad_lines += 1
                    text = raw.decode("utf-8", errors="replace")
            if first:
                text = text.removeprefix(_BOM)
                first = False
            yield text

    def _records(self) -> Iterator[tuple[int, list[str] | None]]:
        """Yield (row number, cells), cells ``None`` when the row is unreadable."""
        reader = csv.reader(self._lines(), strict=False)
        row = 0
        while True:
            before = self._bad_lines
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row += 1
                self.error(
                    row,
                    "",
                    _("This is not a readable CSV row (%(reason)s).") % {"reason": exc},
                    "bad_csv",
                )
                # The reader cannot resynchronise after this: stop here.
                return
            row += 1
            if self._bad_lines != before:
                self.error(
                    row,
                    "",
                    _(
                        "Wrong encoding: this row is not UTF-8. Save the file as "
                        "“CSV UTF-8” and upload it again."
                    ),
                    "wrong_encoding",
                )
                yield row, None
                continue
            yield row, cells

    def _check_header(self, cells: list[str]) -> bool:
        names = [cell.strip().lower() for cell in cells]
        allowed = set(self.required) | set(self.optional)
        ok = True
        seen: set[str] = set()
        for name in names:
            if "\x00" in name:
                # Named without it: an error message is stored as text.
                self.error(
                    HEADER_ROW,
                    name.replace("\x00", "")[:60],
                    _("The column name holds a NUL character, which is not text."),
                    "nul_character",
                )
                ok = False
            elif not name:
                self.error(
                    HEADER_ROW,
                    "",
                    _("The header has an empty column name."),
                    "empty_column",
                )
                ok = False
            elif name in seen:
                self.error(
                    HEADER_ROW,
                    name,
                    _("The column appears twice in the header."),
                    "duplicate_column",
                )
                ok = False
            elif name not in allowed:
                self.error(
                    HEADER_ROW,
                    name[:60],
                    _("Unknown column; the columns are: %(columns)s.")
                    % {"columns": ", ".join([*self.required, *self.optional])},
                    "unknown_column",
                )
                ok = False
            seen.add(name)
        for name in self.required:
            if name not in seen:
                self.error(
                    HEADER_ROW,
                    name,
                    _("Missing column."),
                    "missing_column",
                )
                ok = False
        self.columns = names
        return ok

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Yield ``(row number, {column: stripped text})`` for each sound row."""
        records = self._records()
        header_seen = False
        for row, cells in records:
            if cells is None:
                if not header_seen:
                    return  # an unreadable header: nothing else can be read
                continue
            if not header_seen:
                if not any(cell.strip() for cell in cells):
                    continue  # blank lines before the header
                header_seen = True
                if not self._check_header(cells):
                    return
                continue
            if not "".join(cells).strip():
                continue  # a blank line
            self.data_rows += 1
            if len(cells) != len(self.columns):
                self.error(
                    row,
                    "",
                    _(
                        "The row has %(found)s values but the header has "
                        "%(expected)s columns."
                    )
                    % {"found": len(cells), "expected": len(self.columns)},
                    "wrong_cell_count",
                )
                continue
            if max(map(len, cells)) > MAX_CELL_CHARS:
                for name, cell in zip(self.columns, cells, strict=True):
                    if len(cell) <= MAX_CELL_CHARS:
                        continue
                    self.error(
                        row,
                        name,
                        _("The value is longer than %(limit)s characters.")
                        % {"limit": MAX_CELL_CHARS},
                        "too_long",
                    )
                continue
            if any("\x00" in cell for cell in cells):
                # The database cannot hold a NUL character in text.
                for name, cell in zip(self.columns, cells, strict=True):
                    if "\x00" in cell:
                        self.error(
                            row,
                            name,
                            _("The value holds a NUL character, which is not text."),
                            "nul_character",
                        )
                continue
            values = dict(zip(self.columns, map(str.strip, cells), strict=True))
            if len(self.preview) < self._preview_rows:
                self.preview.append({"row": str(row), **values})
            yield row, values
        if not header_seen and not self.errors:
            self.error(
                None,
                "",
                _("The file is empty: it needs a header row and at least one row."),
                "empty_file",
            )
        elif header_seen and self.data_rows == 0 and not self.errors:
            self.error(
                None,
                "",
                _("The file has a header but no rows."),
                "no_rows",
            )


# --- Cell parsers: return the value, or raise ValueError with the message ----


def parse_whole_number(text: str, *, minimum: int, maximum: int) -> int:
    """Parse a whole number within ``minimum``..``maximum``."""
    # Fast path for the common case; isascii() keeps out other scripts' digits.
    if text.isascii() and text.isdigit() and len(text) <= len(str(maximum)):
        value = int(text)
        if minimum <= value <= maximum:
            return value
    if not text:
        raise ValueError(_("A value is required."))
    if text.startswith("-") and _WHOLE_NUMBER.match(text[1:]):
        raise ValueError(_("%(value)s is negative.") % {"value": text})
    if not _WHOLE_NUMBER.match(text):
        if _DECIMAL.match(text):
            raise ValueError(_("%(value)s is not a whole number.") % {"value": text})
        raise ValueError(_("%(value)s is not a number.") % {"value": text[:40]})
    # Length first: a thousand-digit number must not reach int().
    digits = text.lstrip("+").lstrip("0") or "0"
    if len(digits) > len(str(maximum)) or not minimum <= int(digits) <= maximum:
        raise ValueError(
            _("%(value)s is out of range: give %(minimum)s to %(maximum)s.")
            % {"value": text[:40], "minimum": minimum, "maximum": f"{maximum:,}"}
        )
    return int(digits)


def parse_decimal(
    text: str, *, places: int, max_integer_digits: int, allow_negative: bool
) -> Decimal:
    """Parse a plain decimal (no exponent, no thousands separator)."""
    if not text:
        raise ValueError(_("A value is required."))
    match = _DECIMAL.match(text)
    if not match:
        raise ValueError(_("%(value)s is not a number.") % {"value": text[:40]})
    whole = (match.group(1) or "").lstrip("0")
    fraction = match.group(2) if match.group(1) is not None else match.group(3)
    fraction = (fraction or "").rstrip("0")
    if len(fraction) > places:
        raise ValueError(
            _("%(value)s has more than %(places)s decimal places.")
            % {"value": text[:40], "places": places}
        )
    if len(whole) > max_integer_digits:
        raise ValueError(
            _("%(value)s is too large: at most %(digits)s digits before the point.")
            % {"value": text[:40], "digits": max_integer_digits}
        )
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover -- the pattern admits none
        raise ValueError(_("%(value)s is not a number.") % {"value": text}) from exc
    if value < 0 and not allow_negative:
        raise ValueError(_("%(value)s is negative.") % {"value": text})
    return value
