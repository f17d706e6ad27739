"""Clause libraries: read a standard's numbered clauses from JSON or CSV and import them.

A library carries clause numbers and short titles only, never requirement text (the standards are
copyrighted, see shared/DOMAIN.md "Clause library"). Parsing checks everything without touching the
database, so a malformed file is refused, with the line or item named, before anything is written.

JSON file (what standards/libraries/ ships)::

    {"code": "ISO 18295-1:2017", "title": "...", "edition": "2017", "accreditation_basis": "17065",
     "scheme_preset": "iso-18295", "description": "...",
     "clauses": [{"number": "4", "title": "...", "auditable": false}, {"number": "4.1", "title": "..."}]}

CSV file: header ``number,title,parent,auditable`` (parent and auditable optional; ``;`` also works
as the separator), the standard's metadata given separately (the import_standard options).

A clause's parent is inferred from its number (4.1 -> 4, 8.5.1 -> 8.5, A.1 -> A) unless given; in
JSON an explicit ``"parent": null`` makes a numbered clause top-level. ``auditable`` defaults to true.
The order of the clauses is their position in the file.

A numbered paragraph without a title of its own (ISO 9001:2015's 4.4.1 or 9.2.2, which auditors cite
in nonconformities) is given with its number and no title (no ``title`` key, or an empty one, in JSON;
an empty title cell in CSV): it takes its parent's title, so it reads "4.4.1 Quality management
system and its processes". Only a clause with neither title nor parent is refused.
"""

import copy
import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from django.db import transaction

from standards.models import AccreditationBasis, CertificationScheme, Clause, Standard
from standards.policy import DEFAULT_PRESET, SCHEME_PRESETS

# The libraries shipped with the product, loaded by `manage.py load_standards`.
LIBRARY_DIR = Path(__file__).resolve().parent / "libraries"

# Lengths come from the models so that a too-long value is refused with its line number here
# instead of failing (or being truncated, on SQLite) in the database halfway through an import.
CODE_MAX_LENGTH = Standard._meta.get_field("code").max_length
STANDARD_TITLE_MAX_LENGTH = Standard._meta.get_field("title").max_length
EDITION_MAX_LENGTH = Standard._meta.get_field("edition").max_length
NUMBER_MAX_LENGTH = Clause._meta.get_field("number").max_length
CLAUSE_TITLE_MAX_LENGTH = Clause._meta.get_field("title").max_length

JSON_REQUIRED_KEYS = ("code", "title", "edition", "accreditation_basis", "scheme_preset", "clauses")
JSON_OPTIONAL_KEYS = ("description",)
JSON_CLAUSE_REQUIRED_KEYS = ("number",)
# No title: an untitled numbered paragraph, which takes its parent's title.
JSON_CLAUSE_OPTIONAL_KEYS = ("title", "parent", "auditable")
CSV_REQUIRED_COLUMNS = ("number", "title")
CSV_OPTIONAL_COLUMNS = ("parent", "auditable")
CSV_AUDITABLE_VALUES = {
    "": True,
    "true": True,
    "yes": True,
    "1": True,
    "false": False,
    "no": False,
    "0": False,
}

# Enough to fix a file in one go without drowning the terminal.
MAX_REPORTED_PROBLEMS = 25

ImportStatus = Literal["created", "updated", "unchanged"]


class LibraryError(Exception):
    """A library that cannot be imported; the message names the file and the line or item."""

    def __init__(self, problems: str | Sequence[str], *, source: str = "") -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            return prefix + self.problems[0]
        shown = self.problems[:MAX_REPORTED_PROBLEMS]
        lines = [f"{prefix}{len(self.problems)} problems:", *(f"  {problem}" for problem in shown)]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class ClauseData:
    number: str
    title: str
    parent: str | None
    auditable: bool
    # Where the clause is in its file ('line 4', 'clauses[3] (number "4.1")'), for messages.
    where: str
    parent_inferred: bool = False


@dataclass(frozen=True)
class LibraryData:
    code: str
    # None means "keep what the existing standard has" (a CSV import without --title and so on).
    title: str | None
    edition: str | None
    accreditation_basis: str | None
    preset: str | None
    description: str | None
    clauses: tuple[ClauseData, ...]
    # The file it came from, for messages.
    source: str = ""


