"""Audit time: the one calculation every view, API and task calls (see shared/DOMAIN.md "Audit time").

Pure functions over a CertificationScheme's policy fields; nothing is written and nothing is read
from the database except `scheme.standard.code` for the wording (select_related it). All arithmetic
is Decimal, so 8 x 0.3333 is exactly 2.6664 and rounds to 2.5 the same way everywhere.

The result carries a justification a client can read, one line per step, because the calculation
and its justification go into the contract (IAF MD 5).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from audits import sampling
from core.errors import DomainError
from standards.models import Stage1Mode

ONE_DECIMAL = Decimal("0.1")
HUNDRED = Decimal(100)
# An adjustment changes the table value by at most this many percent either way, in tenths: the
# form offers that and the API is held to it here (a percent of 1e30 broke the rounding; +100000
# made an audit of 5,005 days).
ADJUSTMENT_LIMIT = HUNDRED
ADJUSTMENT_DECIMALS = 1

INITIAL = sampling.INITIAL
SURVEILLANCE = sampling.SURVEILLANCE
RECERTIFICATION = sampling.RECERTIFICATION
AUDIT_TYPES = tuple(sampling.AUDIT_TYPE_RULES)


class AuditTimeError(DomainError):
    """The audit time cannot be calculated from what was given; the message says why."""


def round_half_up(value: Decimal) -> Decimal:
    """To the nearest half day, ties up: 5.25 -> 5.5, 5.2 -> 5.0, 5.75 -> 6.0."""
    doubled = (Decimal(value) * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (doubled / 2).quantize(ONE_DECIMAL)


def _decimal(value: Any, *, field: str, label: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        number = None
    if number is None or not number.is_finite() or isinstance(value, bool):
        raise AuditTimeError(_("%(label)s must be a number.") % {"label": label}, field=field)
    return number


@dataclass(frozen=True)
class Adjustment:
    """A written-down increase (+) or reduction (-) of the table value, in percent."""

    percent: Decimal
    justification: str

    def __post_init__(self):
        # Accept 10, "-10" or Decimal("-10"): the stored value is always a Decimal.
        percent = _decimal(self.percent, field="adjustment", label=_("A percent"))
        if abs(percent) > ADJUSTMENT_LIMIT:
            raise AuditTimeError(
                _("An adjustment is at most %(limit)s %% either way; %(percent)s %% is not.")
                % {"limit": ADJUSTMENT_LIMIT, "percent": _number(percent)},
                field="adjustment",
            )
        if percent.as_tuple().exponent < -ADJUSTMENT_DECIMALS:
            raise AuditTimeError(
                _("Give an adjustment in whole or tenths of a percent, for example -7.5, not %(percent)s.")
                % {"percent": _number(percent)},
                field="adjustment",
            )
        object.__setattr__(self, "percent", percent)
        if not isinstance(self.justification, str) or not self.justification.strip():
            raise AuditTimeError(
                _(
                    "Every adjustment needs a written justification (IAF MD 5); "
                    "the %(percent)s %% one has none."
                )
                % {"percent": _number(self.percent)},
                field="adjustment",
            )


@dataclass(frozen=True)
class Integration:
    """The reduction of a combined audit's summed time for the integration of the client's
    management system (IAF MD 11), in percent (15 means 15 % less), with its written justification."""

    percent: Decimal
    justification: str

    def __post_init__(self):
        percent = _decimal(self.percent, field="integration", label=_("A percent"))
        if percent < 0:
            raise AuditTimeError(
                _("Give the integration reduction as a positive percent, for example 15, not %(percent)s.")
                % {"percent": _number(percent)},
                field="integration",
            )
        if percent.as_tuple().exponent < -ADJUSTMENT_DECIMALS:
            raise AuditTimeError(
                _("Give the integration reduction in whole or tenths of a percent, not %(percent)s.")
                % {"percent": _number(percent)},
                field="integration",
            )
        object.__setattr__(self, "percent", percent)
        if percent and (not isinstance(self.justification, str) or not self.justification.strip()):
            raise AuditTimeError(
                _(
                    "A reduction for integration needs a written justification: say how far the client's "
                    "management systems are integrated (IAF MD 11)."
                ),
                field="integration",
            )


@dataclass(frozen=True)
class StandardPart:
    """One standard's own time within a combined audit, from its own table and policy."""

    standard: str
    table_days: Decimal
    adjusted_days: Decimal
    initial_days: Decimal
    stage1_days: Decimal


