"""An existing database upgrades with `migrate` when models move between apps.

tests/fixtures/demo_before_apps_split.sql.gz is the demo database (`migrate`, `load_standards`,
`seed_demo`) as the migrations made it before standards, decisions and certificates left audits
(`sqlite3 … .dump | gzip`). It is loaded into a fresh SQLite file and migrated by today's code in a
subprocess; then every record is still there with the same key fields, the moved models' content
types carry their new app label, the outbox names the moved tasks by their new names, and the
models need no further migration.
"""

import gzip
import json
import sqlite3

import pytest

from tests.conftest import ROOT, run_manage

DUMP = ROOT / "tests" / "fixtures" / "demo_before_apps_split.sql.gz"

# Each record's key fields, read before (SQL on the old tables) and after (the ORM on today's models).
BEFORE = {
    "organisations": "SELECT org_number, legal_name FROM clients_organization",
    "standards": "SELECT code, edition, title FROM audits_standard",
    "clauses": "SELECT s.code, c.number, c.title, c.is_active FROM audits_clause c"
    " JOIN audits_standard s ON s.id = c.standard_id",
    "schemes": "SELECT s.code, m.cycle_months, m.nc_response_days FROM audits_certificationscheme m"
    " JOIN audits_standard s ON s.id = m.standard_id",
    "decisions": "SELECT audit_id, outcome, decided_on FROM audits_decision",
    "certificates": "SELECT number, entity_name, status, expiry_date, revision FROM audits_certificate",
    "certified_standards": "SELECT c.number, s.code FROM audits_certificatestandard l"
    " JOIN audits_certificate c ON c.id = l.certificate_id JOIN audits_standard s ON s.id = l.standard_id",
    "findings": "SELECT id, audit_id, clause_id, grade, statement FROM findings_finding",
    "nonconformities": "SELECT number, grade, status, response_due FROM findings_nonconformity",
    "planned_clauses": "SELECT planslot_id, clause_id FROM audits_planslotclause",
    "competences": "SELECT c.user_id, s.code, c.role FROM audits_competence c"
    " JOIN audits_standard s ON s.id = c.standard_id",
}

AFTER = """
import json
from audits.models import Competence, PlanSlotClause
from certificates.models import Certificate, CertificateStandard, Decision
from clients.models import Organization
from django.contrib.contenttypes.models import ContentType
from findings.models import Finding, Nonconformity
from outbox.models import OutboxMessage
from standards.models import CertificationScheme, Clause, Standard

def rows(queryset, *fields):
    return [[str(value) if not isinstance(value, (int, bool)) else value for value in row]
            for row in queryset.values_list(*fields)]

print(json.dumps({
    "organisations": rows(Organization.objects, "org_number", "legal_name"),
    "standards": rows(Standard.objects, "code", "edition", "title"),
    "clauses": rows(Clause.objects, "standard__code", "number", "title", "is_active"),
    "schemes": rows(CertificationScheme.objects, "standard__code", "cycle_months", "nc_response_days"),
    "decisions": rows(Decision.objects, "audit_id", "outcome", "decided_on"),
    "certificates": rows(Certificate.objects, "number", "entity_name", "status", "expiry_date", "revision"),
    "certified_standards": rows(CertificateStandard.objects, "certificate__number", "standard__code"),
    "findings": rows(Finding.objects, "id", "audit_id", "clause_id", "grade", "statement"),
    "nonconformities": rows(Nonconformity.objects, "number", "grade", "status", "response_due"),
    "planned_clauses": rows(PlanSlotClause.objects, "planslot_id", "clause_id"),
    "competences": rows(Competence.objects, "user_id", "standard__code", "role"),
    "content_types": rows(ContentType.objects, "app_label", "model"),
    "permissions": {
        f"{app}.{model}": count
        for app, model, count in [
            (ct.app_label, ct.model, ct.permission_set.count()) for ct in ContentType.objects.all()
        ]
    },
    "tasks": sorted({message.task for message in OutboxMessage.objects.all()}),
}))
"""