@dataclass(frozen=True)
class ImportResult:
    code: str
    status: ImportStatus
    added: int
    updated: int
    deactivated: int
    # The preset a new CertificationScheme was made from, or None when the standard already had one.
    scheme_preset: str | None
    source: str = ""

    def summary(self) -> str:
        line = (
            f"{self.code}: {self.status} (clauses: {self.added} added, {self.updated} updated, "
            f"{self.deactivated} deactivated)"
        )
        if self.scheme_preset:
            line += f"; scheme created from preset {self.scheme_preset}"
        return f"{self.source}: {line}" if self.source else line


# --- Parsing (no database access) -------------------------------------------------------------


def parse_library_json(text: str, *, source: str = "") -> LibraryData:
    """A library from the text of a JSON file; raises LibraryError naming every problem found."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise LibraryError(
            f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}", source=source
        ) from None
    if not isinstance(document, dict):
        raise LibraryError(
            "the file must hold one JSON object with the standard and its clauses", source=source
        )

    problems: list[str] = []
    _json_keys_check(document, problems=problems)
    code = _text(document.get("code"), label="code", max_length=CODE_MAX_LENGTH, problems=problems)
    title = _text(
        document.get("title"), label="title", max_length=STANDARD_TITLE_MAX_LENGTH, problems=problems
    )
    edition = _text(
        document.get("edition"), label="edition", max_length=EDITION_MAX_LENGTH, problems=problems
    )
    basis = _basis(document.get("accreditation_basis"), problems=problems)
    preset = _preset(document.get("scheme_preset"), problems=problems)
    description = document.get("description", "")
    if not isinstance(description, str):
        problems.append("description must be text")
    clauses = _json_clauses(document.get("clauses", []), problems=problems)

    # code is None only with a problem recorded, as it is required.
    if problems or code is None:
        raise LibraryError(problems, source=source)
    _check_tree(clauses, source=source)
    clauses = _titles_from_parents(clauses, source=source)
    return LibraryData(
        code=code,
        title=title,
        edition=edition,
        accreditation_basis=basis,
        preset=preset,
        description=description.strip(),
        clauses=tuple(clauses),
        source=source,
    )


def _json_keys_check(document: dict, *, problems: list[str]) -> None:
    """Record the required keys the document lacks and the keys it has that a library does not know."""
    missing = [key for key in JSON_REQUIRED_KEYS if key not in document]
    if missing:
        problems.append(f"missing required key(s): {', '.join(missing)}")
    unknown = sorted(set(document) - set(JSON_REQUIRED_KEYS) - set(JSON_OPTIONAL_KEYS))
    if unknown:
        # Refused rather than ignored: a misspelt key would otherwise silently fall back to a default.
        problems.append(f"unknown key(s): {', '.join(unknown)}")


def _json_clauses(raw_clauses: Any, *, problems: list[str]) -> list[ClauseData]:
    """The well-formed clauses of the document's "clauses" list; records a problem per fault."""
    clauses: list[ClauseData] = []
    if not isinstance(raw_clauses, list):
        problems.append("clauses must be a list")
    else:
        for index, item in enumerate(raw_clauses):
            clause = _json_clause(index, item, problems=problems)
            if clause is not None:
                clauses.append(clause)
        if not raw_clauses:
            problems.append("clauses is empty: a library needs at least one clause")
    return clauses


def parse_library_csv(
    text: str,
    *,
    code: str,
    title: str | None = None,
    edition: str | None = None,
    basis: str | None = None,
    preset: str | None = None,
    source: str = "",
) -> LibraryData:
    """A library from the text of a CSV file plus the standard's metadata given separately.

    Lines are counted as in a text editor, the header being line 1.
    """
    problems: list[str] = []
    checked_code = _text(code, label="code", max_length=CODE_MAX_LENGTH, problems=problems)
    title = _text(
        title, label="title", max_length=STANDARD_TITLE_MAX_LENGTH, problems=problems, required=False
    )
    edition = _text(
        edition, label="edition", max_length=EDITION_MAX_LENGTH, problems=problems, required=False
    )
    basis = _basis(basis, problems=problems, required=False)
    preset = _preset(preset, problems=problems, required=False)

    clauses = _csv_clauses(text, problems=problems, source=source)
    if not clauses and not problems:
        problems.append("the file has no clauses below the header")
    # checked_code is None only with a problem recorded, as it is required.
    if problems or checked_code is None:
        raise LibraryError(problems, source=source)
    _check_tree(clauses, source=source)
    clauses = _titles_from_parents(clauses, source=source)
    return LibraryData(
        code=checked_code,
        title=title,
        edition=edition,
        accreditation_basis=basis,
        preset=preset,
        description=None,
        clauses=tuple(clauses),
        source=source,
    )


