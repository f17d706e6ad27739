"""The outcome letter of a decided complaint or appeal (ISO/IEC 17021-1 9.7, 9.8: the outcome is
communicated formally), in the submitter's language. Rendered to bytes here; made and kept by the
outbox task complaints.tasks.generate_outcome_letter."""

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from complaints.models import Appeal, Complaint, OutcomeLetter
from core import pdf

logger = logging.getLogger(__name__)

LETTER_TEMPLATE_VERSION = "1"


def _case_title(case) -> str:
    return _("Complaint") if isinstance(case, Complaint) else _("Appeal")


def outcome_letter_render(*, case: Complaint | Appeal) -> bytes:
    """The letter as PDF bytes, in the active language. Reads the case; writes nothing."""
    title = _("Outcome of %(case)s %(number)s") % {"case": _case_title(case).lower(), "number": case.number}
    rows = [
        (_("Reference number"), case.number),
        (_("To"), case.submitter_name),
        (_("Subject"), case.subject),
        (_("Received"), pdf.format_date(case.received_on)),
        (_("Decided"), pdf.format_date(case.decided_on)),
        (_("Outcome"), case.get_outcome_display()),
    ]
    if isinstance(case, Appeal):
        rows.insert(3, (_("Appeal against"), case.get_against_display()))
    story = [
        pdf.para(title, "title"),
        pdf.summary_table(rows),
        pdf.para(_("Reasons"), "h2"),
        *pdf.paragraphs(case.reasons),
        pdf.para(
            _(
                "%(body)s handled this case impartially: it was decided by someone not involved in what "
                "it is about, and filing it does not affect how we treat you."
            )
            % {"body": settings.CERTIFICATION_BODY_NAME},
            "small",
        ),
    ]
    return pdf.build_pdf(story, title=title, subject=case.subject)


@transaction.atomic
def outcome_letter_store(*, case: Complaint | Appeal) -> OutcomeLetter | None:
    """Make and keep the letter in the submitter's language; None when the case has no outcome or
    already has its letter (a task run twice makes one letter)."""
    if not case.outcome:
        return None
    letter, created = OutcomeLetter.objects.select_for_update().get_or_create(
        case_number=case.number, defaults={"language": case.submitter_language}
    )
    if not created and letter.file:
        return None
    with translation.override(case.submitter_language or settings.LANGUAGE_CODE):
        content = outcome_letter_render(case=case)
    letter.language = case.submitter_language
    letter.file.save(f"{case.number}.pdf", ContentFile(content), save=False)
    letter.template_version = LETTER_TEMPLATE_VERSION
    letter.save(update_fields=["language", "file", "template_version"])
    logger.info("Stored outcome letter %s (%s bytes).", letter.file.name, len(content))
    return letter


def outcome_letter_of(case) -> OutcomeLetter | None:
    letter = OutcomeLetter.objects.filter(case_number=case.number).first()
    return letter if letter is not None and letter.file else None
