"""What every page's menu needs: the person's roles and the section of the page being shown."""

from accounts.roles import is_auditor, is_staff_member
from audits.permissions import can_use_calculator
from certificates.permissions import can_list_certificates, can_see_decider
from clients.selectors import membership_of

# The main menu's sections, each claiming the URL names (namespace:name prefix) that belong to it.
NAV_SECTIONS = [
    ("certificates", ("certificates:certificate", "public:")),
    ("transfers", ("transfers:",)),
    ("calculator", ("audits:calculator",)),
    ("standards", ("standards:",)),
    ("ncrs", ("findings:nc",)),
    ("organisations", ("clients:",)),
    # Closing, the report and the decision are steps of the audit (/audits/<id>/...), listed with it.
    ("audits", ("audits:", "findings:", "reports:", "certificates:decision")),
    ("security", ("security-log",)),
    ("outbox", ("outbox:",)),
    ("complaints", ("complaints:",)),
    ("home", ("home",)),
]


def nav_section(request):
    """The main menu's section for this page, so its link is marked as the current one."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return {"nav_section": ""}
    name = match.view_name
    for section, prefixes in NAV_SECTIONS:
        if any(name == prefix or name.startswith(prefix) for prefix in prefixes):
            return {"nav_section": section}
    return {"nav_section": ""}


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "is_staff_member": False,
            "is_auditor": False,
            "is_client_user": False,
            "can_use_calculator": False,
            "can_list_certificates": False,
            "can_see_decider": False,
        }
    return {
        "is_staff_member": is_staff_member(user),
        "is_auditor": is_auditor(user),
        "is_client_user": membership_of(user) is not None,
        "can_use_calculator": can_use_calculator(user),
        "can_list_certificates": can_list_certificates(user),
        "can_see_decider": can_see_decider(user),
    }