@dataclass(frozen=True)
class CombinedPolicy:
    """The policy one audit of several standards is held to: for each value the strictest of its
    schemes' (most time, least remote, no sampling unless every scheme allows it), so the combined
    audit never falls short of what any one standard's policy asks.

    Built from a single scheme it holds that scheme's values, so callers need not tell the cases apart.
    """

    min_audit_days: Decimal
    surveillance_factor: Decimal
    recertification_factor: Decimal
    # A limit binds only when every scheme sets one: a 4-day limit of one standard's own audits does
    # not cap an audit that also covers a standard without a limit.
    max_days_per_audit: Decimal | None
    min_onsite_percent: int
    stage1_remote_allowed: bool
    multi_site_sampling_allowed: bool
    audit_day_hours: int
    integration_max_reduction_percent: int
    integration_criteria: tuple[str, ...]


def combined_policy(schemes: Sequence) -> CombinedPolicy:
    schemes = list(schemes)
    if not schemes:
        raise AuditTimeError(_("Choose at least one standard."), field="standard")
    limits = [scheme.max_days_per_audit for scheme in schemes]
    criteria: list[str] = []
    for scheme in schemes:
        for line in scheme.integration_criteria.splitlines():
            if line.strip() and line.strip() not in criteria:
                criteria.append(line.strip())
    return CombinedPolicy(
        min_audit_days=max(Decimal(scheme.min_audit_days) for scheme in schemes),
        surveillance_factor=max(Decimal(scheme.surveillance_factor) for scheme in schemes),
        recertification_factor=max(Decimal(scheme.recertification_factor) for scheme in schemes),
        max_days_per_audit=None if None in limits else max(Decimal(limit) for limit in limits),
        min_onsite_percent=max(scheme.min_onsite_percent for scheme in schemes),
        stage1_remote_allowed=all(scheme.stage1_remote_allowed for scheme in schemes),
        multi_site_sampling_allowed=all(scheme.multi_site_sampling_allowed for scheme in schemes),
        audit_day_hours=max(scheme.audit_day_hours for scheme in schemes),
        integration_max_reduction_percent=min(scheme.integration_max_reduction_percent for scheme in schemes),
        integration_criteria=tuple(criteria),
    )


@dataclass(frozen=True)
class AuditTimeResult:
    audit_type: str
    # The rule the audit type is sized by: initial, surveillance or recertification.
    calculated_as: str
    standard: str
    personnel: Decimal
    sites: int
    adjustments: tuple[Adjustment, ...]
    sampling_allowed: bool
    table_days: Decimal
    # The table value with the adjustments applied, before sites and rounding.
    adjusted_days: Decimal
    initial_days: Decimal
    days: Decimal
    stage1_days: Decimal | None
    stage2_days: Decimal | None
    onsite_days: Decimal
    # Sites visited besides the central function, and in all, at this audit.
    sampled_sites: int
    visited_sites: int
    warnings: list[str]
    justification: list[str]
    # A combined audit (IAF MD 11): each standard's own time, their sum before the reduction for
    # integration, and that reduction. A single standard's audit has none of these.
    parts: tuple[StandardPart, ...] = ()
    combined_days: Decimal | None = None
    integration: Integration | None = None

    def as_dict(self) -> dict[str, Any]:
        def number(value: Decimal | None) -> float | None:
            return None if value is None else float(value)

        return {
            "standard": self.standard,
            "audit_type": self.audit_type,
            "calculated_as": self.calculated_as,
            "personnel": number(self.personnel),
            "sites": self.sites,
            "adjustments": [
                {"percent": number(adjustment.percent), "justification": adjustment.justification}
                for adjustment in self.adjustments
            ],
            "sampling_allowed": self.sampling_allowed,
            "table_days": number(self.table_days),
            "adjusted_days": number(self.adjusted_days),
            "initial_days": number(self.initial_days),
            "days": number(self.days),
            "stage1_days": number(self.stage1_days),
            "stage2_days": number(self.stage2_days),
            "onsite_days": number(self.onsite_days),
            "sampled_sites": self.sampled_sites,
            "visited_sites": self.visited_sites,
            "warnings": list(self.warnings),
            "justification": list(self.justification),
            "standards": [part.standard for part in self.parts] or [self.standard],
            "parts": [
                {
                    "standard": part.standard,
                    "table_days": number(part.table_days),
                    "adjusted_days": number(part.adjusted_days),
                    "initial_days": number(part.initial_days),
                    "stage1_days": number(part.stage1_days),
                }
                for part in self.parts
            ],
            "combined_days": number(self.combined_days),
            "integration": None
            if self.integration is None
            else {
                "percent": number(self.integration.percent),
                "justification": self.integration.justification,
            },
        }


# Wording helpers: policy values as written (0.5, 4, 30), computed days with at least one decimal.


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _amount(value: Decimal) -> str:
    text = _number(value)
    return text if "." in text else format(value.quantize(ONE_DECIMAL), "f")


def _days(text: str, value: Decimal) -> str:
    """'0.5 day', '1.0 day', '2.5 days'."""
    template = _("%(days)s day") if abs(value) <= 1 else _("%(days)s days")
    return template % {"days": text}


def _computed_days(value: Decimal) -> str:
    return _days(_amount(value), value)