def _csv_clauses(text: str, *, problems: list[str], source: str) -> list[ClauseData]:
    """The well-formed clauses of the CSV rows below the header; records a problem per faulty row.

    Raises LibraryError at once, with the problems so far, when the header is missing or wrong or
    the text is not readable as CSV.
    """
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise LibraryError(
            [
                *problems,
                f"line 1: expected the header row {','.join(CSV_REQUIRED_COLUMNS + CSV_OPTIONAL_COLUMNS)}",
            ],
            source=source,
        )
    # Spreadsheets set to a Swedish locale export with semicolons.
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    clauses: list[ClauseData] = []
    try:
        columns = [name.strip().lower() for name in next(reader)]
        header_problems = _csv_header_problems(columns)
        if header_problems:
            raise LibraryError([*problems, *header_problems], source=source)
        for row in reader:
            where = f"line {reader.line_num}"
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                problems.append(
                    f"{where}: expected {len(columns)} columns ({','.join(columns)}), found {len(row)}"
                )
                continue
            clause = _csv_clause(where, dict(zip(columns, row, strict=True)), problems=problems)
            if clause is not None:
                clauses.append(clause)
    except csv.Error as error:
        raise LibraryError(
            [*problems, f"line {reader.line_num}: unreadable CSV ({error})"], source=source
        ) from None
    return clauses


