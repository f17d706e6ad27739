"""The audit-time rules (shared/DOMAIN.md "Audit time"), on unsaved schemes: no database is touched."""

import json
from decimal import Decimal

import pytest

from audits.audit_time import (
    Adjustment,
    AuditTimeError,
    AuditTimeResult,
    calculate_audit_time,
    round_half_up,
    table_days,
)
from standards.models import CertificationScheme, Standard
from standards.policy import SCHEME_PRESETS


def _scheme(preset: str, code: str, **changes) -> CertificationScheme:
    return CertificationScheme(standard=Standard(code=code), **{**SCHEME_PRESETS[preset], **changes})


def contact_centre(**changes) -> CertificationScheme:
    return _scheme("iso-18295", "ISO 18295-1:2017", **changes)


def qms(**changes) -> CertificationScheme:
    return _scheme("iaf-md5-qms", "ISO 9001:2015", **changes)


def calc(scheme, personnel, sites=1, audit_type="initial", **kwargs) -> AuditTimeResult:
    return calculate_audit_time(
        scheme=scheme, personnel=Decimal(str(personnel)), sites=sites, audit_type=audit_type, **kwargs
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5.25", "5.5"),
        ("5.2", "5.0"),
        ("5.75", "6.0"),
        ("5.74", "5.5"),
        ("5.0", "5.0"),
        ("0.25", "0.5"),
        ("0.24", "0.0"),
        ("2.6664", "2.5"),
        ("5.3336", "5.5"),
        ("2.7499999999", "2.5"),
    ],
)
def test_it_rounds_to_the_nearest_half_day_ties_up(value, expected):
    rounded = round_half_up(Decimal(value))
    assert rounded == Decimal(expected)
    assert str(rounded) == expected


@pytest.mark.parametrize(
    ("personnel", "days"),
    [
        (1, "1.5"),
        (25, "1.5"),
        (26, "2"),
        (100, "2"),
        (101, "2.5"),
        (250, "2.5"),
        (251, "3"),
        (500, "3"),
        (501, "4"),
        (1000, "4"),
        (1001, "5"),
        (250_000, "5"),
    ],
)
def test_it_reads_the_contact_centre_table(personnel, days):
    assert table_days(contact_centre(), Decimal(personnel)) == Decimal(days)


@pytest.mark.parametrize(
    ("personnel", "days"),
    [
        (1, "1.5"),
        (5, "1.5"),
        (6, "2"),
        (10, "2"),
        (175, "8"),
        (10700, "22"),
        # Beyond the table, one more day per started 2200 personnel.
        (10701, "23"),
        (12900, "23"),
        (12901, "24"),
        (10700 + 10 * 2200, "32"),
        (10700 + 10 * 2200 + 1, "33"),
    ],
)
def test_it_reads_the_qms_table_and_follows_the_progression(personnel, days):
    assert table_days(qms(), Decimal(personnel)) == Decimal(days)


def test_it_stays_on_the_open_row_without_a_progression():
    scheme = qms(above_table_every_personnel=None, above_table_extra_days=None)
    assert table_days(scheme, Decimal(50_000)) == Decimal(22)


@pytest.mark.parametrize(
    ("personnel", "days"), [("25", "1.5"), ("25.5", "2"), ("25.01", "2"), ("0.5", "1.5")]
)
def test_it_counts_a_started_person_as_a_whole_one(personnel, days):
    assert table_days(contact_centre(), Decimal(personnel)) == Decimal(days)


def test_it_says_how_fractional_personnel_was_counted():
    result = calc(contact_centre(), "25.5")
    assert result.justification[0] == (
        "Effective personnel 25.5 FTE, counted as 26 -> table value 2.0 days "
        "(ISO 18295-1:2017 table: 26-100 personnel)."
    )


@pytest.mark.parametrize("personnel", ["0", "-1", "-0.5"])
def test_it_refuses_personnel_of_zero_or_less(personnel):
    with pytest.raises(AuditTimeError, match="Effective personnel must be more than zero") as caught:
        calc(contact_centre(), personnel)
    assert caught.value.field == "personnel"
    with pytest.raises(AuditTimeError):
        table_days(contact_centre(), Decimal(personnel))