def _policy_days(value: Decimal) -> str:
    return _days(_number(value), value)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _standard_code(scheme) -> str:
    field = type(scheme).standard
    if field.is_cached(scheme) or scheme.standard_id is not None:
        return scheme.standard.code
    return ""


# The table.


def _whole_persons(personnel: Decimal) -> int:
    number = _decimal(personnel, field="personnel", label=_("Effective personnel"))
    if number <= 0:
        raise AuditTimeError(_("Effective personnel must be more than zero."), field="personnel")
    # Part-time staff are counted as FTE; a started person counts as a whole one.
    return int(number.to_integral_value(rounding=ROUND_CEILING))


def _table_lookup(scheme, persons: int) -> tuple[Decimal, str]:
    """The table days for a whole number of persons, and the row that gave them, in words."""
    lower = 1
    last_bounded = 0
    for row in scheme.audit_time_table:
        up_to = row["up_to"]
        days = Decimal(str(row["days"]))
        if up_to is not None and persons > up_to:
            lower = up_to + 1
            last_bounded = up_to
            continue
        if up_to is not None:
            span = str(up_to) if lower == up_to else f"{lower}-{up_to}"
            return days, _("%(span)s personnel") % {"span": span}
        every = scheme.above_table_every_personnel
        extra = scheme.above_table_extra_days
        if every and extra is not None and last_bounded:
            steps = -(-(persons - last_bounded) // every)
            return days + steps * Decimal(extra), _(
                "above %(last)s personnel: %(base)s plus %(extra)s "
                "for each started %(every)s personnel beyond"
            ) % {
                "last": last_bounded,
                "base": _policy_days(days),
                "extra": _policy_days(Decimal(extra)),
                "every": every,
            }
        return days, _("above %(last)s personnel") % {"last": last_bounded}
    # validate_audit_time_table makes the last row open-ended; a table saved around it is refused here.
    raise AuditTimeError(
        _("The scheme's audit-time table has no row for %(persons)s personnel.") % {"persons": persons},
        field="personnel",
    )


def table_days(scheme, personnel: Decimal) -> Decimal:
    """The scheme's table value (initial days, stage 1 + stage 2) for this effective personnel."""
    days, _row = _table_lookup(scheme, _whole_persons(personnel))
    return days


# The whole calculation.


def _audit_rule(audit_type: str) -> str:
    try:
        return sampling.audit_type_rule(audit_type)
    except sampling.SamplingError as error:
        raise AuditTimeError(error.message, field="audit_type") from None


def _check_sites(sites: int) -> None:
    if isinstance(sites, bool) or not isinstance(sites, int):
        raise AuditTimeError(_("The number of sites must be a whole number."), field="sites")
    if sites < 1:
        raise AuditTimeError(
            _("There must be at least one site (the central function counts as one)."), field="sites"
        )


def _check_reductions(scheme, adjustments: Sequence[Adjustment]) -> None:
    reductions = sum(
        (-adjustment.percent for adjustment in adjustments if adjustment.percent < 0), Decimal(0)
    )
    if reductions > scheme.max_reduction_percent:
        raise AuditTimeError(
            _("Total reductions of %(total)s %% exceed the %(max)s %% allowed by the scheme (IAF MD 5).")
            % {"total": _number(reductions), "max": scheme.max_reduction_percent},
            field="adjustment",
        )


def _sampling_note(*, rule: str, sites: int, sample: int, sampling_allowed: bool) -> str:
    others = sites - 1
    audit = {
        INITIAL: _("the initial audit"),
        SURVEILLANCE: _("a surveillance audit"),
        RECERTIFICATION: _("the recertification audit"),
    }[rule]
    if others == 0:
        return _("One site: %(audit)s visits it; there is nothing to sample.") % {"audit": audit}
    values = {"audit": audit, "sites": sites, "others": others, "sample": sample, "visited": sample + 1}
    if not sampling_allowed:
        if rule == SURVEILLANCE:
            return (
                _(
                    "The scheme does not allow multi-site sampling: %(audit)s visits the central function "
                    "and 30 %% of the %(others)s other sites, rounded up: %(sample)s (%(visited)s visited)."
                )
                % values
            )
        return (
            _("The scheme does not allow multi-site sampling: %(audit)s visits all %(sites)s sites.") % values
        )
    factor = {INITIAL: "", SURVEILLANCE: "0.6 × ", RECERTIFICATION: "0.8 × "}[rule]
    values["formula"] = f"ceil({factor}√{others}) = {sample}"
    return (
        _(
            "%(sites)s sites including the central function: %(audit)s visits the central function and "
            "%(sample)s of the %(others)s other sites (IAF MD 1: %(formula)s), %(visited)s sites in all."
        )
        % values
    )


def calculate_audit_time(
    *,
    scheme,
    personnel: Decimal,
    sites: int,
    audit_type: str,
    adjustments: Sequence[Adjustment] = (),
    multi_site_sampling_allowed: bool | None = None,
) -> AuditTimeResult:
    """Audit days for one audit of one standard, with warnings and a step-by-step justification.

    `sites` counts every site in scope, the central function included. `audit_type` is initial,
    surveillance or recertification, or an audit model type (stage1/stage2 are sized as the initial
    audit, special as a surveillance). `multi_site_sampling_allowed` overrides the scheme's flag.
    Raises AuditTimeError (with the field at fault) for input that cannot be calculated.
    """
    rule, personnel, adjustments = _checked_audit([scheme], audit_type, sites, personnel, adjustments)
    sampling_allowed = _sampling_allowed(scheme, override=multi_site_sampling_allowed)
    code = _standard_code(scheme)
    justification: list[str] = []
    warnings: list[str] = []

    table = _table_days(scheme, personnel, code, justification)
    adjusted = _adjusted_days(table, adjustments, justification)
    site_days = _initial_site_days(scheme, rule, sites, sampling_allowed, justification)
    initial = _initial_days(scheme, adjusted, site_days, justification)
    stage1 = stage2 = None
    if rule == INITIAL:
        stage1, stage2 = _stages(scheme, initial, audit_type, justification, warnings)
    days, onsite = _audit_days(
        scheme, rule, initial=initial, stage1=stage1, audit_type=audit_type, justification=justification
    )
    sample = _audit_sample(rule, sites=sites, sampling_allowed=sampling_allowed, justification=justification)
    warnings += _length_warnings(scheme, rule, days=days, stage2=stage2, onsite=onsite)

    return AuditTimeResult(
        audit_type=audit_type,
        calculated_as=rule,
        standard=code,
        personnel=personnel,
        sites=sites,
        adjustments=adjustments,
        sampling_allowed=sampling_allowed,
        table_days=table,
        adjusted_days=adjusted,
        initial_days=initial,
        days=days,
        stage1_days=stage1,
        stage2_days=stage2,
        onsite_days=onsite,
        sampled_sites=sample,
        visited_sites=sample + 1,
        warnings=warnings,
        justification=justification,
    )


def calculate_combined_audit_time(
    *,
    schemes: Sequence,
    personnel: Decimal,
    sites: int,
    audit_type: str,
    adjustments: Sequence[Adjustment] = (),
    integration: Integration | None = None,
    multi_site_sampling_allowed: bool | None = None,
) -> AuditTimeResult:
    """Audit days for one audit of one or several standards (IAF MD 11, shared/DOMAIN.md).

    One scheme: exactly calculate_audit_time. Several: each standard's initial time from its own
    table and policy, summed, reduced by `integration` (at most the schemes' smallest limit, 20 % by
    default) and never below the largest single standard's time; stage 1 and the surveillance and
    recertification shares follow from that combined initial total under the strictest policy of the
    schemes (CombinedPolicy). The adjustments apply to each standard's table value.
    """
    schemes = _distinct_schemes(schemes)
    if len(schemes) == 1:
        _check_no_integration_for_one_standard(integration)
        return calculate_audit_time(
            scheme=schemes[0],
            personnel=personnel,
            sites=sites,
            audit_type=audit_type,
            adjustments=adjustments,
            multi_site_sampling_allowed=multi_site_sampling_allowed,
        )
    rule, personnel, adjustments = _checked_audit(schemes, audit_type, sites, personnel, adjustments)
    policy = combined_policy(schemes)
    return _several_standards_audit_time(
        schemes=schemes,
        policy=policy,
        rule=rule,
        audit_type=audit_type,
        personnel=personnel,
        sites=sites,
        adjustments=adjustments,
        integration=_checked_integration(policy, integration),
        sampling_allowed=_sampling_allowed(policy, override=multi_site_sampling_allowed),
    )


# -- The steps both calculations share. ------------------------------------------------------------


def _checked_audit(
    schemes: Sequence, audit_type: str, sites: int, personnel: Any, adjustments: Sequence[Adjustment]
) -> tuple[str, Decimal, tuple[Adjustment, ...]]:
    """The input checked in this order: the audit type, the sites, the personnel, and the adjustments
    against each scheme's limit on reductions. Returns the rule the audit type is sized by, the
    personnel as a Decimal and the adjustments as a tuple."""
    rule = _audit_rule(audit_type)
    _check_sites(sites)
    personnel = _decimal(personnel, field="personnel", label=_("Effective personnel"))
    for scheme in schemes:
        adjustments = _checked_adjustments(scheme, adjustments)
    return rule, personnel, tuple(adjustments)


def _sampling_allowed(policy, *, override: bool | None) -> bool:
    """Whether the sites may be sampled: the caller's `override` when given, else the policy's flag."""
    return policy.multi_site_sampling_allowed if override is None else override


def _audit_days(
    policy, rule: str, *, initial: Decimal, stage1: Decimal | None, audit_type: str, justification: list[str]
) -> tuple[Decimal, Decimal]:
    """This audit's (days, days on site): the initial audit lasts the initial time, on site less a
    remote stage 1; a surveillance or recertification audit its share of it (step 5), all on site."""
    if rule == INITIAL:
        return initial, initial - stage1 if policy.stage1_remote_allowed else initial
    days = _later_audit_days(policy, rule, initial, audit_type, justification)
    return days, days


def _audit_sample(rule: str, *, sites: int, sampling_allowed: bool, justification: list[str]) -> int:
    """The sites this audit visits besides the central function. A later audit's sample is told here;
    the initial audit's is already told in the site step."""
    sample = sampling.sample_size(
        non_central_sites=sites - 1, audit_type=rule, sampling_allowed=sampling_allowed
    )
    if rule != INITIAL:
        justification.append(
            _sampling_note(rule=rule, sites=sites, sample=sample, sampling_allowed=sampling_allowed)
        )
    return sample


# -- The steps of calculate_audit_time, in order; each adds its lines to the justification. --------


def _checked_adjustments(scheme, adjustments: Sequence[Adjustment]) -> tuple[Adjustment, ...]:
    adjustments = tuple(adjustments)
    if not all(isinstance(adjustment, Adjustment) for adjustment in adjustments):
        raise AuditTimeError(_("Adjustments must be given as Adjustment(percent, justification)."))
    _check_reductions(scheme, adjustments)
    return adjustments


def _table_days(scheme, personnel: Decimal, code: str, justification: list[str]) -> Decimal:
    """1. The table value for the effective personnel, counted in whole persons."""
    persons = _whole_persons(personnel)
    table, row = _table_lookup(scheme, persons)
    counted = (
        _number(personnel)
        if persons == personnel
        else _("%(fte)s FTE, counted as %(persons)s")
        % {
            "fte": _number(personnel),
            "persons": persons,
        }
    )
    justification.append(
        _("Effective personnel %(counted)s -> table value %(days)s (%(table)s: %(row)s).")
        % {
            "counted": counted,
            "days": _computed_days(table),
            "table": _("%(code)s table") % {"code": code} if code else _("scheme table"),
            "row": row,
        }
    )
    return table


def _adjusted_days(table: Decimal, adjustments: tuple, justification: list[str]) -> Decimal:
    """2. Adjustments, all applied to the table value."""
    for adjustment in adjustments:
        template = (
            _("Increase of %(percent)s %%: %(why)s")
            if adjustment.percent >= 0
            else _("Reduction of %(percent)s %%: %(why)s")
        )
        justification.append(
            template
            % {"percent": _number(abs(adjustment.percent)), "why": _sentence(adjustment.justification)}
        )
    total_percent = sum((adjustment.percent for adjustment in adjustments), Decimal(0))
    adjusted = table * (HUNDRED + total_percent) / HUNDRED
    if adjustments:
        justification.append(
            _("Adjustments total %(percent)s %% of the table value: %(table)s -> %(adjusted)s.")
            % {
                "percent": f"{'+' if total_percent >= 0 else '-'}{_number(abs(total_percent))}",
                "table": _amount(table),
                "adjusted": _computed_days(adjusted),
            }
        )
    else:
        justification.append(_("No adjustments to the table value."))
    return adjusted


def _initial_site_days(
    scheme, rule: str, sites: int, sampling_allowed: bool, justification: list[str], *, note: bool = True
) -> Decimal:
    """3. Sites: the initial audit's sample sets the initial time, whatever audit this is.

    A combined audit tells the sample once for all its standards (`note=False` for each part)."""
    initial_sample = sampling.sample_size(
        non_central_sites=sites - 1, audit_type=INITIAL, sampling_allowed=sampling_allowed
    )
    if note:
        justification.append(
            _sampling_note(
                rule=INITIAL, sites=sites, sample=initial_sample, sampling_allowed=sampling_allowed
            )
        )
    per_site = Decimal(scheme.extra_days_per_additional_site)
    site_days = per_site * initial_sample
    if initial_sample and per_site:
        template = (
            _("+%(days)s for %(count)s sites visited besides the central function (%(each)s each).")
            if rule == INITIAL
            else _(
                "+%(days)s for the %(count)s sites the initial audit visits besides the central function "
                "(%(each)s each)."
            )
        )
        justification.append(
            template
            % {"days": _computed_days(site_days), "count": initial_sample, "each": _policy_days(per_site)}
        )
    return site_days


def _initial_days(scheme, adjusted: Decimal, site_days: Decimal, justification: list[str]) -> Decimal:
    """4. The initial audit time: rounded to the half day, and at least the scheme's minimum."""
    unrounded = adjusted + site_days
    rounded = round_half_up(unrounded)
    minimum = Decimal(scheme.min_audit_days)
    initial = max(rounded, minimum)
    sum_text = (
        f"{_amount(adjusted)} + {_amount(site_days)} = {_computed_days(unrounded)}"
        if site_days
        else _computed_days(unrounded)
    )
    line = _("Initial audit time: %(sum)s, to the nearest half day (ties up): %(rounded)s") % {
        "sum": sum_text,
        "rounded": _computed_days(rounded),
    }
    if initial > rounded:
        line += _(", raised to the scheme's minimum of %(minimum)s") % {"minimum": _policy_days(minimum)}
    justification.append(line + ".")
    return initial


def _stages(
    scheme, initial: Decimal, audit_type: str, justification: list[str], warnings: list[str]
) -> tuple[Decimal, Decimal]:
    """5. For the initial audit: (stage 1 days, stage 2 days)."""
    stage1, stage1_reason = _stage1(scheme, initial)
    stage2 = initial - stage1
    justification.append(
        _("Stage 1: %(stage1)s; stage 2: the remaining %(stage2)s.")
        % {"stage1": stage1_reason, "stage2": _computed_days(stage2)}
    )
    _note_stages(
        justification,
        warnings,
        remote_allowed=scheme.stage1_remote_allowed,
        stage2=stage2,
        initial=initial,
        audit_type=audit_type,
    )
    return stage1, stage2


def _later_audit_days(
    scheme, rule: str, initial: Decimal, audit_type: str, justification: list[str]
) -> Decimal:
    """5. Surveillance or recertification: a share of the initial time, at least the minimum."""
    minimum = Decimal(scheme.min_audit_days)
    factor = Decimal(scheme.surveillance_factor if rule == SURVEILLANCE else scheme.recertification_factor)
    raw = initial * factor
    days = max(minimum, round_half_up(raw))
    justification.append(
        _(
            "%(audit)s: %(factor)s × %(initial)s = %(raw)s, to the nearest half day: %(days)s "
            "(at least %(minimum)s)."
        )
        % {
            "audit": _("Surveillance audit") if rule == SURVEILLANCE else _("Recertification audit"),
            "factor": _number(factor),
            "initial": _computed_days(initial),
            "raw": _number(raw),
            "days": _computed_days(days),
            "minimum": _policy_days(minimum),
        }
    )
    if audit_type == "special":
        justification.append(
            _(
                "A special audit is sized like a surveillance audit; record a justification when its "
                "scope needs more or less time."
            )
        )
    return days


def _length_warnings(
    scheme, rule: str, *, days: Decimal, stage2: Decimal | None, onsite: Decimal
) -> list[str]:
    """6. Warnings: one audit's length and the share on site."""
    warnings = []
    longest = scheme.max_days_per_audit
    if longest is not None:
        longest = Decimal(longest)
        limit = {"limit": _policy_days(longest)}
        if rule == INITIAL and stage2 > longest:
            warnings.append(
                _(
                    "Stage 2 needs %(days)s, more than the %(limit)s one audit may last: split the audit "
                    "or record a justified override."
                )
                % {"days": _computed_days(stage2), **limit}
            )
        elif rule != INITIAL and days > longest:
            warnings.append(
                _(
                    "The audit needs %(days)s, more than the %(limit)s one audit may last: split the audit "
                    "or record a justified override."
                )
                % {"days": _computed_days(days), **limit}
            )
    if days > 0 and onsite * HUNDRED < scheme.min_onsite_percent * days:
        share = (onsite * HUNDRED / days).quantize(Decimal(1), rounding=ROUND_DOWN)
        warnings.append(
            _(
                "Only %(onsite)s of %(days)s (%(share)s %%) are on site, less than the %(min)s %% the scheme "
                "requires: plan more time on site or record a justification."
            )
            % {
                "onsite": _amount(onsite),
                "days": _computed_days(days),
                "share": share,
                "min": scheme.min_onsite_percent,
            }
        )
    return warnings


def _stage1(scheme, initial: Decimal) -> tuple[Decimal, str]:
    """Stage 1 days, and how they were found in words."""
    least = Decimal(scheme.stage1_days)
    if scheme.stage1_mode == Stage1Mode.FIXED:
        return least, _("%(stage1)s, fixed by the scheme") % {"stage1": _policy_days(least)}
    share = Decimal(scheme.stage1_share)
    raw = initial * share
    stage1 = max(least, round_half_up(raw))
    return stage1, _(
        "%(share)s × %(initial)s = %(raw)s, to the nearest half day: %(stage1)s (at least %(least)s)"
    ) % {
        "share": _number(share),
        "initial": _computed_days(initial),
        "raw": _number(raw),
        "stage1": _computed_days(stage1),
        "least": _policy_days(least),
    }


# -- The steps of calculate_combined_audit_time that a single standard does not need. ------------


def _distinct_schemes(schemes: Sequence) -> list:
    """The schemes in the order of their standards' codes; none twice."""
    schemes = list(schemes)
    if not schemes:
        raise AuditTimeError(_("Choose at least one standard."), field="standard")
    codes = [_standard_code(scheme) for scheme in schemes]
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise AuditTimeError(
            _("%(codes)s is given more than once; name each standard once.") % {"codes": ", ".join(repeated)},
            field="standard",
        )
    return sorted(schemes, key=_standard_code)


def _check_no_integration_for_one_standard(integration: Integration | None) -> None:
    """A reduction for integration is refused when the audit covers one standard only."""
    if integration is not None and integration.percent:
        raise AuditTimeError(
            _("A reduction for integration applies only to a combined audit of several standards."),
            field="integration",
        )


def _several_standards_audit_time(
    *,
    schemes: list,
    policy: CombinedPolicy,
    rule: str,
    audit_type: str,
    personnel: Decimal,
    sites: int,
    adjustments: tuple[Adjustment, ...],
    integration: Integration | None,
    sampling_allowed: bool,
) -> AuditTimeResult:
    """calculate_combined_audit_time for two or more distinct schemes, its input checked."""
    justification: list[str] = []
    warnings: list[str] = []

    parts, combined, initial = _combined_initial(
        schemes, personnel, rule, sites, sampling_allowed, adjustments, integration, policy, justification
    )
    stage1 = stage2 = None
    if rule == INITIAL:
        stage1, stage2 = _combined_stages(
            parts, initial, integration, policy, audit_type, justification, warnings
        )
    days, onsite = _audit_days(
        policy, rule, initial=initial, stage1=stage1, audit_type=audit_type, justification=justification
    )
    sample = _audit_sample(rule, sites=sites, sampling_allowed=sampling_allowed, justification=justification)
    warnings += _length_warnings(policy, rule, days=days, stage2=stage2, onsite=onsite)

    return AuditTimeResult(
        audit_type=audit_type,
        calculated_as=rule,
        standard=" + ".join(part.standard for part in parts),
        personnel=personnel,
        sites=sites,
        adjustments=adjustments,
        sampling_allowed=sampling_allowed,
        table_days=sum((part.table_days for part in parts), Decimal(0)),
        adjusted_days=sum((part.adjusted_days for part in parts), Decimal(0)),
        initial_days=initial,
        days=days,
        stage1_days=stage1,
        stage2_days=stage2,
        onsite_days=onsite,
        sampled_sites=sample,
        visited_sites=sample + 1,
        warnings=warnings,
        justification=justification,
        parts=parts,
        combined_days=combined,
        integration=integration,
    )


def _combined_initial(
    schemes: list,
    personnel: Decimal,
    rule: str,
    sites: int,
    sampling_allowed: bool,
    adjustments: tuple[Adjustment, ...],
    integration: Integration | None,
    policy: CombinedPolicy,
    justification: list[str],
) -> tuple[tuple[StandardPart, ...], Decimal, Decimal]:
    """1-6 for a combined audit: (each standard's part, their summed initial time, the initial time
    after the reduction for integration). The initial audit's sample is told once, for all of them."""
    initial_sample = sampling.sample_size(
        non_central_sites=sites - 1, audit_type=INITIAL, sampling_allowed=sampling_allowed
    )
    justification.append(
        _sampling_note(rule=INITIAL, sites=sites, sample=initial_sample, sampling_allowed=sampling_allowed)
    )
    parts = tuple(
        _standard_part(scheme, personnel, rule, sites, sampling_allowed, adjustments, justification)
        for scheme in schemes
    )
    combined = _combined_days(parts, justification)
    initial = _integrated_days(parts, combined, integration, policy, justification)
    return parts, combined, initial


def _checked_integration(policy: CombinedPolicy, integration: Integration | None) -> Integration | None:
    if integration is None:
        return None
    if not isinstance(integration, Integration):
        raise AuditTimeError(
            _("An integration reduction must be given as Integration(percent, justification).")
        )
    if not integration.percent:
        return None
    if integration.percent > policy.integration_max_reduction_percent:
        raise AuditTimeError(
            _(
                "A reduction of %(percent)s %% for integration exceeds the %(max)s %% the schemes "
                "allow for a combined audit (IAF MD 11)."
            )
            % {"percent": _number(integration.percent), "max": policy.integration_max_reduction_percent},
            field="integration",
        )
    return integration


def _standard_part(
    scheme, personnel: Decimal, rule: str, sites: int, sampling_allowed: bool, adjustments, justification
) -> StandardPart:
    """1-4 for one standard of a combined audit: its own table, adjustments, sites and initial time."""
    code = _standard_code(scheme)
    justification.append(_("%(code)s on its own, by its own table and policy:") % {"code": code})
    table = _table_days(scheme, personnel, code, justification)
    adjusted = _adjusted_days(table, adjustments, justification)
    site_days = _initial_site_days(scheme, rule, sites, sampling_allowed, justification, note=False)
    initial = _initial_days(scheme, adjusted, site_days, justification)
    stage1, _reason = _stage1(scheme, initial)
    return StandardPart(
        standard=code, table_days=table, adjusted_days=adjusted, initial_days=initial, stage1_days=stage1
    )


def _combined_days(parts: tuple[StandardPart, ...], justification: list[str]) -> Decimal:
    """5. The combined audit starts from the sum of each standard's initial time."""
    combined = sum((part.initial_days for part in parts), Decimal(0))
    justification.append(
        _("Combined audit of %(count)s standards (IAF MD 11): %(sum)s = %(total)s.")
        % {
            "count": len(parts),
            "sum": " + ".join(_amount(part.initial_days) for part in parts),
            "total": _computed_days(combined),
        }
    )
    return combined


def _integrated_days(
    parts: tuple[StandardPart, ...],
    combined: Decimal,
    integration: Integration | None,
    policy: CombinedPolicy,
    justification: list[str],
) -> Decimal:
    """6. Less the reduction for integration, to the half day, never below the largest single time."""
    largest = max(part.initial_days for part in parts)
    if integration is None:
        justification.append(
            _(
                "No reduction for integration (at most %(max)s %% under the schemes): "
                "the initial audit time is %(days)s."
            )
            % {"max": policy.integration_max_reduction_percent, "days": _computed_days(combined)}
        )
        return combined
    justification.append(
        _(
            "Reduction of %(percent)s %% for the integration of the client's management system "
            "(at most %(max)s %%): %(why)s"
        )
        % {
            "percent": _number(integration.percent),
            "max": policy.integration_max_reduction_percent,
            "why": _sentence(integration.justification),
        }
    )
    raw = combined * (HUNDRED - integration.percent) / HUNDRED
    rounded = round_half_up(raw)
    initial = max(rounded, largest)
    line = _(
        "Initial audit time: %(combined)s less %(percent)s %% = %(raw)s, "
        "to the nearest half day (ties up): %(rounded)s"
    ) % {
        "combined": _amount(combined),
        "percent": _number(integration.percent),
        "raw": _computed_days(raw),
        "rounded": _computed_days(rounded),
    }
    if initial > rounded:
        line += _(", raised to the largest single standard's %(largest)s") % {
            "largest": _computed_days(largest)
        }
    justification.append(line + ".")
    return initial


def _combined_stages(
    parts: tuple[StandardPart, ...],
    initial: Decimal,
    integration: Integration | None,
    policy: CombinedPolicy,
    audit_type: str,
    justification: list[str],
    warnings: list[str],
) -> tuple[Decimal, Decimal]:
    """7. For the initial audit: stage 1 is each standard's stage 1 summed and reduced like the
    total, at least the largest single standard's stage 1; stage 2 the rest."""
    summed = sum((part.stage1_days for part in parts), Decimal(0))
    largest = max(part.stage1_days for part in parts)
    values = {
        "sum": " + ".join(_amount(part.stage1_days) for part in parts),
        "summed": _computed_days(summed),
        "largest": _computed_days(largest),
    }
    if integration is None:
        stage1 = min(initial, summed)
        template = _(
            "Stage 1: each standard's stage 1, %(sum)s = %(stage1)s; stage 2: the remaining %(stage2)s."
        )
    else:
        values["percent"] = _number(integration.percent)
        stage1 = min(initial, max(largest, round_half_up(summed * (HUNDRED - integration.percent) / HUNDRED)))
        template = _(
            "Stage 1: each standard's stage 1, %(sum)s = %(summed)s, less %(percent)s %%, "
            "to the nearest half day and at least the largest single standard's %(largest)s: "
            "%(stage1)s; stage 2: the remaining %(stage2)s."
        )
    stage2 = initial - stage1
    justification.append(
        template % {**values, "stage1": _computed_days(stage1), "stage2": _computed_days(stage2)}
    )
    _note_stages(
        justification,
        warnings,
        remote_allowed=policy.stage1_remote_allowed,
        stage2=stage2,
        initial=initial,
        audit_type=audit_type,
    )
    return stage1, stage2


def _note_stages(justification, warnings, *, remote_allowed: bool, stage2, initial, audit_type: str) -> None:
    """What the split into stage 1 and stage 2 adds to the justification and the warnings."""
    if remote_allowed:
        justification.append(_("Stage 1 may be held remotely; it does not count as time on site."))
    if stage2 <= 0:
        warnings.append(
            _("Stage 1 takes all %(initial)s of the initial audit time and leaves none for stage 2.")
            % {"initial": _computed_days(initial)}
        )
    if audit_type in ("stage1", "stage2"):
        justification.append(_("Stage 1 and stage 2 together make the initial audit; the days are both."))
