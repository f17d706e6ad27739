"""manage.py export_organization: one organisation's whole record, its files checksummed, nobody else's."""

import datetime
import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image

from accounts.models import SecurityEvent, SecurityEventKind
from audits.models import Audit, AuditStatus, AuditType, TeamRole
from audits.services import (
    audit_compute_time,
    audit_update,
    plan_day_add,
    plan_slot_add,
    programme_create,
    team_member_add,
)
from certificates.services import decision_record
from core.actors import SYSTEM
from findings.evidence import evidence_add
from findings.models import Evidence, Nonconformity
from findings.ncr import internal_note_add, nonconformity_respond
from findings.services import finding_create
from reports.services import audit_close
from tests.factories import CompetenceFactory, closing_report, ready_to_certify


def png(name: str, colour: str) -> SimpleUploadedFile:
    # A colour per file, so no two files share a checksum by accident.
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _answer(nonconformity, user, file):
    nonconformity_respond(
        nonconformity=nonconformity,
        user=user,
        correction="Trend report made for the last quarter.",
        root_cause="No one owned the complaint statistics.",
        corrective_action="Monthly trend review in the management meeting.",
        files=[file],
    )


@pytest.fixture
def org_a(cast, onsite_audit, django_capture_on_commit_callbacks):
    """Nordkontakt: a closed stage 2 with a shared and a team-only photo, an answered NC, a certificate."""
    audit = onsite_audit
    audit_update(actor=SYSTEM, audit=audit, scope="Inbound customer service by telephone, e-mail and chat.")
    finding = finding_create(
        audit=audit,
        user=cast.lead,
        clause=audit.clause_41,
        site=audit.stockholm,
        grade="minor",
        statement="No trend analysis of complaints.",
    )
    evidence_add(
        finding=finding, user=cast.lead, upload=png("complaints-board.png", "red"), visibility="client"
    )
    evidence_add(
        finding=finding, user=cast.lead, upload=png("auditor-scribbles.png", "green"), visibility="team"
    )
    with django_capture_on_commit_callbacks(execute=True):
        audit_close(audit=audit, **closing_report(audit), user=cast.lead, recommendation="certify")
    nonconformity = Nonconformity.objects.get(audit=audit)
    with django_capture_on_commit_callbacks(execute=True):
        _answer(nonconformity, cast.client, png("trend-report.png", "blue"))
    internal_note_add(nonconformity=nonconformity, user=cast.lead, text="Ask about the CRM export next time.")
    # Certified on Stockholm alone, the one site audited, once the answer is accepted.
    audit.sites.set([audit.stockholm])
    ready_to_certify(audit)
    with django_capture_on_commit_callbacks(execute=True):
        decision_record(audit=audit, user=cast.staff, outcome="grant", rationale="Requirements met.")
    return audit


@pytest.fixture
def org_b(cast, django_capture_on_commit_callbacks):
    """Kundtjänst Norr: its own closed stage 2 with a finding, a photo and an answer by its user."""
    cast.other.first_name, cast.other.last_name = "Ingegerd", "Zetterqvist-Björk"
    cast.other.save(update_fields=["first_name", "last_name"])
    programme = programme_create(actor=SYSTEM, organization=cast.org_b, standards=[cast.standard])
    audit = programme.audits.get(audit_type=AuditType.STAGE2)
    today = timezone.localdate()
    audit_update(
        actor=SYSTEM,
        audit=audit,
        start_date=today,
        end_date=today + datetime.timedelta(days=1),
        scope="Norrland outbound telemarketing.",
    )
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    member = team_member_add(actor=SYSTEM, audit=audit, user=cast.auditor, role=TeamRole.LEAD_AUDITOR)
    audit_compute_time(actor=SYSTEM, audit=audit, seed=3)
    lulea = cast.org_b.sites.get()
    day = plan_day_add(actor=SYSTEM, audit=audit, date=today, site=lulea)
    plan_slot_add(
        actor=SYSTEM,
        day=day,
        start=datetime.time(9),
        end=datetime.time(12),
        member=member,
        activity="Outbound calls",
        clauses=[cast.standard.clauses.get(number="4.1")],
    )
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.CONFIRMED)
    finding = finding_create(
        audit=audit,
        user=cast.auditor,
        clause=cast.standard.clauses.get(number="4.1"),
        site=lulea,
        grade="minor",
        statement="Norrland scripts not approved.",
    )
    evidence_add(
        finding=finding, user=cast.auditor, upload=png("norrland-script.png", "yellow"), visibility="client"
    )
    with django_capture_on_commit_callbacks(execute=True):
        audit_close(audit=audit, **closing_report(audit), user=cast.auditor, recommendation="certify")
    nonconformity = Nonconformity.objects.get(audit=audit)
    with django_capture_on_commit_callbacks(execute=True):
        _answer(nonconformity, cast.other, png("norrland-answer.png", "purple"))
    return audit