def library_read(
    *,
    path: Path,
    code: str | None = None,
    title: str | None = None,
    edition: str | None = None,
    basis: str | None = None,
    preset: str | None = None,
) -> LibraryData:
    """Read and parse a .json or .csv library file; the metadata arguments apply to CSV only."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise LibraryError(f"cannot read the file ({error.strerror})", source=source) from None
    try:
        # utf-8-sig: spreadsheet programs often start their CSV exports with a byte-order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LibraryError(f"not UTF-8 text (byte {error.start})", source=source) from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        return parse_library_json(text, source=source)
    if suffix == ".csv":
        if not code:
            raise LibraryError("a CSV file needs the standard's code given separately", source=source)
        return parse_library_csv(
            text, code=code, title=title, edition=edition, basis=basis, preset=preset, source=source
        )
    raise LibraryError(f"unknown file type {suffix or '(none)'!r}: expected .json or .csv", source=source)


def _text(
    value: Any,
    *,
    label: str,
    max_length: int | None,
    problems: list[str],
    where: str = "",
    required: bool = True,
) -> str | None:
    """A stripped, length-checked string; records a problem (and returns None) when it is not one."""
    prefix = f"{where}: " if where else ""
    if value is None:
        if required:
            problems.append(f"{prefix}{label} is missing")
        return None
    if not isinstance(value, str):
        problems.append(f"{prefix}{label} must be text in quotes, got {json.dumps(value)}")
        return None
    value = value.strip()
    if not value:
        if required:
            problems.append(f"{prefix}{label} is empty")
        return None
    if max_length is not None and len(value) > max_length:
        problems.append(f"{prefix}{label} is {len(value)} characters long, at most {max_length} allowed")
        return None
    return value


def _basis(value: Any, *, problems: list[str], required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if value not in AccreditationBasis.values:
        problems.append(
            f"unknown accreditation basis {json.dumps(value)}: "
            f"expected one of {', '.join(AccreditationBasis.values)}"
        )
        return None
    return value


def _preset(value: Any, *, problems: list[str], required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or value not in SCHEME_PRESETS:
        problems.append(
            f"unknown scheme preset {json.dumps(value)}: expected one of {', '.join(SCHEME_PRESETS)}"
        )
        return None
    return value


def _inferred_parent(number: str) -> str | None:
    """4.1 -> 4, 8.5.1 -> 8.5, A.1 -> A; a number without a dot is top-level."""
    return number.rsplit(".", 1)[0] if "." in number else None


def _json_clause(index: int, item: Any, *, problems: list[str]) -> ClauseData | None:
    where = f"clauses[{index}]"
    if not isinstance(item, dict):
        problems.append(f"{where}: must be an object with number and title")
        return None
    if isinstance(item.get("number"), str) and item["number"].strip():
        where += f" (number {item['number'].strip()!r})"
    item_problems: list[str] = []
    missing = [key for key in JSON_CLAUSE_REQUIRED_KEYS if key not in item]
    if missing:
        item_problems.append(f"{where}: missing required key(s): {', '.join(missing)}")
    unknown = sorted(set(item) - set(JSON_CLAUSE_REQUIRED_KEYS) - set(JSON_CLAUSE_OPTIONAL_KEYS))
    if unknown:
        item_problems.append(f"{where}: unknown key(s): {', '.join(unknown)}")
    number = title = None
    if "number" in item:
        number = _text(
            item["number"], label="number", max_length=NUMBER_MAX_LENGTH, problems=item_problems, where=where
        )
    if item.get("title") is not None:
        # Absent, null or empty: an untitled paragraph, titled by its parent in _titles_from_parents.
        title = _text(
            item["title"],
            label="title",
            max_length=CLAUSE_TITLE_MAX_LENGTH,
            problems=item_problems,
            where=where,
            required=False,
        )
    auditable = item.get("auditable", True)
    if not isinstance(auditable, bool):
        item_problems.append(f"{where}: auditable must be true or false, got {json.dumps(auditable)}")

    # Absent (or empty) parent: inferred from the number. An explicit null: deliberately top-level.
    raw_parent = item.get("parent", "")
    parent: str | None = None
    parent_inferred = isinstance(raw_parent, str) and not raw_parent.strip()
    if parent_inferred:
        parent = _inferred_parent(number) if number else None
    elif raw_parent is not None:
        parent = _text(
            raw_parent, label="parent", max_length=NUMBER_MAX_LENGTH, problems=item_problems, where=where
        )

    problems.extend(item_problems)
    if item_problems or number is None:
        return None
    return ClauseData(
        number=number,
        title=title or "",
        parent=parent,
        auditable=auditable,
        where=where,
        parent_inferred=parent_inferred,
    )


def _csv_header_problems(columns: list[str]) -> list[str]:
    problems = []
    missing = [name for name in CSV_REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(f"line 1: the header lacks column(s) {', '.join(missing)}")
    unknown = [name for name in columns if name not in CSV_REQUIRED_COLUMNS + CSV_OPTIONAL_COLUMNS]
    if unknown:
        problems.append(
            f"line 1: unknown column(s) {', '.join(map(repr, unknown))}; expected "
            f"{','.join(CSV_REQUIRED_COLUMNS + CSV_OPTIONAL_COLUMNS)}"
        )
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        problems.append(f"line 1: column(s) given twice: {', '.join(repeated)}")
    return problems


def _csv_clause(where: str, row: dict[str, str], *, problems: list[str]) -> ClauseData | None:
    if row["number"].strip():
        where += f" (number {row['number'].strip()!r})"
    row_problems: list[str] = []
    number = _text(
        row["number"], label="number", max_length=NUMBER_MAX_LENGTH, problems=row_problems, where=where
    )
    # An empty title: an untitled paragraph, titled by its parent in _titles_from_parents.
    title = _text(
        row["title"],
        label="title",
        max_length=CLAUSE_TITLE_MAX_LENGTH,
        problems=row_problems,
        where=where,
        required=False,
    )
    auditable_word = row.get("auditable", "").strip().lower()
    auditable = CSV_AUDITABLE_VALUES.get(auditable_word)
    if auditable is None:
        row_problems.append(
            f"{where}: auditable must be true/false, yes/no or 1/0 (empty means true), "
            f"got {row['auditable']!r}"
        )
    parent = _text(
        row.get("parent", ""),
        label="parent",
        max_length=NUMBER_MAX_LENGTH,
        problems=row_problems,
        where=where,
        required=False,
    )
    parent_inferred = parent is None
    if parent_inferred and number:
        parent = _inferred_parent(number)

    problems.extend(row_problems)
    if row_problems or number is None or auditable is None:
        return None
    return ClauseData(
        number=number,
        title=title or "",
        parent=parent,
        auditable=auditable,
        where=where,
        parent_inferred=parent_inferred,
    )


def _check_tree(clauses: Sequence[ClauseData], *, source: str) -> None:
    """Numbers unique, every parent in the file, no parent chain looping back on itself."""
    problems: list[str] = []
    by_number: dict[str, ClauseData] = {}
    for clause in clauses:
        first = by_number.get(clause.number)
        if first is not None:
            problems.append(f"{clause.where}: number {clause.number!r} is already used at {first.where}")
        else:
            by_number[clause.number] = clause
    for clause in clauses:
        if clause.parent is not None and clause.parent not in by_number:
            how = "inferred from the number" if clause.parent_inferred else "given"
            problems.append(f"{clause.where}: parent {clause.parent!r} ({how}) is not a clause in the file")
    if problems:
        raise LibraryError(problems, source=source)

    # Only explicit parents can loop (an inferred parent's number is always shorter).
    in_reported_cycle: set[str] = set()
    for clause in clauses:
        if clause.number in in_reported_cycle:
            continue
        chain = [clause.number]
        current = clause.parent
        while current is not None:
            if current == clause.number:
                in_reported_cycle.update(chain)
                problems.append(f"{clause.where}: parents form a cycle ({' -> '.join([*chain, current])})")
                break
            if current in chain:
                break  # a cycle further up that does not pass through this clause; reported at its members
            chain.append(current)
            current = by_number[current].parent
    if problems:
        raise LibraryError(problems, source=source)


def _titles_from_parents(clauses: Sequence[ClauseData], *, source: str) -> list[ClauseData]:
    """Untitled paragraphs take the title of their nearest titled ancestor (the tree is checked).

    A clause with neither a title nor a parent has no title to take and is refused.
    """
    by_number = {clause.number: clause for clause in clauses}
    problems: list[str] = []
    titled: list[ClauseData] = []
    for clause in clauses:
        if clause.title:
            titled.append(clause)
            continue
        ancestor = clause
        while not ancestor.title and ancestor.parent is not None:
            ancestor = by_number[ancestor.parent]
        if ancestor is clause:
            problems.append(f"{clause.where}: title is empty and the clause has no parent to take one from")
        elif not ancestor.title:
            problems.append(f"{clause.where}: title is empty and no clause above it has one to take")
        else:
            titled.append(replace(clause, title=ancestor.title))
    if problems:
        raise LibraryError(problems, source=source)
    return titled


# --- Import (database writes) -----------------------------------------------------------------


def libraries_read(
    *,
    paths: Iterable[Path],
    code: str | None = None,
    title: str | None = None,
    edition: str | None = None,
    basis: str | None = None,
    preset: str | None = None,
) -> list[LibraryData]:
    """Read every file, reporting the problems of all of them at once rather than one file per run."""
    libraries: list[LibraryData] = []
    errors: list[str] = []
    for path in paths:
        try:
            libraries.append(
                library_read(path=path, code=code, title=title, edition=edition, basis=basis, preset=preset)
            )
        except LibraryError as error:
            errors.append(str(error))
    if errors:
        raise LibraryError("\n".join(errors))
    return libraries


@transaction.atomic
def libraries_import(*, libraries: Sequence[LibraryData]) -> list[ImportResult]:
    """Import several libraries all or nothing, after checking every one of them."""
    seen: dict[str, LibraryData] = {}
    for library in libraries:
        if library.code in seen:
            raise LibraryError(
                f"standard {library.code!r} is also in {seen[library.code].source or 'another library'}; "
                "import it from one file only",
                source=library.source,
            )
        seen[library.code] = library
        _check_can_create(library)
    return [standard_import(data=library) for library in libraries]


@transaction.atomic
def standard_import(*, data: LibraryData) -> ImportResult:
    """Create or update one standard, its clauses and (only if it has none) its certification scheme.

    Clauses are matched by number. Clauses missing from the library are deactivated, never deleted:
    findings and plans may point at them.
    """
    standard = Standard.objects.select_for_update().filter(code=data.code).first()
    created = standard is None
    if standard is None:
        if not (data.title and data.edition):
            raise _cannot_create(data)
        standard = Standard.objects.create(
            code=data.code,
            title=data.title,
            edition=data.edition,
            accreditation_basis=data.accreditation_basis or AccreditationBasis.MANAGEMENT_SYSTEM,
            description=data.description or "",
        )
        metadata_changed = False
    else:
        metadata_changed = _standard_update(standard, data)
    added, updated, deactivated = _clauses_sync(standard, data.clauses)
    scheme_preset = _scheme_ensure(standard, data.preset)

    status: ImportStatus
    if created:
        status = "created"
    elif metadata_changed or added or updated or deactivated or scheme_preset:
        status = "updated"
    else:
        status = "unchanged"
    return ImportResult(
        code=standard.code,
        status=status,
        added=added,
        updated=updated,
        deactivated=deactivated,
        scheme_preset=scheme_preset,
        source=data.source,
    )


def _check_can_create(data: LibraryData) -> None:
    if not (data.title and data.edition) and not Standard.objects.filter(code=data.code).exists():
        raise _cannot_create(data)


def _cannot_create(data: LibraryData) -> LibraryError:
    return LibraryError(
        f"standard {data.code!r} does not exist yet: its title and edition are needed to create it",
        source=data.source,
    )


def _standard_update(standard: Standard, data: LibraryData) -> bool:
    wanted = {
        "title": data.title,
        "edition": data.edition,
        "accreditation_basis": data.accreditation_basis,
        "description": data.description,
    }
    changed = [
        name for name, value in wanted.items() if value is not None and getattr(standard, name) != value
    ]
    if not changed:
        return False
    for name in changed:
        setattr(standard, name, wanted[name])
    # auto_now is only written when named in update_fields.
    standard.save(update_fields=[*changed, "updated_at"])
    return True


def _clauses_sync(standard: Standard, clauses: Sequence[ClauseData]) -> tuple[int, int, int]:
    """Bring the standard's clauses in line with the library; returns (added, updated, deactivated)."""
    existing = {clause.number: clause for clause in standard.clauses.all()}
    position = {clause.number: index for index, clause in enumerate(clauses, start=1)}
    saved: dict[str, Clause] = {}
    added = updated = 0
    # Parents first, so every clause's parent row exists (and has an id) when the clause is saved.
    for item in _parents_first(clauses):
        wanted = {
            "title": item.title,
            "parent_id": saved[item.parent].pk if item.parent else None,
            "order": position[item.number],
            "auditable": item.auditable,
            "is_active": True,
        }
        clause = existing.get(item.number)
        if clause is None:
            clause = Clause.objects.create(standard=standard, number=item.number, **wanted)
            added += 1
        else:
            changed = [name for name, value in wanted.items() if getattr(clause, name) != value]
            if changed:
                for name in changed:
                    setattr(clause, name, wanted[name])
                clause.save(update_fields=changed)
                updated += 1
        saved[item.number] = clause

    deactivated = 0
    for number, clause in existing.items():
        if number not in saved and clause.is_active:
            clause.is_active = False
            clause.save(update_fields=["is_active"])
            deactivated += 1
    return added, updated, deactivated


def _parents_first(clauses: Sequence[ClauseData]) -> list[ClauseData]:
    by_number = {clause.number: clause for clause in clauses}

    def depth(clause: ClauseData) -> int:
        levels = 0
        while clause.parent is not None:
            clause = by_number[clause.parent]
            levels += 1
        return levels

    return sorted(clauses, key=depth)


def _scheme_ensure(standard: Standard, preset: str | None) -> str | None:
    """Create the scheme from a preset when there is none; an existing one is staff's and is left alone."""
    if CertificationScheme.objects.filter(standard=standard).exists():
        return None
    preset = preset or DEFAULT_PRESET
    # Deep copy: the preset's audit-time table is a module-level list that must not be shared.
    CertificationScheme.objects.create(standard=standard, **copy.deepcopy(SCHEME_PRESETS[preset]))
    return preset
