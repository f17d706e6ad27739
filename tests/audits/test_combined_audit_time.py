"""Combined audits of several standards (shared/DOMAIN.md "Combined and integrated audits", IAF MD 11),
on unsaved schemes: no database is touched.

Worked by hand for 155 effective personnel at one site, ISO 9001 + ISO 18295-1:
ISO 9001's table (IAF MD 5, 126-175) gives 8 days, ISO 18295's policy table (101-250) 2.5 days;
the combined audit starts from 8 + 2.5 = 10.5 days. With the largest reduction for integration,
20 %: 10.5 x 0.8 = 8.4 -> 8.5 days, not below ISO 9001's 8. Surveillance is 1/3 of that combined
total: 8.5 x 0.3333 = 2.83 -> 3.0 (ISO 9001 alone: 2.5); recertification 8.5 x 0.6667 = 5.67 -> 5.5.
"""

from decimal import Decimal

import pytest
from django.utils import translation

from audits.audit_time import (
    AuditTimeError,
    Integration,
    calculate_audit_time,
    calculate_combined_audit_time,
    combined_policy,
)
from standards.models import CertificationScheme, Standard
from standards.policy import SCHEME_PRESETS

FULLY_INTEGRATED = Integration(
    Decimal("20"), "One manual, one management review, one internal audit programme"
)


def _scheme(preset: str, code: str, **changes) -> CertificationScheme:
    return CertificationScheme(standard=Standard(code=code), **{**SCHEME_PRESETS[preset], **changes})


def qms(**changes) -> CertificationScheme:
    return _scheme("iaf-md5-qms", "ISO 9001:2015", **changes)


def contact_centre(**changes) -> CertificationScheme:
    return _scheme("iso-18295", "ISO 18295-1:2017", **changes)


def combined(personnel=155, sites=1, audit_type="initial", integration=None, schemes=None, **kwargs):
    return calculate_combined_audit_time(
        schemes=schemes or [qms(), contact_centre()],
        personnel=Decimal(str(personnel)),
        sites=sites,
        audit_type=audit_type,
        integration=integration,
        **kwargs,
    )


def test_it_sums_each_standards_own_time_not_the_first_standards():
    result = combined()
    assert [(part.standard, part.initial_days) for part in result.parts] == [
        ("ISO 18295-1:2017", Decimal("2.5")),
        ("ISO 9001:2015", Decimal("8.0")),
    ]
    assert result.combined_days == result.initial_days == result.days == Decimal("10.5")
    assert result.standard == "ISO 18295-1:2017 + ISO 9001:2015"
    assert "Combined audit of 2 standards (IAF MD 11): 2.5 + 8.0 = 10.5 days." in result.justification


def test_it_reduces_the_sum_for_integration_to_the_half_day():
    result = combined(integration=FULLY_INTEGRATED)
    assert result.combined_days == Decimal("10.5")
    # 10.5 x 0.8 = 8.4 -> 8.5.
    assert result.days == Decimal("8.5")
    assert result.integration == FULLY_INTEGRATED
    assert (
        "Reduction of 20 % for the integration of the client's management system (at most 20 %): "
        "One manual, one management review, one internal audit programme."
    ) in result.justification
    assert (
        "Initial audit time: 10.5 less 20 % = 8.4 days, to the nearest half day (ties up): 8.5 days."
        in result.justification
    )


def test_it_shows_each_standards_part_in_the_justification():
    justification = combined(sites=3, integration=FULLY_INTEGRATED).justification
    assert "ISO 9001:2015 on its own, by its own table and policy:" in justification
    assert "Effective personnel 155 -> table value 8.0 days (ISO 9001:2015 table: 126-175 personnel)." in (
        justification
    )
    assert "ISO 18295-1:2017 on its own, by its own table and policy:" in justification
    # ISO 18295's policy adds half a day per sampled site; ISO 9001's adds nothing.
    assert "Initial audit time: 2.5 + 1.0 = 3.5 days, to the nearest half day (ties up): 3.5 days." in (
        justification
    )
    assert "Combined audit of 2 standards (IAF MD 11): 3.5 + 8.0 = 11.5 days." in justification
    # The sample is told once, for both standards.
    assert sum("sites including the central function" in line for line in justification) == 1


def test_it_splits_the_combined_initial_audit_into_stages():
    result = combined(integration=FULLY_INTEGRATED)
    # Stage 1: 2.5 (ISO 9001) + 0.5 (ISO 18295) = 3.0, less 20 % = 2.4 -> 2.5.
    assert (result.stage1_days, result.stage2_days) == (Decimal("2.5"), Decimal("6.0"))
    # ISO 9001's stage 1 is on site, so the combined one is too.
    assert result.onsite_days == Decimal("8.5")


def test_it_refuses_more_than_20_percent_for_integration():
    with pytest.raises(AuditTimeError) as caught:
        combined(integration=Integration(Decimal("20.5"), "Fully integrated"))
    assert caught.value.field == "integration"
    assert caught.value.message == (
        "A reduction of 20.5 % for integration exceeds the 20 % the schemes allow for a combined audit "
        "(IAF MD 11)."
    )