@pytest.mark.parametrize("sites", [0, -3])
def test_it_refuses_fewer_than_one_site(sites):
    with pytest.raises(AuditTimeError, match="at least one site") as caught:
        calc(contact_centre(), 155, sites=sites)
    assert caught.value.field == "sites"


def test_it_refuses_an_unknown_audit_type():
    with pytest.raises(AuditTimeError, match="Unknown audit type 'weekly'") as caught:
        calc(contact_centre(), 155, audit_type="weekly")
    assert caught.value.field == "audit_type"


# The worked numbers of shared/DOMAIN.md.


def test_it_calculates_the_contact_centre_initial_audit():
    result = calc(contact_centre(), 155, sites=3)
    assert result.table_days == Decimal("2.5")
    assert (result.sampled_sites, result.visited_sites) == (2, 3)
    assert result.initial_days == result.days == Decimal("3.5")
    assert (result.stage1_days, result.stage2_days) == (Decimal("0.5"), Decimal("3.0"))
    # Stage 1 may be remote under this scheme, so it is not time on site.
    assert result.onsite_days == Decimal("3.0")
    assert result.warnings == []
    assert result.justification[0] == (
        "Effective personnel 155 -> table value 2.5 days (ISO 18295-1:2017 table: 101-250 personnel)."
    )
    assert "+1.0 day for 2 sites visited besides the central function (0.5 day each)." in result.justification
    assert "Initial audit time: 2.5 + 1.0 = 3.5 days, to the nearest half day (ties up): 3.5 days." in (
        result.justification
    )
    assert "Stage 1: 0.5 day, fixed by the scheme; stage 2: the remaining 3.0 days." in result.justification


def test_it_calculates_the_contact_centre_surveillance():
    result = calc(contact_centre(), 155, sites=3, audit_type="surveillance")
    # The initial time still counts the initial sample's sites.
    assert result.initial_days == Decimal("3.5")
    assert (result.sampled_sites, result.visited_sites) == (1, 2)
    # 3.5 x 0.3333 = 1.16655 -> 1.0, and never below one day.
    assert result.days == result.onsite_days == Decimal("1.0")
    assert result.stage1_days is None
    assert result.stage2_days is None


def test_it_calculates_the_contact_centre_recertification():
    result = calc(contact_centre(), 155, sites=3, audit_type="recertification")
    assert (result.sampled_sites, result.visited_sites) == (2, 3)
    # 3.5 x 0.6667 = 2.33345 -> 2.5.
    assert result.days == Decimal("2.5")


def test_it_calculates_a_small_single_site_centre():
    result = calc(contact_centre(), 12)
    assert result.days == Decimal("1.5")
    assert (result.stage1_days, result.stage2_days) == (Decimal("0.5"), Decimal("1.0"))
    assert (result.sampled_sites, result.visited_sites) == (0, 1)
    assert calc(contact_centre(), 12, audit_type="surveillance").days == Decimal("1.0")


def test_it_calculates_the_qms_example():
    initial = calc(qms(), 155)
    assert initial.days == Decimal("8.0")
    # 8 x 0.3333 = 2.6664 -> 2.5.
    assert (initial.stage1_days, initial.stage2_days) == (Decimal("2.5"), Decimal("5.5"))
    # Stage 1 is on site under IAF MD 5.
    assert initial.onsite_days == Decimal("8.0")
    assert calc(qms(), 155, audit_type="surveillance").days == Decimal("2.5")
    # 8 x 0.6667 = 5.3336 -> 5.5.
    assert calc(qms(), 155, audit_type="recertification").days == Decimal("5.5")


def test_it_warns_when_stage_2_is_longer_than_one_audit():
    result = calc(contact_centre(), 1200, sites=11)
    assert result.table_days == Decimal("5")
    assert (result.sampled_sites, result.visited_sites) == (4, 5)
    assert result.days == Decimal("7.0")
    assert result.stage2_days == Decimal("6.5")
    assert result.warnings == [
        "Stage 2 needs 6.5 days, more than the 4 days one audit may last: "
        "split the audit or record a justified override."
    ]