def export(organization, out: Path, *args) -> tuple[Path, dict, str]:
    stdout = io.StringIO()
    call_command("export_organization", str(organization.pk), "--out", str(out), *args, stdout=stdout)
    return out, json.loads((out / "manifest.json").read_text()), (out / "data.json").read_text()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _org_b_strings(cast, org_b) -> list[str]:
    nonconformity = Nonconformity.objects.get(audit=org_b)
    return [
        cast.org_b.legal_name,
        cast.org_b.org_number,
        "Luleå",
        '"other"',  # the username, as a JSON string
        cast.other.email,
        "Ingegerd",
        "Zetterqvist-Björk",
        "Norrland",
        "norrland-script",
        "norrland-answer",
        nonconformity.number,
    ]


def test_it_exports_every_file_with_a_checksum_that_matches(cast, org_a, org_b, tmp_path):
    out, manifest, _ = export(cast.org_a, tmp_path / "export", "--include-internal")

    listed = {entry["path"]: entry for entry in manifest["files"]}
    on_disk = {
        path.relative_to(out).as_posix()
        for path in out.rglob("*")
        if path.is_file() and path.name not in ("manifest.json", "SHA256SUMS")
    }
    assert set(listed) == on_disk
    for relative, entry in listed.items():
        assert entry["sha256"] == _sha256(out / relative), relative
        assert entry["size"] == (out / relative).stat().st_size, relative
    # SHA256SUMS is what `sha256sum -c` reads: every file, the manifest too.
    sums = dict(reversed(line.split("  ", 1)) for line in (out / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == {*listed, "manifest.json"}
    for relative, digest in sums.items():
        assert digest == _sha256(out / relative)
    assert manifest["problems"] == []

    sources = sorted(entry["source"].split(" ")[0] for entry in manifest["files"])
    # The records, two photos, the client's answer file, the report and NC summary PDFs, the NCR
    # PDFs (one per step) and the certificate's PDF.
    assert sources.count("evidence") == 2
    assert sources.count("certificate") == 1
    assert any(entry["source"].startswith("audit ") for entry in manifest["files"])
    nc_files = [entry for entry in manifest["files"] if entry["source"].startswith("nonconformity")]
    assert any("file" in entry["source"] for entry in nc_files)
    assert any("document" in entry["source"] for entry in nc_files)
    # Each evidence file is the one uploaded: the digest taken at upload matches the copy.
    for evidence in Evidence.objects.filter(audit=org_a):
        assert evidence.sha256 in {entry["sha256"] for entry in manifest["files"]}


def test_it_holds_no_other_organisations_data(cast, org_a, org_b, tmp_path):
    out, manifest, data = export(cast.org_a, tmp_path / "export", "--include-internal")
    names = "\n".join(path.relative_to(out).as_posix() for path in out.rglob("*"))
    everything = "\n".join(
        [data, names, (out / "manifest.json").read_text(), (out / "SHA256SUMS").read_text()]
    )
    for text in _org_b_strings(cast, org_b):
        assert text not in everything, text
    org_b_digests = {evidence.sha256 for evidence in Evidence.objects.filter(audit=org_b)}
    assert org_b_digests.isdisjoint(entry["sha256"] for entry in manifest["files"])
    # ...while org_a's own records are all there.
    record = json.loads(data)
    assert record["organization"]["legal_name"] == "Nordkontakt AB"
    assert [site["name"] for site in record["sites"]] == ["Stockholm", "Göteborg", "Malmö"]
    assert {audit["id"] for audit in record["audits"]} == set(cast.org_a.audits.values_list("pk", flat=True))


def test_it_writes_the_whole_record(cast, org_a, tmp_path):
    _, _, data = export(cast.org_a, tmp_path / "export", "--include-internal")
    record = json.loads(data)
    stage2 = next(audit for audit in record["audits"] if audit["id"] == org_a.pk)
    assert stage2["status"] == "closed"
    assert stage2["time_calculation"]["seed"] == 5
    assert [member["username"] for member in stage2["team"]] == ["lead"]
    assert stage2["plan"][0]["slots"][0]["clauses"] == ["4.1"]
    assert {document["kind"] for document in stage2["documents"]} >= {"report"}
    (finding,) = record["findings"]
    assert finding["clause"]["number"] == "4.1"
    assert [change["action"] for change in finding["history"]] == [
        "created",
        "evidence_added",
        "evidence_added",
    ]
    (nonconformity,) = record["nonconformities"]
    assert nonconformity["responses"][0]["submitted_by"]["username"] == "client"
    assert nonconformity["internal_notes"][0]["text"] == "Ask about the CRM export next time."
    (decision,) = record["decisions"]
    assert decision["outcome"] == "grant"
    (certificate,) = record["certificates"]
    assert certificate["revisions"][0]["file"].startswith("files/certificates/")
    assert certificate["events"][0]["kind"] == "issued"
    (client_user,) = record["client_users"]
    assert client_user == {
        "username": "client",
        "name": cast.client.get_full_name(),
        "email": "client@example.com",
        "role": "admin",
        "language": "en",
        "is_active": True,
        "member_since": client_user["member_since"],
    }
    # No password hash of anyone, in any field.
    assert "password" not in data
    assert cast.client.password not in data


def test_it_leaves_out_what_only_the_certification_body_sees_by_default(cast, org_a, tmp_path):
    _, manifest, data = export(cast.org_a, tmp_path / "export")
    record = json.loads(data)
    assert record["include_internal"] is False
    assert "Ask about the CRM export" not in data
    assert "auditor-scribbles" not in data
    team_only = Evidence.objects.get(original_name="auditor-scribbles.png")
    assert team_only.sha256 not in {entry["sha256"] for entry in manifest["files"]}
    (finding,) = record["findings"]
    assert "history" not in finding
    assert [item["original_name"] for item in finding["files"]] == ["complaints-board.png"]
    assert "internal_notes" not in record["nonconformities"][0]


def test_it_leaves_out_findings_of_an_audit_not_yet_closed_by_default(cast, onsite_audit, tmp_path):
    finding_create(
        audit=onsite_audit, user=cast.lead, clause=onsite_audit.clause_41, site=None, grade="conforming"
    )
    _, _, data = export(cast.org_a, tmp_path / "client")
    assert json.loads(data)["findings"] == []
    _, _, internal = export(cast.org_a, tmp_path / "internal", "--include-internal")
    assert len(json.loads(internal)["findings"]) == 1


def test_it_records_the_export_in_the_security_log(cast, org_a, tmp_path):
    export(cast.org_a, tmp_path / "export")
    (event,) = SecurityEvent.objects.filter(kind=SecurityEventKind.EXPORT)
    assert event.organization == cast.org_a
    assert event.target == f"organisation {cast.org_a.pk}"
    assert event.details["include_internal"] is False
    assert event.details["directory"] == str(tmp_path / "export")


def test_it_names_a_missing_file_instead_of_failing(cast, org_a, tmp_path):
    shared = Evidence.objects.get(original_name="complaints-board.png")
    shared.file.storage.delete(shared.file.name)
    stderr = io.StringIO()
    out = tmp_path / "export"
    call_command(
        "export_organization", str(cast.org_a.pk), "--out", str(out), stdout=io.StringIO(), stderr=stderr
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["problems"] == [
        f"evidence {shared.pk}: the file {shared.file.name} is missing from storage."
    ]
    assert "missing from storage" in stderr.getvalue()
    (finding,) = json.loads((out / "data.json").read_text())["findings"]
    assert finding["files"][0]["file"] is None


def test_it_refuses_an_unknown_organisation(db, tmp_path):
    with pytest.raises(CommandError, match="No organisation has the id 999999"):
        call_command("export_organization", "999999", "--out", str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()


def test_it_refuses_a_directory_that_is_not_empty(cast, tmp_path):
    (tmp_path / "old.txt").write_text("an earlier export")
    with pytest.raises(CommandError, match="not empty"):
        call_command("export_organization", str(cast.org_a.pk), "--out", str(tmp_path))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["old.txt"]


def test_it_writes_to_var_exports_by_default(cast, settings, tmp_path):
    settings.BASE_DIR = tmp_path
    call_command("export_organization", str(cast.org_a.pk), stdout=io.StringIO())
    (directory,) = (tmp_path / "var" / "exports").iterdir()
    assert directory.name.startswith(f"{cast.org_a.org_number}-")
    assert (directory / "data.json").exists()
    assert (directory / "SHA256SUMS").exists()
