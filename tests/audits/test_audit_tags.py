"""audits.templatetags.audit_tags: an audit's name and status tag, as the includes wrote them."""

from django.template import Context, Template
from django.utils import translation

from audits.models import Audit, AuditStatus, AuditType


def _render(source: str, audit) -> str:
    return Template("{% load audit_tags %}" + source).render(Context({"audit": audit}))


def test_the_label_numbers_only_the_audits_a_programme_has_several_of():
    assert _render("{% audit_label audit %}", Audit(audit_type=AuditType.STAGE2, sequence=1)) == "Stage 2"
    surveillance = Audit(audit_type=AuditType.SURVEILLANCE, sequence=2)
    assert _render("{% audit_label audit %}", surveillance) == "Surveillance 2"
    special = Audit(audit_type=AuditType.SPECIAL, sequence=3)
    assert _render("{% audit_label audit %}", special) == "Special / short-notice 3"
    with translation.override("sv"):
        assert _render("{% audit_label audit %}", surveillance) == "Uppföljningsrevision 2"


def test_the_status_tag_is_coloured_by_state():
    expected = {
        AuditStatus.PLANNED: '<span class="tag">Planned</span>',
        AuditStatus.CONFIRMED: '<span class="tag tag-info">Plan confirmed</span>',
        AuditStatus.IN_PROGRESS: '<span class="tag tag-info">In progress</span>',
        AuditStatus.CLOSED: '<span class="tag tag-ok">Closed</span>',
        AuditStatus.CANCELLED: '<span class="tag tag-bad">Cancelled</span>',
    }
    assert set(expected) == set(AuditStatus)
    for status, html in expected.items():
        assert _render("{% status_tag audit %}", Audit(status=status)) == html
    # The includes other pages use render the same.
    closed = Audit(status=AuditStatus.CLOSED, audit_type=AuditType.STAGE1, sequence=1)
    assert (
        _render('{% include "audits/includes/status_tag.html" %}', closed)
        == expected[AuditStatus.CLOSED] + "\n"
    )
    assert _render('{% include "audits/includes/audit_label.html" %}', closed) == "Stage 1"


def test_pages_documents_and_the_record_name_an_audit_alike(cast):
    organization = cast.org_a
    for audit_type, sequence, label in (
        (AuditType.STAGE1, 1, "Stage 1"),
        (AuditType.SURVEILLANCE, 1, "Surveillance 1"),
        (AuditType.SPECIAL, 1, "Special / short-notice"),
        (AuditType.SPECIAL, 2, "Special / short-notice 2"),
    ):
        audit = Audit(audit_type=audit_type, sequence=sequence, organization=organization)
        assert audit.label == _render("{% audit_label audit %}", audit) == label
        assert str(audit) == f"{label} – Nordkontakt AB"
    # Documents render under the recipient's language: the label follows the active one.
    with translation.override("sv"):
        assert Audit(audit_type=AuditType.SURVEILLANCE, sequence=2).label == "Uppföljningsrevision 2"
