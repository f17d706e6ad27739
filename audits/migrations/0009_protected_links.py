"""Give the many-to-many links of programmes, audits, plan slots and certificates their own models.

Django's implicit link tables cascade, so deleting a standard, site or clause took it out of the
audits and certificates that name it without a word. The explicit links protect that side instead.
The rows are copied to the new tables, then the implicit ones are dropped; reversible.
"""

import django.db.models.deletion
from django.db import migrations, models

# (model holding the field, field, link model, link's field for the holder, for the other side)
LINKS = [
    ("certificationprogramme", "standards", "programmestandard", "programme", "standard"),
    ("audit", "standards", "auditstandard", "audit", "standard"),
    ("audit", "sites", "auditsite", "audit", "site"),
    ("planslot", "clauses", "planslotclause", "planslot", "clause"),
    ("certificate", "standards", "certificatestandard", "certificate", "standard"),
]


def _implicit_columns(through, holder_model):
    """The implicit table's two foreign-key attnames: the holder's first, then the other side's."""
    holder, other = [f for f in through._meta.fields if f.is_relation]
    if holder.related_model._meta.model_name != holder_model:
        holder, other = other, holder
    return holder.attname, other.attname


def copy_to_links(apps, schema_editor):
    for holder_model, field, link_model, holder_name, other_name in LINKS:
        implicit = getattr(apps.get_model("audits", holder_model), field).through
        link = apps.get_model("audits", link_model)
        holder_column, other_column = _implicit_columns(implicit, holder_model)
        rows = implicit.objects.values_list(holder_column, other_column).order_by("pk")
        link.objects.bulk_create(
            [link(**{f"{holder_name}_id": a, f"{other_name}_id": b}) for a, b in rows.iterator()],
            batch_size=500,
        )


def copy_back(apps, schema_editor):
    for holder_model, field, link_model, holder_name, other_name in LINKS:
        implicit = getattr(apps.get_model("audits", holder_model), field).through
        link = apps.get_model("audits", link_model)
        holder_column, other_column = _implicit_columns(implicit, holder_model)
        rows = link.objects.values_list(f"{holder_name}_id", f"{other_name}_id").order_by("pk")
        implicit.objects.bulk_create(
            [implicit(**{holder_column: a, other_column: b}) for a, b in rows.iterator()],
            batch_size=500,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0008_decisions_certificates"),
        ("clients", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProgrammeStandard",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "programme",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, to="audits.certificationprogramme"
                    ),
                ),
                ("standard", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="audits.standard")),
            ],
            options={
                "verbose_name": "standard of a programme",
                "verbose_name_plural": "standards of programmes",
                "constraints": [
                    models.UniqueConstraint(fields=("programme", "standard"), name="programme_standard_once")
                ],
            },
        ),
        migrations.CreateModel(
            name="AuditStandard",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("audit", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="audits.audit")),
                ("standard", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="audits.standard")),
            ],
            options={
                "verbose_name": "standard of an audit",
                "verbose_name_plural": "standards of audits",
                "constraints": [models.UniqueConstraint(fields=("audit", "standard"), name="audit_standard_once")],
            },
        ),
        migrations.CreateModel(
            name="AuditSite",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("audit", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="audits.audit")),
                ("site", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="clients.site")),
            ],
            options={
                "verbose_name": "site of an audit",
                "verbose_name_plural": "sites of audits",
                "constraints": [models.UniqueConstraint(fields=("audit", "site"), name="audit_site_once")],
            },
        ),
        migrations.CreateModel(
            name="PlanSlotClause",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("planslot", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="audits.planslot")),
                ("clause", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="audits.clause")),
            ],
            options={
                "verbose_name": "clause of a plan slot",
                "verbose_name_plural": "clauses of plan slots",
                "constraints": [
                    models.UniqueConstraint(fields=("planslot", "clause"), name="plan_slot_clause_once")
                ],
            },
        ),
        migrations.CreateModel(
            name="CertificateStandard",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "certificate",
                    models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="audits.certificate"),
                ),
                ("standard", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="audits.standard")),
            ],
            options={
                "verbose_name": "standard of a certificate",
                "verbose_name_plural": "standards of certificates",
                "constraints": [
                    models.UniqueConstraint(fields=("certificate", "standard"), name="certificate_standard_once")
                ],
            },
        ),
        migrations.RunPython(copy_to_links, copy_back),
        migrations.RemoveField(model_name="certificationprogramme", name="standards"),
        migrations.RemoveField(model_name="audit", name="standards"),
        migrations.RemoveField(model_name="audit", name="sites"),
        migrations.RemoveField(model_name="planslot", name="clauses"),
        migrations.RemoveField(model_name="certificate", name="standards"),
        migrations.AddField(
            model_name="certificationprogramme",
            name="standards",
            field=models.ManyToManyField(
                related_name="programmes",
                through="audits.ProgrammeStandard",
                to="audits.standard",
                verbose_name="standards",
            ),
        ),
        migrations.AddField(
            model_name="audit",
            name="standards",
            field=models.ManyToManyField(
                related_name="audits", through="audits.AuditStandard", to="audits.standard", verbose_name="standards"
            ),
        ),
        migrations.AddField(
            model_name="audit",
            name="sites",
            field=models.ManyToManyField(
                blank=True,
                related_name="audits",
                through="audits.AuditSite",
                to="clients.site",
                verbose_name="sites to visit",
            ),
        ),
        migrations.AddField(
            model_name="planslot",
            name="clauses",
            field=models.ManyToManyField(
                blank=True,
                related_name="plan_slots",
                through="audits.PlanSlotClause",
                to="audits.clause",
                verbose_name="clauses",
            ),
        ),
        migrations.AddField(
            model_name="certificate",
            name="standards",
            field=models.ManyToManyField(
                related_name="certificates",
                through="audits.CertificateStandard",
                to="audits.standard",
                verbose_name="standards",
            ),
        ),
    ]