def test_it_does_not_warn_at_exactly_the_longest_audit():
    # 501 personnel, 3 sites: 4 + 1.0 = 5.0 days, stage 2 = 4.5; with 2 sites 4.5, stage 2 = 4.0.
    assert calc(contact_centre(), 501, sites=2).stage2_days == Decimal("4.0")
    assert calc(contact_centre(), 501, sites=2).warnings == []
    assert calc(contact_centre(), 501, sites=3).warnings[0].startswith("Stage 2 needs 4.5 days")


def test_it_warns_when_a_later_audit_is_longer_than_one_audit():
    result = calc(qms(max_days_per_audit=Decimal("4.0")), 155, audit_type="recertification")
    assert result.warnings == [
        "The audit needs 5.5 days, more than the 4 days one audit may last: "
        "split the audit or record a justified override."
    ]
    assert calc(qms(max_days_per_audit=Decimal("4.0")), 155, audit_type="surveillance").warnings == []


def test_it_warns_when_too_little_time_is_on_site():
    # 1.0 of 1.5 days on site is 66 %: the remote stage 1 takes a third of a small centre's time.
    result = calc(contact_centre(min_onsite_percent=80), 12)
    assert result.warnings == [
        "Only 1.0 of 1.5 days (66 %) are on site, less than the 80 % the scheme requires: "
        "plan more time on site or record a justification."
    ]
    # The ISO 18295 policy asks for 60 % on site, so a small centre's default plan passes.
    assert calc(contact_centre(), 12).warnings == []
    assert calc(contact_centre(min_onsite_percent=80, stage1_remote_allowed=False), 12).warnings == []


# Adjustments.


def test_it_applies_adjustments_to_the_table_value():
    result = calc(
        qms(),
        155,
        adjustments=[
            Adjustment(Decimal("-10"), "Low complexity"),
            Adjustment(Decimal("5"), "Many languages"),
        ],
    )
    # 8 x 0.95 = 7.6 -> 7.5.
    assert result.adjusted_days == Decimal("7.6")
    assert result.days == Decimal("7.5")
    assert "Reduction of 10 %: Low complexity." in result.justification
    assert "Increase of 5 %: Many languages." in result.justification
    assert "Adjustments total -5 % of the table value: 8.0 -> 7.6 days." in result.justification


def test_it_rounds_ties_up_after_adjusting():
    # 2.5 x 1.1 = 2.75, a tie between 2.5 and 3.0.
    result = calc(contact_centre(), 155, adjustments=[Adjustment(Decimal("10"), "Complex processes")])
    assert result.adjusted_days == Decimal("2.75")
    assert result.days == Decimal("3.0")


def test_it_allows_reductions_of_exactly_the_limit():
    result = calc(
        qms(), 155, adjustments=[Adjustment(Decimal("-20"), "Low risk"), Adjustment(Decimal("-10"), "Simple")]
    )
    # 8 x 0.7 = 5.6 -> 5.5.
    assert result.days == Decimal("5.5")


def test_it_refuses_reductions_over_the_limit():
    adjustments = [Adjustment(Decimal("-20"), "Low risk"), Adjustment(Decimal("-10.5"), "Simple")]
    with pytest.raises(AuditTimeError) as caught:
        calc(qms(), 155, adjustments=adjustments)
    assert (
        caught.value.message == "Total reductions of 30.5 % exceed the 30 % allowed by the scheme (IAF MD 5)."
    )
    assert caught.value.field == "adjustment"


def test_it_does_not_let_increases_offset_reductions():
    adjustments = [Adjustment(Decimal("-35"), "Low risk"), Adjustment(Decimal("20"), "Many shifts")]
    with pytest.raises(AuditTimeError, match="Total reductions of 35 % exceed the 30 %"):
        calc(qms(), 155, adjustments=adjustments)


def test_it_follows_the_scheme_limit():
    scheme = qms(max_reduction_percent=10)
    with pytest.raises(AuditTimeError, match="exceed the 10 % allowed"):
        calc(scheme, 155, adjustments=[Adjustment(Decimal("-15"), "Low risk")])


@pytest.mark.parametrize("justification", ["", "   "])
def test_it_refuses_an_adjustment_without_justification(justification):
    with pytest.raises(AuditTimeError, match="needs a written justification") as caught:
        Adjustment(Decimal("-10"), justification)
    assert caught.value.field == "adjustment"


