"""The pre-transfer review's checklist (IAF MD 2:2017, 2.2), as data.

Each item is a question the competent reviewer answers (confirmed, a concern, or not applicable)
with a note saying what was seen. The review is complete when every item is answered so.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

RULE_REVIEW = "IAF MD 2:2017 2.2"


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    question: Promise


ITEMS = (
    ChecklistItem(
        "certificate_valid",
        _("The certificate is authentic and valid for the sites and scope applied for, and not suspended."),
    ),
    ChecklistItem(
        "accreditation",
        _("The certificate was issued under accreditation by a body that signed the IAF MLA."),
    ),
    ChecklistItem(
        "within_our_scope", _("The client's certified activities fall within our accredited scope.")
    ),
    ChecklistItem("reasons", _("The reasons for seeking the transfer are known and acceptable.")),
    ChecklistItem("sites", _("Every site to be transferred holds the valid certification.")),
    ChecklistItem(
        "audit_reports",
        _(
            "The last certification or recertification report and the latest surveillance report "
            "were reviewed."
        ),
    ),
    ChecklistItem(
        "nonconformities",
        _("Every open nonconformity is known: majors closed, minors with an accepted correction plan."),
    ),
    ChecklistItem("complaints", _("Complaints received and the actions taken were reviewed.")),
    ChecklistItem("cycle_stage", _("The stage in the current certification cycle is established.")),
    ChecklistItem("regulatory", _("Any current engagement with regulators on legal compliance is known.")),
    ChecklistItem(
        "issuing_body_contact",
        _("The issuing body was contacted to confirm the certificate's status, or why not is recorded."),
    ),
)
QUESTIONS = {item.code: item.question for item in ITEMS}