MOVED = {
    "standards": ["standard", "clause", "certificationscheme"],
    "certificates": [
        "decision",
        "certificate",
        "certificatestandard",
        "certificatesite",
        "certificaterevision",
        "certificateevent",
    ],
}


def _normalised(rows):
    return sorted(
        [str(value) if not isinstance(value, int | bool) else value for value in row] for row in rows
    )


@pytest.fixture(scope="module")
def upgrade(tmp_path_factory):
    """The old demo database: its key fields before, then migrated by today's code, then read again."""
    path = tmp_path_factory.mktemp("upgrade") / "old.sqlite3"
    with sqlite3.connect(path) as database:
        database.executescript(gzip.decompress(DUMP.read_bytes()).decode())
        before = {name: _normalised(database.execute(query).fetchall()) for name, query in BEFORE.items()}
        before["permissions"] = dict(
            database.execute(
                "SELECT ct.app_label || '.' || ct.model, COUNT(p.id) FROM django_content_type ct"
                " LEFT JOIN auth_permission p ON p.content_type_id = ct.id GROUP BY ct.id"
            ).fetchall()
        )
        before["tasks"] = sorted(
            row[0] for row in database.execute("SELECT DISTINCT task FROM outbox_outboxmessage")
        )
    env = {"DATABASE_URL": f"sqlite:///{path}"}
    migrated = run_manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr + migrated.stdout
    read = run_manage("shell", "-v", "0", "-c", AFTER, env=env)
    assert read.returncode == 0, read.stderr
    after = json.loads(read.stdout.strip().splitlines()[-1])
    return {"before": before, "after": after, "env": env, "migrate": migrated.stdout}


def test_the_old_database_is_upgraded_by_the_moves(upgrade):
    assert "Applying standards.0001_initial... OK" in upgrade["migrate"]
    assert "Applying certificates.0001_initial... OK" in upgrade["migrate"]
    assert "Applying audits.0012_certificates_to_their_app... OK" in upgrade["migrate"]


@pytest.mark.parametrize("records", list(BEFORE))
def test_every_record_is_still_there_with_its_key_fields(records, upgrade):
    before, after = upgrade["before"][records], _normalised(upgrade["after"][records])
    assert before, f"the old demo database has no {records}: the comparison would prove nothing"
    assert after == before


def test_the_moved_models_content_types_carry_their_new_app_label(upgrade):
    labels = {tuple(row) for row in upgrade["after"]["content_types"]}
    for app, models in MOVED.items():
        for model in models:
            assert (app, model) in labels
            assert ("audits", model) not in labels


def test_the_moved_models_keep_their_permissions(upgrade):
    # The content type rows are renamed, not made anew: the permissions (and the role groups'
    # links to them) follow, none is duplicated and none is lost.
    before, after = upgrade["before"]["permissions"], upgrade["after"]["permissions"]
    for app, models in MOVED.items():
        for model in models:
            assert after[f"{app}.{model}"] == before[f"audits.{model}"] == 4
    moved = {model for models in MOVED.values() for model in models}
    unmoved = {label: count for label, count in before.items() if label.split(".")[1] not in moved}
    assert {label: after.get(label) for label in unmoved} == unmoved


def test_the_outbox_names_the_moved_tasks_by_their_new_names(upgrade):
    before, after = upgrade["before"]["tasks"], upgrade["after"]["tasks"]
    assert "audits.tasks.generate_report_pdf" in before
    assert "audits.tasks.generate_certificate_pdf" in before
    renamed = {
        "audits.tasks.generate_report_pdf": "reports.tasks.generate_report_pdf",
        "audits.tasks.generate_certificate_pdf": "certificates.tasks.generate_certificate_pdf",
    }
    assert after == sorted(renamed.get(task, task) for task in before)


def test_the_upgraded_models_need_no_further_migration(upgrade):
    result = run_manage("makemigrations", "--check", "--dry-run", env=upgrade["env"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert run_manage("migrate", "--check", env=upgrade["env"]).returncode == 0