def test_it_never_goes_below_the_minimum():
    result = calc(contact_centre(), 12, adjustments=[Adjustment(Decimal("-30"), "Very simple")])
    # 1.5 x 0.7 = 1.05 -> 1.0; the scheme's minimum is 1 day.
    assert result.days == Decimal("1.0")
    low = calc(
        contact_centre(min_audit_days=Decimal("1.5")), 12, adjustments=[Adjustment(-30, "Very simple")]
    )
    assert low.days == Decimal("1.5")
    assert any("raised to the scheme's minimum of 1.5 days" in line for line in low.justification)


# Stage 1.


def test_it_keeps_stage_1_at_least_its_minimum():
    result = calc(qms(stage1_days=Decimal("1.0")), 1)
    # 1.5 x 0.3333 = 0.49995 -> 0.5, raised to the 1.0 minimum.
    assert (result.stage1_days, result.stage2_days) == (Decimal("1.0"), Decimal("0.5"))


def test_it_counts_a_remote_stage_1_off_site():
    result = calc(qms(stage1_remote_allowed=True), 155)
    assert result.onsite_days == Decimal("5.5")
    assert result.days == Decimal("8.0")


# Sites.


def test_it_adds_time_for_the_initial_sample_at_every_audit_type():
    # 11 sites: the initial audit visits 5, so 4 x 0.5 day is added to the initial time.
    for audit_type, days, visited in [
        ("initial", "7.0", 5),
        ("surveillance", "2.5", 3),
        ("recertification", "4.5", 4),
    ]:
        result = calc(contact_centre(), 1200, sites=11, audit_type=audit_type)
        assert result.initial_days == Decimal("7.0")
        assert result.days == Decimal(days)
        assert result.visited_sites == visited


def test_it_visits_every_site_when_sampling_is_not_allowed():
    result = calc(contact_centre(multi_site_sampling_allowed=False), 155, sites=11)
    assert (result.sampled_sites, result.visited_sites) == (10, 11)
    # 2.5 + 10 x 0.5 = 7.5.
    assert result.initial_days == Decimal("7.5")
    override = calc(contact_centre(), 155, sites=11, multi_site_sampling_allowed=False)
    assert override.initial_days == Decimal("7.5")
    surveillance = calc(
        contact_centre(), 155, sites=11, audit_type="surveillance", multi_site_sampling_allowed=False
    )
    assert (surveillance.sampled_sites, surveillance.visited_sites) == (3, 4)


def test_it_adds_nothing_for_sites_when_the_scheme_says_so():
    assert calc(qms(), 155, sites=11).days == Decimal("8.0")


# Audit model types.


def test_it_sizes_stage_audits_as_the_initial_audit():
    for audit_type in ("stage1", "stage2"):
        result = calc(contact_centre(), 155, sites=3, audit_type=audit_type)
        assert result.calculated_as == "initial"
        assert (result.days, result.stage1_days, result.stage2_days) == (
            Decimal("3.5"),
            Decimal("0.5"),
            Decimal("3.0"),
        )


def test_it_sizes_a_special_audit_as_a_surveillance_with_a_note():
    result = calc(qms(), 155, audit_type="special")
    assert result.calculated_as == "surveillance"
    assert result.days == Decimal("2.5")
    assert any("special audit is sized like a surveillance" in line for line in result.justification)


def test_it_answers_json_ready_values():
    result = calc(contact_centre(), 155, sites=3, adjustments=[Adjustment(Decimal("-10"), "Low complexity")])
    data = json.loads(json.dumps(result.as_dict()))
    assert data["standard"] == "ISO 18295-1:2017"
    assert data["audit_type"] == "initial"
    assert data["table_days"] == 2.5
    assert data["adjusted_days"] == 2.25
    # 2.25 + 1.0 = 3.25 -> 3.5.
    assert (data["days"], data["stage1_days"], data["stage2_days"], data["onsite_days"]) == (
        3.5,
        0.5,
        3.0,
        3.0,
    )
    assert (data["sampled_sites"], data["visited_sites"]) == (2, 3)
    assert data["adjustments"] == [{"percent": -10.0, "justification": "Low complexity"}]
    assert data["warnings"] == []
    assert data["justification"] == result.justification
    assert calc(qms(), 155, audit_type="surveillance").as_dict()["stage1_days"] is None
