"""Rebuild the police.uk per-force monthly files from a pandas concatenation of them.

The Welsh police.uk stop-and-search files in ``policeuk-stop-search-wales-4forces-2019-2022``
were reconstructed from someone's concatenation (github.com/jh2952/swpStop-Search,
``Concatenation/<n>.csv`` at commit 91a68cbac65b35c3fe358ff50c0530eb0a2eba03, ``n`` = months
since April 2019; see that folder's ``SOURCE.txt``). Each ``<n>.csv`` is
``pandas.concat([read_csv(f) for f in the force files of one month]).to_csv(...)``, which

- added a first, unnamed column: the row's index in its force file, restarting at 0 for each force
  (forces in the order Dyfed-Powys, Gwent, North Wales, South Wales; August 2019 has no Gwent);
- wrote a boolean column as ``0.0``/``1.0`` where the concatenated column had become a float
  (``Removal of more than just outer clothing`` always, ``Outcome linked to object of search``
  in some months); police.uk writes ``False``/``True``.

Recipe ``policeuk-concat-split`` (:func:`split_concatenation`), the inverse, on the bytes:

1. line ``k`` (``k >= 1``) is ``<index>,<the police.uk record>``; a force's file starts where
   ``index == 0`` and within it the index runs 0, 1, 2, ... (anything else is an error);
2. drop the header's leading ``,`` and each record's ``<index>,`` (the rest of the line is kept
   byte for byte: no CSV parsing and re-quoting, so quoting and float formatting are unchanged);
3. in the last two fields (the two boolean columns) ``0.0`` -> ``False`` and ``1.0`` -> ``True``;
4. write each force's header and records with CRLF line endings, the last line terminated too
   (the form of the shared per-force files, and of the upstream concatenation).

The result is checked against the manifest's sha256 of each per-force file by :mod:`eqlib.fetch`;
this module only transforms bytes and says precisely where the input does not have the form above.
"""

from __future__ import annotations

from eqlib.errors import DataError

#: the recipe name used in ``data/manifest.yml`` (``recipe:`` on an upstream file and its derived files)
RECIPE = "policeuk-concat-split"

#: the 15 police.uk stop-and-search columns, in the order police.uk writes them
POLICEUK_COLUMNS: tuple[str, ...] = (
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
)
#: the columns pandas may have written as 0.0/1.0: the last two, in this order
BOOLEAN_COLUMNS: tuple[str, str] = POLICEUK_COLUMNS[-2], POLICEUK_COLUMNS[-1]

_HEADER = ",".join(POLICEUK_COLUMNS).encode("ascii")
_BOOLEANS = {b"": b"", b"False": b"False", b"True": b"True", b"0.0": b"False", b"1.0": b"True"}
_EOL = b"\r\n"


def _lines(data: bytes, name: str) -> list[bytes]:
    """The lines of ``data`` without their CRLF or LF; the file must end with a line ending."""
    if not data.endswith(b"\n"):
        raise DataError(
            "the file does not end with a line ending (truncated download?)",
            file=name,
            expected="a CSV whose last line ends in CRLF or LF",
        )
    lines = data[:-1].split(b"\n")
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def _boolean(value: bytes, *, name: str, row: int, column: str) -> bytes:
    try:
        return _BOOLEANS[value]
    except KeyError:
        raise DataError(
            "not a police.uk boolean",
            file=name,
            row=row,
            column=column,
            value=value.decode("utf-8", "replace"),
            expected="True, False, 1.0, 0.0 or blank",
        ) from None


def split_concatenation(data: bytes, *, segments: int, name: str = "<concatenation>") -> list[bytes]:
    """The per-force police.uk files inside one pandas concatenation (recipe ``policeuk-concat-split``).

    ``data``: the bytes of ``Concatenation/<n>.csv``; ``segments``: how many force files it
    holds (4, or 3 for August 2019); ``name``: the file named in errors. Returns the bytes of each
    force's file in the order they appear (Dyfed-Powys, Gwent, North Wales, South Wales, minus any
    force absent that month). Rows in errors are CSV lines counted from 1 = the header.

    Raises :class:`~eqlib.errors.DataError` naming the file, line and column where the input is
    not such a concatenation: another header, an index that does not run 0, 1, 2, ... within a
    force, a quoted field spanning lines, a boolean that is not True/False/1.0/0.0/blank, or
    another number of forces than ``segments``.
    """
    lines = _lines(data, name)
    header = lines[0]
    if header != b"," + _HEADER:
        raise DataError(
            "not the header of a police.uk concatenation",
            file=name,
            row=1,
            value=header.decode("utf-8", "replace"),
            expected="an empty index column name, then the 15 police.uk columns: " + _HEADER.decode(),
        )
    files: list[list[bytes]] = []
    expected_index = 0
    for number, line in enumerate(lines[1:], start=2):
        index, sep, record = line.partition(b",")
        if not sep or not index.isdigit():
            raise DataError(
                "the line does not start with a row index",
                file=name,
                row=number,
                value=line[:80].decode("utf-8", "replace"),
                expected="<index>,<police.uk record>",
            )
        if line.count(b'"') % 2:
            raise DataError(
                "a quoted field spans lines, which this recipe does not rebuild",
                file=name,
                row=number,
                expected="one record per line",
            )
        position = int(index)
        if position == 0:
            files.append([_HEADER])
        elif not files or position != expected_index:
            raise DataError(
                "the row index does not run 0, 1, 2, ... within a force's rows",
                file=name,
                row=number,
                value=position,
                expected=f"0 (a new force) or {expected_index}",
            )
        expected_index = position + 1
        if record.count(b",") < len(POLICEUK_COLUMNS) - 1:  # a quoted comma can only add some
            raise DataError(
                "too few fields",
                file=name,
                row=number,
                expected=f"{len(POLICEUK_COLUMNS)} police.uk fields after the index",
            )
        head, linked, removal = record.rsplit(b",", 2)
        linked = _boolean(linked, name=name, row=number, column=BOOLEAN_COLUMNS[0])
        removal = _boolean(removal, name=name, row=number, column=BOOLEAN_COLUMNS[1])
        files[-1].append(b",".join((head, linked, removal)))
    if len(files) != segments:
        raise DataError(
            f"{len(files)} force file(s) found (the row index restarts at 0 {len(files)} time(s))",
            file=name,
            expected=f"{segments}, as data/manifest.yml lists",
        )
    return [_EOL.join(rows) + _EOL for rows in files]
