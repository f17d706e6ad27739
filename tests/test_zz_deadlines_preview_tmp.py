import datetime
from django.core import mail
from findings.deadlines import deadlines_run, suspension_candidates
from tests.test_deadlines import _raise, _raised_days_ago
from django.utils import timezone, translation

def test_preview(cast, onsite_audit):
    cast.staff.language = "sv"; cast.staff.save()
    minor, major = _raise(onsite_audit, cast.lead, "minor", "major", site=onsite_audit.stockholm)
    mail.outbox.clear()
    deadlines_run(today=minor.response_due - datetime.timedelta(days=7))
    deadlines_run(today=major.close_due + datetime.timedelta(days=2))
    for m in mail.outbox:
        print("TO", m.to, "SUBJECT", m.subject); print(m.body); print("-----")
    _raised_days_ago(minor, 95)
    for lang in ("en", "sv"):
        with translation.override(lang):
            for c in suspension_candidates(today=major.close_due + datetime.timedelta(days=2)):
                print(c.organization, c.reason)