def test_it_holds_integration_to_the_smallest_limit_of_the_schemes():
    schemes = [qms(), contact_centre(integration_max_reduction_percent=10)]
    assert combined(schemes=schemes, integration=Integration(Decimal("10"), "One manual")).days == Decimal(
        "9.5"
    )
    with pytest.raises(AuditTimeError, match="exceeds the 10 %"):
        combined(schemes=schemes, integration=Integration(Decimal("15"), "One manual"))


def test_it_never_goes_below_the_largest_single_standards_time():
    # 10,000 personnel: ISO 9001 22 days (8501-10700), ISO 18295 5 days; 27 x 0.8 = 21.6 -> 21.5.
    result = combined(personnel=10_000, integration=FULLY_INTEGRATED)
    assert [part.initial_days for part in result.parts] == [Decimal("5.0"), Decimal("22.0")]
    assert result.days == Decimal("22.0")
    assert (
        "Initial audit time: 27.0 less 20 % = 21.6 days, to the nearest half day (ties up): 21.5 days, "
        "raised to the largest single standard's 22.0 days."
    ) in result.justification
    alone = calculate_audit_time(scheme=qms(), personnel=Decimal(10_000), sites=1, audit_type="initial")
    assert result.days == alone.days


def test_it_takes_the_surveillance_share_of_the_combined_total():
    surveillance = combined(audit_type="surveillance", integration=FULLY_INTEGRATED)
    # 8.5 x 0.3333 = 2.83 -> 3.0; ISO 9001 alone would be 2.5.
    assert surveillance.initial_days == Decimal("8.5")
    assert surveillance.days == Decimal("3.0")
    assert (surveillance.stage1_days, surveillance.stage2_days) == (None, None)
    assert (
        "Surveillance audit: 0.3333 × 8.5 days = 2.83305, to the nearest half day: 3.0 days"
        in (surveillance.justification[-2])
    )
    # Without integration: 10.5 x 0.3333 = 3.4997 -> 3.5.
    assert combined(audit_type="surveillance").days == Decimal("3.5")


def test_it_takes_the_recertification_share_of_the_combined_total():
    # 8.5 x 0.6667 = 5.667 -> 5.5.
    assert combined(audit_type="recertification", integration=FULLY_INTEGRATED).days == Decimal("5.5")


def test_it_does_not_cap_a_combined_audit_at_one_standards_longest_audit():
    # ISO 18295's policy ends one audit at 4 days; ISO 9001's sets no limit, so 6 days of stage 2 pass.
    assert combined(integration=FULLY_INTEGRATED).warnings == []
    assert combined_policy([qms(), contact_centre()]).max_days_per_audit is None
    assert combined_policy([contact_centre()]).max_days_per_audit == Decimal("4")


def test_it_refuses_a_standard_given_twice():
    with pytest.raises(AuditTimeError) as caught:
        combined(schemes=[qms(), qms()])
    assert caught.value.field == "standard"
    assert "ISO 9001:2015 is given more than once" in caught.value.message


def test_it_refuses_integration_for_a_single_standard():
    with pytest.raises(AuditTimeError) as caught:
        combined(schemes=[qms()], integration=FULLY_INTEGRATED)
    assert caught.value.field == "integration"


def test_it_calculates_a_single_standard_as_before():
    one = combined(schemes=[contact_centre()], sites=3)
    before = calculate_audit_time(
        scheme=contact_centre(), personnel=Decimal(155), sites=3, audit_type="initial"
    )
    assert one == before
    assert one.parts == ()
    assert one.as_dict()["standards"] == ["ISO 18295-1:2017"]


@pytest.mark.parametrize(
    ("percent", "justification"),
    [("-10", "Integrated"), ("ten", "Integrated"), ("12.25", "Integrated"), ("10", ""), ("10", "  ")],
)
def test_it_refuses_a_bad_integration(percent, justification):
    with pytest.raises(AuditTimeError) as caught:
        Integration(percent, justification)
    assert caught.value.field == "integration"


def test_it_answers_the_parts_as_json_ready_values():
    data = combined(integration=FULLY_INTEGRATED).as_dict()
    assert data["standards"] == ["ISO 18295-1:2017", "ISO 9001:2015"]
    assert data["combined_days"] == 10.5
    assert data["integration"] == {"percent": 20.0, "justification": FULLY_INTEGRATED.justification}
    assert data["parts"][1] == {
        "standard": "ISO 9001:2015",
        "table_days": 8.0,
        "adjusted_days": 8.0,
        "initial_days": 8.0,
        "stage1_days": 2.5,
    }


def test_it_words_the_combined_justification_in_swedish():
    with translation.override("sv"):
        justification = combined(integration=FULLY_INTEGRATED).justification
    assert "Kombinerad revision mot 2 standarder (IAF MD 11): 2.5 + 8.0 = 10.5 dagar." in justification
    assert "ISO 9001:2015 för sig, enligt sin egen tabell och policy:" in justification
    assert any(
        line.startswith("Minskning med 20 % för integreringen av kundens ledningssystem")
        for line in justification
    )
