"""manage.py import_standard / load_standards and the clause-library service behind them."""

import copy
import json
import re
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from standards.library import LIBRARY_DIR
from standards.models import CertificationScheme, Clause, Standard
from standards.policy import SCHEME_PRESETS

pytestmark = pytest.mark.django_db

CODE = "TEST 1:2024"

# A small library with headings, an annex and an explicit parent, used by most tests.
BASE_LIBRARY = {
    "code": CODE,
    "title": "Test standard",
    "edition": "2024",
    "accreditation_basis": "17065",
    "scheme_preset": "iso-18295",
    "description": "Numbers and titles for tests.",
    "clauses": [
        {"number": "4", "title": "Heading four", "auditable": False},
        {"number": "4.1", "title": "General"},
        {"number": "4.2", "title": "Second"},
        {"number": "4.2.1", "title": "Deeper"},
        {"number": "A", "title": "Annex", "auditable": False},
        {"number": "A.1", "title": "Annex item"},
    ],
}


def library(**overrides) -> dict:
    return {**copy.deepcopy(BASE_LIBRARY), **overrides}


def write_json(tmp_path: Path, data: dict, name: str = "library.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def write_text(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def import_standard(*args) -> str:
    out = StringIO()
    call_command("import_standard", *[str(arg) for arg in args], stdout=out)
    return out.getvalue()


def import_refused(*args) -> str:
    with pytest.raises(CommandError) as excinfo:
        import_standard(*args)
    return str(excinfo.value)


def snapshot() -> dict:
    """Everything an import may write, to show that a refused import wrote nothing."""
    return {
        "standards": list(
            Standard.objects.order_by("code").values_list(
                "id", "code", "title", "edition", "accreditation_basis", "description", "updated_at"
            )
        ),
        "clauses": list(
            Clause.objects.order_by("id").values_list(
                "id", "standard__code", "number", "title", "parent__number", "order", "auditable", "is_active"
            )
        ),
        "schemes": list(
            CertificationScheme.objects.order_by("id").values_list("id", "standard__code", "updated_at")
        ),
    }


def clause_ids() -> dict[str, int]:
    return dict(Clause.objects.filter(standard__code=CODE).values_list("number", "id"))


def shipped(name: str) -> dict:
    return json.loads((LIBRARY_DIR / name).read_text(encoding="utf-8"))


SHIPPED = ["iso-18295-1-2017.json", "iso-18295-2-2017.json", "iso-9001-2015.json"]


# --- Shipped libraries ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_it_imports_each_shipped_library(name):
    data = shipped(name)

    output = import_standard(LIBRARY_DIR / name)

    assert f"{data['code']}: created (clauses: {len(data['clauses'])} added" in output
    standard = Standard.objects.get(code=data["code"])
    assert standard.title == data["title"]
    assert standard.edition == data["edition"]
    assert standard.accreditation_basis == data["accreditation_basis"]
    numbers = list(standard.clauses.order_by("order").values_list("number", flat=True))
    assert numbers == [clause["number"] for clause in data["clauses"]]
    # Every key of the preset lands in the field of the same name.
    scheme = CertificationScheme.objects.get(standard=standard)
    for field, value in SCHEME_PRESETS[data["scheme_preset"]].items():
        assert getattr(scheme, field) == value, field


@pytest.mark.parametrize("name", SHIPPED)
def test_it_ships_headings_as_not_auditable(name):
    import_standard(LIBRARY_DIR / name)

    parents = Clause.objects.filter(parent__isnull=False).values_list("parent_id", flat=True)
    assert parents
    assert not Clause.objects.filter(id__in=parents, auditable=True).exists()


def test_it_ships_18295_with_the_policy_scheme():
    import_standard(LIBRARY_DIR / "iso-18295-1-2017.json")

    scheme = CertificationScheme.objects.get(standard__code="ISO 18295-1:2017")
    assert scheme.max_days_per_audit == Decimal("4")
    assert scheme.stage1_mode == "fixed"
    assert scheme.extra_days_per_additional_site == Decimal("0.5")
    assert scheme.standard.accreditation_basis == "17065"


def test_it_ships_9001_with_the_iaf_md5_scheme():
    import_standard(LIBRARY_DIR / "iso-9001-2015.json")

    scheme = CertificationScheme.objects.get(standard__code="ISO 9001:2015")
    assert scheme.stage1_mode == "share"
    assert scheme.max_days_per_audit is None
    assert scheme.audit_time_table[0] == {"up_to": 5, "days": "1.5"}
    assert scheme.standard.accreditation_basis == "17021-1"


@pytest.mark.parametrize("name", ["iso-18295-1-2017.json", "iso-18295-2-2017.json"])
def test_it_says_which_18295_titles_are_ours(name):
    description = shipped(name)["description"]

    assert "written by us" in description
    assert "licensed copy" in description


def test_it_ships_the_confirmed_18295_1_titles():
    import_standard(LIBRARY_DIR / "iso-18295-1-2017.json")

    titles = dict(Clause.objects.filter(standard__code="ISO 18295-1:2017").values_list("number", "title"))
    assert titles["4"] == "Customer relationship requirements"
    assert titles["4.4"] == "Complaints handling"
    assert titles["5"] == "Customer-focused leadership"
    assert {"A", "B"} <= set(titles)
    assert 35 <= len(titles) <= 50


def test_it_loads_every_shipped_library():
    out = StringIO()
    call_command("load_standards", stdout=out)

    assert set(Standard.objects.values_list("code", flat=True)) == {
        "ISO 18295-1:2017",
        "ISO 18295-2:2017",
        "ISO 9001:2015",
    }
    assert out.getvalue().count(": created") == 3
    assert CertificationScheme.objects.count() == 3

    before = snapshot()
    again = StringIO()
    call_command("load_standards", stdout=again)
    assert again.getvalue().count(": unchanged") == 3
    assert snapshot() == before


# --- Parents -------------------------------------------------------------------------------------


def test_it_infers_parents_from_numbers(tmp_path):
    import_standard(write_json(tmp_path, library()))

    parents = dict(Clause.objects.filter(standard__code=CODE).values_list("number", "parent__number"))
    assert parents == {"4": None, "4.1": "4", "4.2": "4", "4.2.1": "4.2", "A": None, "A.1": "A"}


def test_it_infers_9001_parents():
    import_standard(LIBRARY_DIR / "iso-9001-2015.json")

    parents = dict(
        Clause.objects.filter(standard__code="ISO 9001:2015").values_list("number", "parent__number")
    )
    assert parents["8.5.1"] == "8.5"
    assert parents["7.1.5.2"] == "7.1.5"
    assert parents["10.3"] == "10"
    assert parents["4"] is None


def test_it_takes_explicit_parents(tmp_path):
    data = library()
    # A given parent wins over the number; an explicit null makes a numbered clause top-level.
    data["clauses"][3]["parent"] = "4.1"
    data["clauses"].append({"number": "B.1", "title": "Loose annex item", "parent": None})

    import_standard(write_json(tmp_path, data))

    parents = dict(Clause.objects.filter(standard__code=CODE).values_list("number", "parent__number"))
    assert parents["4.2.1"] == "4.1"
    assert parents["B.1"] is None


def test_it_accepts_a_child_listed_before_its_parent(tmp_path):
    data = library(clauses=[{"number": "9.1", "title": "Child"}, {"number": "9", "title": "Parent"}])

    import_standard(write_json(tmp_path, data))

    child = Clause.objects.get(standard__code=CODE, number="9.1")
    assert child.parent.number == "9"
    assert child.order == 1


# --- Untitled paragraphs -------------------------------------------------------------------------

# ISO 9001:2015's numbered paragraphs that have no title of their own, and their titled parents.
ISO_9001_PARAGRAPHS = {
    "4.4.1": "4.4",
    "4.4.2": "4.4",
    "6.1.1": "6.1",
    "6.1.2": "6.1",
    "6.2.1": "6.2",
    "6.2.2": "6.2",
    "7.5.3.1": "7.5.3",
    "7.5.3.2": "7.5.3",
    "8.7.1": "8.7",
    "8.7.2": "8.7",
    "9.2.1": "9.2",
    "9.2.2": "9.2",
    "10.2.1": "10.2",
    "10.2.2": "10.2",
}


def test_it_ships_9001_paragraphs_without_titles_as_auditable_clauses_titled_by_their_parent():
    import_standard(LIBRARY_DIR / "iso-9001-2015.json")

    clauses = {clause.number: clause for clause in Clause.objects.filter(standard__code="ISO 9001:2015")}
    for number, parent in ISO_9001_PARAGRAPHS.items():
        assert clauses[number].auditable is True, number
        assert clauses[number].parent_id == clauses[parent].id, number
        assert clauses[number].title == clauses[parent].title, number
        # The parent only groups its paragraphs now: findings go to 4.4.1, not 4.4.
        assert clauses[parent].auditable is False, parent
    assert str(clauses["4.4.1"]) == "4.4.1 Quality management system and its processes"
    assert str(clauses["9.2.2"]) == "9.2.2 Internal audit"


def test_load_standards_adds_the_9001_paragraphs_to_an_existing_database(tmp_path):
    # A database loaded from the library as it was: 4.4 and 9.2 auditable, no paragraphs.
    old = shipped("iso-9001-2015.json")
    old["clauses"] = [
        {key: value for key, value in clause.items() if key != "auditable"}
        if clause["number"] in set(ISO_9001_PARAGRAPHS.values())
        else clause
        for clause in old["clauses"]
        if clause["number"] not in ISO_9001_PARAGRAPHS
    ]
    import_standard(write_json(tmp_path, old, "old-9001.json"))
    before = dict(Clause.objects.filter(standard__code="ISO 9001:2015").values_list("number", "id"))
    assert Clause.objects.get(standard__code="ISO 9001:2015", number="4.4").auditable is True

    out = StringIO()
    call_command("load_standards", stdout=out)

    # The 14 paragraphs are added; their parents become headings and the clauses after them move down.
    summary = r"ISO 9001:2015: updated \(clauses: 14 added, \d+ updated, 0 deactivated\)"
    assert re.search(summary, out.getvalue())
    clauses = {clause.number: clause for clause in Clause.objects.filter(standard__code="ISO 9001:2015")}
    assert set(ISO_9001_PARAGRAPHS) <= set(clauses)
    assert clauses["9.2.1"].title == "Internal audit"
    assert clauses["9.2.1"].auditable is True
    assert clauses["9.2"].auditable is False
    # The clauses already there keep their rows, which findings and plans point at.
    assert all(clauses[number].id == pk for number, pk in before.items())


def test_it_titles_an_untitled_json_paragraph_by_its_parent(tmp_path):
    data = library()
    data["clauses"] += [{"number": "4.2.1.1"}, {"number": "4.2.2", "title": ""}, {"number": "A.1.1"}]

    import_standard(write_json(tmp_path, data))

    titles = dict(Clause.objects.filter(standard__code=CODE).values_list("number", "title"))
    assert titles["4.2.1.1"] == "Deeper"
    assert titles["4.2.2"] == "Second"
    assert titles["A.1.1"] == "Annex item"


def test_it_titles_an_untitled_csv_paragraph_by_its_nearest_titled_ancestor(tmp_path):
    text = "number,title\n9,Performance\n9.2,Internal audit\n9.2.1,\n9.2.1.1,\n9.2.2,\n"

    import_standard(write_text(tmp_path, text, "lib.csv"), "--code", CODE, "--title", "T", "--edition", "1")

    titles = dict(Clause.objects.filter(standard__code=CODE).values_list("number", "title"))
    assert titles == {
        "9": "Performance",
        "9.2": "Internal audit",
        "9.2.1": "Internal audit",
        "9.2.1.1": "Internal audit",
        "9.2.2": "Internal audit",
    }
    assert Clause.objects.get(standard__code=CODE, number="9.2.1").parent.number == "9.2"


def test_an_untitled_paragraph_follows_its_parent_renamed_on_reimport(tmp_path):
    data = library()
    data["clauses"].append({"number": "4.2.2"})
    import_standard(write_json(tmp_path, data))
    data["clauses"][2]["title"] = "Second, renamed"

    output = import_standard(write_json(tmp_path, data, "v2.json"))

    assert "updated (clauses: 0 added, 2 updated, 0 deactivated)" in output
    assert Clause.objects.get(standard__code=CODE, number="4.2.2").title == "Second, renamed"


# --- Re-import and update ------------------------------------------------------------------------


def test_it_changes_nothing_on_reimport(tmp_path):
    path = write_json(tmp_path, library())
    import_standard(path)
    before = snapshot()

    output = import_standard(path)

    assert output.strip() == f"{path}: {CODE}: unchanged (clauses: 0 added, 0 updated, 0 deactivated)"
    assert snapshot() == before


def test_it_updates_clauses_in_place_and_deactivates_missing_ones(tmp_path):
    import_standard(write_json(tmp_path, library()))
    ids = clause_ids()
    data = library(title="Renamed standard")
    data["clauses"] = [
        {"number": "A", "title": "Annex", "auditable": False},  # moved first
        {"number": "4", "title": "Heading four", "auditable": False},
        {"number": "4.1", "title": "General, renamed", "auditable": False},
        {"number": "4.3", "title": "New clause"},
    ]

    output = import_standard(write_json(tmp_path, data, "v2.json"))

    assert f"{CODE}: updated (clauses: 1 added, 3 updated, 3 deactivated)" in output
    clauses = {clause.number: clause for clause in Clause.objects.filter(standard__code=CODE)}
    for number in ("4", "4.1", "4.2", "4.2.1", "A", "A.1"):
        assert clauses[number].id == ids[number]
    assert clauses["4.1"].title == "General, renamed"
    assert clauses["4.1"].auditable is False
    assert [clauses[n].order for n in ("A", "4", "4.1", "4.3")] == [1, 2, 3, 4]
    assert clauses["4.3"].parent_id == ids["4"]
    # Kept for the records that point at them, but inactive.
    assert {n for n, c in clauses.items() if not c.is_active} == {"4.2", "4.2.1", "A.1"}
    assert Standard.objects.get(code=CODE).title == "Renamed standard"


def test_it_moves_a_clause_to_another_parent_in_place(tmp_path):
    import_standard(write_json(tmp_path, library()))
    ids = clause_ids()

    output = import_standard(
        write_json(tmp_path, library(clauses=_clauses_with((3, {"parent": "4.1"}))), "v2.json")
    )

    assert "updated (clauses: 0 added, 1 updated, 0 deactivated)" in output
    moved = Clause.objects.get(id=ids["4.2.1"])
    assert moved.parent_id == ids["4.1"]


def test_it_reactivates_a_clause_that_comes_back(tmp_path):
    first = write_json(tmp_path, library())
    import_standard(first)
    ids = clause_ids()
    data = library()
    data["clauses"] = [clause for clause in data["clauses"] if clause["number"] != "A.1"]
    import_standard(write_json(tmp_path, data, "v2.json"))
    assert not Clause.objects.get(id=ids["A.1"]).is_active

    output = import_standard(first)

    assert "updated (clauses: 0 added, 1 updated, 0 deactivated)" in output
    assert Clause.objects.get(id=ids["A.1"]).is_active
    assert clause_ids() == ids


def test_it_does_not_overwrite_an_existing_scheme(tmp_path):
    import_standard(write_json(tmp_path, library()))
    scheme = CertificationScheme.objects.get(standard__code=CODE)
    scheme.day_rate = Decimal("999.00")
    scheme.max_days_per_audit = Decimal("3")
    scheme.save()

    output = import_standard(
        write_json(tmp_path, library(scheme_preset="iaf-md5-qms", edition="2025"), "v2.json")
    )

    assert "scheme created" not in output
    assert CertificationScheme.objects.count() == 1
    scheme.refresh_from_db()
    assert scheme.day_rate == Decimal("999.00")
    assert scheme.max_days_per_audit == Decimal("3")
    assert scheme.stage1_mode == "fixed"
    assert Standard.objects.get(code=CODE).edition == "2025"


def test_it_creates_a_missing_scheme_for_an_existing_standard(tmp_path):
    Standard.objects.create(code=CODE, title="Test standard", edition="2024", accreditation_basis="17065")

    output = import_standard(write_json(tmp_path, library(description="")))

    assert "updated (clauses: 6 added" in output
    assert "scheme created from preset iso-18295" in output
    assert CertificationScheme.objects.get(standard__code=CODE).stage1_mode == "fixed"


# --- CSV -----------------------------------------------------------------------------------------

GOOD_CSV = """number,title,parent,auditable
4,Heading four,,no
4.1,General,,
4.2,Second,,yes
4.2.1,Deeper,4.1,1
A,"Annex, with a comma",,false
A.1,Annex item,,TRUE
"""


def test_it_imports_a_csv_file(tmp_path):
    path = write_text(tmp_path, GOOD_CSV, "clauses.csv")

    output = import_standard(
        path,
        "--code",
        CODE,
        "--title",
        "CSV standard",
        "--edition",
        "2024",
        "--basis",
        "17065",
        "--preset",
        "iso-18295",
    )

    assert (
        f"{CODE}: created (clauses: 6 added, 0 updated, 0 deactivated); scheme created from preset iso-18295"
        in (output)
    )
    standard = Standard.objects.get(code=CODE)
    assert (standard.title, standard.edition, standard.accreditation_basis) == (
        "CSV standard",
        "2024",
        "17065",
    )
    rows = list(
        standard.clauses.order_by("order").values_list("number", "title", "parent__number", "auditable")
    )
    assert rows == [
        ("4", "Heading four", None, False),
        ("4.1", "General", "4", True),
        ("4.2", "Second", "4", True),
        ("4.2.1", "Deeper", "4.1", True),
        ("A", "Annex, with a comma", None, False),
        ("A.1", "Annex item", "A", True),
    ]
    assert CertificationScheme.objects.get(standard=standard).max_days_per_audit == Decimal("4")


def test_it_imports_a_csv_with_only_number_and_title_and_semicolons(tmp_path):
    path = write_text(tmp_path, "\ufeffNumber;Title\n1;One\n1.1;One point one\n", "clauses.csv")

    import_standard(path, "--code", CODE, "--title", "CSV standard", "--edition", "1")

    parents = dict(Clause.objects.filter(standard__code=CODE).values_list("number", "parent__number"))
    assert parents == {"1": None, "1.1": "1"}
    # Without --basis and --preset a new standard gets the model default and the default preset.
    assert Standard.objects.get(code=CODE).accreditation_basis == "17021-1"
    assert CertificationScheme.objects.get(standard__code=CODE).stage1_mode == "share"


def test_it_updates_from_csv_keeping_metadata_not_given(tmp_path):
    import_standard(write_json(tmp_path, library()))
    ids = clause_ids()
    path = write_text(tmp_path, "number,title\n4,Heading four renamed\n4.1,General\n", "clauses.csv")

    output = import_standard(path, "--code", CODE)

    assert "updated (clauses: 0 added, 1 updated, 4 deactivated)" in output
    standard = Standard.objects.get(code=CODE)
    assert (standard.title, standard.edition, standard.description) == (
        "Test standard",
        "2024",
        "Numbers and titles for tests.",
    )
    assert clause_ids() == ids
    # The heading became auditable: the CSV has no auditable column, so it defaults to true.
    assert Clause.objects.get(id=ids["4"]).auditable is True


# --- Refused files -------------------------------------------------------------------------------


def _clauses_with(*changes: tuple[int, dict]) -> list[dict]:
    clauses = copy.deepcopy(BASE_LIBRARY["clauses"])
    for index, change in changes:
        clauses[index].update(change)
    return clauses


# Each bad file also renames the standard, so a partial write would show in the snapshot.
BAD_JSON = {
    "missing key": ({"edition": None}, "missing required key(s): edition"),
    "unknown key": ({"titel": "x"}, "unknown key(s): titel"),
    "empty number": ({"clauses": _clauses_with((1, {"number": " "}))}, "clauses[1]: number is empty"),
    # An untitled paragraph takes its parent's title; a top-level clause has none to take.
    "empty title without a parent": (
        {"clauses": _clauses_with((0, {"title": ""}))},
        "clauses[0] (number '4'): title is empty and the clause has no parent to take one from",
    ),
    "missing title without a parent": (
        {"clauses": [*BASE_LIBRARY["clauses"], {"number": "5"}]},
        "clauses[6] (number '5'): title is empty and the clause has no parent to take one from",
    ),
    "missing number": (
        {"clauses": [*BASE_LIBRARY["clauses"], {"title": "Nameless"}]},
        "clauses[6]: missing required key(s): number",
    ),
    "number not text": ({"clauses": _clauses_with((1, {"number": 4.1}))}, "clauses[1]: number must be text"),
    "duplicate number": (
        {"clauses": _clauses_with((2, {"number": "4.1"}))},
        "clauses[2] (number '4.1'): number '4.1' is already used at clauses[1] (number '4.1')",
    ),
    "given parent not in file": (
        {"clauses": _clauses_with((3, {"parent": "7"}))},
        "clauses[3] (number '4.2.1'): parent '7' (given) is not a clause in the file",
    ),
    "inferred parent not in file": (
        {"clauses": [*BASE_LIBRARY["clauses"], {"number": "5.1", "title": "Orphan"}]},
        "clauses[6] (number '5.1'): parent '5' (inferred from the number) is not a clause in the file",
    ),
    "cycle": (
        {"clauses": _clauses_with((0, {"parent": "4.2.1"}))},
        "clauses[0] (number '4'): parents form a cycle (4 -> 4.2.1 -> 4.2 -> 4)",
    ),
    "own parent": (
        {"clauses": _clauses_with((1, {"parent": "4.1"}))},
        "clauses[1] (number '4.1'): parents form a cycle (4.1 -> 4.1)",
    ),
    "unknown basis": ({"accreditation_basis": "9001"}, 'unknown accreditation basis "9001"'),
    "unknown preset": ({"scheme_preset": "fast"}, 'unknown scheme preset "fast"'),
    "bad auditable": (
        {"clauses": _clauses_with((1, {"auditable": "yes"}))},
        "clauses[1] (number '4.1'): auditable must be true or false",
    ),
    "title too long": (
        {"clauses": _clauses_with((1, {"title": "x" * 301}))},
        "clauses[1] (number '4.1'): title is 301 characters long, at most 300 allowed",
    ),
    "number too long": (
        {"clauses": _clauses_with((1, {"number": "4." + "1" * 19}))},
        "number is 21 characters long, at most 20 allowed",
    ),
    "unknown clause key": (
        {"clauses": _clauses_with((1, {"auditible": False}))},
        "clauses[1] (number '4.1'): unknown key(s): auditible",
    ),
    "clause not an object": ({"clauses": [*BASE_LIBRARY["clauses"], "5"]}, "clauses[6]: must be an object"),
    "no clauses": ({"clauses": []}, "clauses is empty"),
    "clauses not a list": ({"clauses": {"4": "Heading"}}, "clauses must be a list"),
}


@pytest.fixture
def existing(tmp_path) -> dict:
    """The standard the bad files try to change, already imported, and the database state."""
    import_standard(write_json(tmp_path, library(), "existing.json"))
    return snapshot()


@pytest.mark.parametrize(("changes", "message"), BAD_JSON.values(), ids=BAD_JSON.keys())
def test_it_refuses_a_malformed_json_file(tmp_path, existing, changes, message):
    data = library(title="Should not be written", **changes)
    data = {key: value for key, value in data.items() if value is not None}
    path = write_json(tmp_path, data, "bad.json")

    error = import_refused(path)

    assert message in error
    assert str(path) in error
    assert snapshot() == existing


def test_it_refuses_invalid_json(tmp_path, existing):
    path = write_text(tmp_path, '{"code": "TEST 1:2024",\n  "title": }', "bad.json")

    error = import_refused(path)

    assert "invalid JSON at line 2, column 12" in error
    assert snapshot() == existing


def test_it_refuses_a_json_array(tmp_path, existing):
    error = import_refused(write_text(tmp_path, "[]", "bad.json"))

    assert "one JSON object" in error
    assert snapshot() == existing


def test_it_reports_every_problem_at_once(tmp_path, existing):
    data = library(clauses=_clauses_with((1, {"title": "x" * 301}), (2, {"auditable": "no"})))

    error = import_refused(write_json(tmp_path, data, "bad.json"))

    assert "2 problems" in error
    assert "clauses[1] (number '4.1'): title is 301 characters long" in error
    assert "clauses[2] (number '4.2'): auditable must be true or false" in error
    assert snapshot() == existing


def test_it_refuses_the_whole_batch_when_one_file_is_bad(tmp_path, existing):
    good = write_json(tmp_path, library(code="OTHER 1:2024"), "good.json")
    bad = write_json(tmp_path, library(title="Should not be written", scheme_preset="fast"), "bad.json")

    error = import_refused(good, bad)

    assert "Nothing was imported" in error
    assert snapshot() == existing


def test_it_refuses_two_files_for_the_same_standard(tmp_path, existing):
    first = write_json(tmp_path, library(title="First"), "first.json")
    second = write_json(tmp_path, library(title="Second"), "second.json")

    error = import_refused(first, second)

    assert f"standard '{CODE}' is also in {first}" in error
    assert snapshot() == existing


BAD_CSV = {
    "empty title without a parent": (
        "number,title\n4,Heading\n5,\n",
        "line 3 (number '5'): title is empty and the clause has no parent to take one from",
    ),
    "empty number": ("number,title\n4,Heading\n,Nameless\n", "line 3: number is empty"),
    "blank line counted": (
        "number,title\n4,Heading\n\n5,\n",
        "line 4 (number '5'): title is empty and the clause has no parent",
    ),
    "duplicate number": (
        "number,title\n4,Heading\n4.1,One\n4.1,Again\n",
        "line 4 (number '4.1'): number '4.1' is already used at line 3 (number '4.1')",
    ),
    "given parent not in file": (
        "number,title,parent\n4,Heading,\n4.1,One,9\n",
        "line 3 (number '4.1'): parent '9' (given) is not a clause in the file",
    ),
    "inferred parent not in file": (
        "number,title\n4,Heading\n5.1,Orphan\n",
        "line 3 (number '5.1'): parent '5' (inferred from the number) is not a clause in the file",
    ),
    "cycle": (
        "number,title,parent\n4,Heading,4.1\n4.1,One,\n",
        "line 2 (number '4'): parents form a cycle (4 -> 4.1 -> 4)",
    ),
    "bad auditable": (
        "number,title,auditable\n4,Heading,no\n4.1,One,maybe\n",
        "line 3 (number '4.1'): auditable must be true/false, yes/no or 1/0",
    ),
    "title too long": (f"number,title\n4,{'x' * 301}\n", "line 2 (number '4'): title is 301 characters long"),
    "number too long": (
        f"number,title\n{'9' * 21},Long\n",
        "number is 21 characters long, at most 20 allowed",
    ),
    "wrong column count": (
        "number,title\n4,Heading,extra\n",
        "line 2: expected 2 columns (number,title), found 3",
    ),
    "missing column": ("number,parent\n4,\n", "line 1: the header lacks column(s) title"),
    "unknown column": ("number,title,text\n4,Heading,x\n", "line 1: unknown column(s) 'text'"),
    "no header": ("\n4,Heading\n", "line 1: expected the header row"),
    "header only": ("number,title\n", "the file has no clauses"),
}


@pytest.mark.parametrize(("text", "message"), BAD_CSV.values(), ids=BAD_CSV.keys())
def test_it_refuses_a_malformed_csv_file(tmp_path, existing, text, message):
    path = write_text(tmp_path, text, "bad.csv")

    error = import_refused(path, "--code", CODE, "--title", "Should not be written")

    assert message in error
    assert str(path) in error
    assert snapshot() == existing


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--basis", "9001"], 'unknown accreditation basis "9001"'),
        (["--preset", "fast"], 'unknown scheme preset "fast"'),
        (["--title", "x" * 301], "title is 301 characters long"),
    ],
)
def test_it_refuses_bad_csv_options(tmp_path, existing, options, message):
    path = write_text(tmp_path, "number,title\n4,Heading\n", "clauses.csv")

    error = import_refused(path, "--code", CODE, *options)

    assert message in error
    assert snapshot() == existing


def test_it_refuses_a_csv_without_code(tmp_path, existing):
    error = import_refused(write_text(tmp_path, "number,title\n4,Heading\n", "clauses.csv"))

    assert "--code" in error
    assert snapshot() == existing


def test_it_refuses_a_new_csv_standard_without_title_and_edition(tmp_path, existing):
    path = write_text(tmp_path, "number,title\n4,Heading\n", "clauses.csv")

    error = import_refused(path, "--code", "NEW 1:2024")

    assert "standard 'NEW 1:2024' does not exist yet: its title and edition are needed" in error
    assert snapshot() == existing


def test_it_refuses_csv_options_for_json_files(tmp_path, existing):
    error = import_refused(write_json(tmp_path, library()), "--title", "Override")

    assert "apply to CSV files only" in error
    assert snapshot() == existing


def test_it_refuses_unknown_file_types_and_missing_files(tmp_path, existing):
    error = import_refused(write_text(tmp_path, "4 Heading", "clauses.txt"), tmp_path / "missing.json")

    assert "unknown file type '.txt'" in error
    assert "missing.json: cannot read the file" in error
    assert snapshot() == existing
