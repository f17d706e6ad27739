"""Multi-site sampling (IAF MD 1): how many sites an audit visits, and which.

Pure functions, no database: callers pass plain values (see shared/DOMAIN.md "Multi-site sampling").
Sample sizes use integer arithmetic only, so a square root that lands exactly on a whole number
(x = 25: 0.6 * 5 = 3) can never be pushed up by a floating-point error.
"""

import math
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from django.utils.translation import gettext as _

from core.errors import DomainError

INITIAL = "initial"
SURVEILLANCE = "surveillance"
RECERTIFICATION = "recertification"

# The audit model's types, mapped to the rule that sizes them. A special (short-notice) audit is
# sized like a surveillance; stage 1 and stage 2 together make the initial audit.
AUDIT_TYPE_RULES = {
    INITIAL: INITIAL,
    "stage1": INITIAL,
    "stage2": INITIAL,
    SURVEILLANCE: SURVEILLANCE,
    "special": SURVEILLANCE,
    RECERTIFICATION: RECERTIFICATION,
}

# IAF MD 1: sample = ceil(factor * sqrt(x)), x = sites besides the central function.
SAMPLE_FACTORS = {INITIAL: Fraction(1), SURVEILLANCE: Fraction(6, 10), RECERTIFICATION: Fraction(8, 10)}
# Without sampling, a surveillance visits this share of the sites (per calendar year), rounded up.
UNSAMPLED_SURVEILLANCE_SHARE = Fraction(3, 10)
# At least this share of a sample is drawn at random; the rest spreads visits across the cycle.
RANDOM_SHARE = Fraction(1, 4)

REASON_CENTRAL = "central function"
REASON_NOT_VISITED = "not yet visited in this cycle"
REASON_FEWEST_VISITS = "fewest visits in this cycle"


class SamplingError(DomainError):
    """Sampling asked for something that cannot be (an unknown audit type, a negative count)."""


def audit_type_rule(audit_type: str) -> str:
    """The rule ("initial", "surveillance" or "recertification") that sizes an audit of this type."""
    try:
        return AUDIT_TYPE_RULES[audit_type]
    except (KeyError, TypeError):
        raise SamplingError(
            _("Unknown audit type %(type)s: expected one of %(types)s.")
            % {"type": repr(audit_type), "types": ", ".join(AUDIT_TYPE_RULES)},
            field="audit_type",
        ) from None


def ceil_sqrt(value: int) -> int:
    """The smallest whole n with n * n >= value."""
    root = math.isqrt(value)
    return root if root * root == value else root + 1


def _ceil_times_sqrt(factor: Fraction, value: int) -> int:
    # n >= (p/q) * sqrt(x)  <=>  q * n >= sqrt(p² x)  <=>  q * n >= ceil(sqrt(p² x)) for whole n.
    return -(-ceil_sqrt(factor.numerator**2 * value) // factor.denominator)


def sample_size(*, non_central_sites: int, audit_type: str, sampling_allowed: bool) -> int:
    """How many sites besides the central function an audit of this type visits."""
    rule = audit_type_rule(audit_type)
    if non_central_sites < 0:
        raise SamplingError(_("The number of sites cannot be negative."), field="sites")
    if not sampling_allowed:
        if rule == SURVEILLANCE:
            share = UNSAMPLED_SURVEILLANCE_SHARE
            return -(-non_central_sites * share.numerator // share.denominator)
        return non_central_sites
    return min(non_central_sites, _ceil_times_sqrt(SAMPLE_FACTORS[rule], non_central_sites))


def visited_count(*, non_central_sites: int, audit_type: str, sampling_allowed: bool) -> int:
    """Sites the audit visits: the sample plus the central function, which every audit visits."""
    sample = sample_size(
        non_central_sites=non_central_sites, audit_type=audit_type, sampling_allowed=sampling_allowed
    )
    return sample + 1


@dataclass(frozen=True)
class SiteChoice:
    id: int
    name: str
    is_central_function: bool = False


@dataclass(frozen=True)
class SelectedSite:
    id: int
    name: str
    reason: str


def random_reason(seed: int) -> str:
    return f"random (seed {seed})"


def new_seed() -> int:
    """A fresh seed to record with the audit, so its random choice can be reproduced."""
    return secrets.randbelow(2**31)


def select_sites(
    *, sites: Sequence[SiteChoice], sample: int, seed: int, visits_in_cycle: Mapping[int, int]
) -> list[SelectedSite]:
    """The central function plus `sample` other sites, some at random, the rest least visited first.

    The central function is the site marked as such, or the first site given when none is. The
    random part is drawn from the other sites sorted by id, so the same seed picks the same sites
    whatever order the caller lists them in. `visits_in_cycle` maps site id to the number of audits
    that visited it in the current cycle; sites missing from it have not been visited.
    """
    if sample < 0:
        raise SamplingError(_("The sample size cannot be negative."), field="sample")
    if not sites:
        return []
    central = next((site for site in sites if site.is_central_function), sites[0])
    others = sorted((site for site in sites if site.id != central.id), key=lambda site: site.id)
    sample = min(sample, len(others))

    selected = [SelectedSite(central.id, central.name, REASON_CENTRAL)]
    if sample == 0:
        return selected
    random_count = math.ceil(sample * RANDOM_SHARE)
    # Not for security: a recorded seed must reproduce the same draw (IAF MD 1).
    drawn = random.Random(seed).sample(others, random_count)  # noqa: S311
    selected += [SelectedSite(site.id, site.name, random_reason(seed)) for site in drawn]

    drawn_ids = {site.id for site in drawn}
    remaining = sorted(
        (site for site in others if site.id not in drawn_ids),
        key=lambda site: (visits_in_cycle.get(site.id, 0), site.name, site.id),
    )
    for site in remaining[: sample - random_count]:
        reason = REASON_FEWEST_VISITS if visits_in_cycle.get(site.id, 0) else REASON_NOT_VISITED
        selected.append(SelectedSite(site.id, site.name, reason))
    return selected
