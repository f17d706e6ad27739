"""Multi-site sampling (IAF MD 1): sample sizes and which sites are visited. No database needed."""

import pytest

from audits.sampling import (
    REASON_CENTRAL,
    REASON_FEWEST_VISITS,
    REASON_NOT_VISITED,
    SamplingError,
    SiteChoice,
    new_seed,
    random_reason,
    sample_size,
    select_sites,
    visited_count,
)

# x (sites besides the central function) -> (initial, surveillance, recertification).
SAMPLED = {
    0: (0, 0, 0),
    1: (1, 1, 1),
    2: (2, 1, 2),
    4: (2, 2, 2),
    10: (4, 2, 3),
    30: (6, 4, 5),
}
# Without sampling: every site at initial and recertification, 30 % rounded up at surveillance.
UNSAMPLED = {
    0: (0, 0, 0),
    1: (1, 1, 1),
    2: (2, 1, 2),
    4: (4, 2, 4),
    10: (10, 3, 10),
    30: (30, 9, 30),
}
TYPES = ("initial", "surveillance", "recertification")


@pytest.mark.parametrize("x", SAMPLED)
def test_it_sizes_samples(x):
    got = tuple(sample_size(non_central_sites=x, audit_type=kind, sampling_allowed=True) for kind in TYPES)
    assert got == SAMPLED[x]


@pytest.mark.parametrize("x", UNSAMPLED)
def test_it_sizes_visits_without_sampling(x):
    got = tuple(sample_size(non_central_sites=x, audit_type=kind, sampling_allowed=False) for kind in TYPES)
    assert got == UNSAMPLED[x]


def test_it_follows_the_worked_example():
    # 11 sites including the central function: x = 10.
    sampled = [sample_size(non_central_sites=10, audit_type=kind, sampling_allowed=True) for kind in TYPES]
    visited = [visited_count(non_central_sites=10, audit_type=kind, sampling_allowed=True) for kind in TYPES]
    assert sampled == [4, 2, 3]
    assert visited == [5, 3, 4]


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        # Exact squares: 0.6 * 5 = 3 and 0.8 * 5 = 4, not a hair more.
        (25, (5, 3, 4)),
        (100, (10, 6, 8)),
        # Past float precision: math.sqrt(10**30 + 1) == 10**15 would lose the "+ 1".
        (10**30, (10**15, 6 * 10**14, 8 * 10**14)),
        (10**30 + 1, (10**15 + 1, 6 * 10**14 + 1, 8 * 10**14 + 1)),
    ],
)
def test_it_uses_exact_integer_arithmetic(x, expected):
    got = tuple(sample_size(non_central_sites=x, audit_type=kind, sampling_allowed=True) for kind in TYPES)
    assert got == expected


def test_it_never_samples_more_sites_than_there_are():
    for x in range(0, 50):
        for kind in TYPES:
            assert sample_size(non_central_sites=x, audit_type=kind, sampling_allowed=True) <= x


def test_it_sizes_audit_model_types_by_their_rule():
    assert sample_size(non_central_sites=10, audit_type="stage1", sampling_allowed=True) == 4
    assert sample_size(non_central_sites=10, audit_type="stage2", sampling_allowed=True) == 4
    assert sample_size(non_central_sites=10, audit_type="special", sampling_allowed=True) == 2


def test_it_refuses_an_unknown_audit_type():
    with pytest.raises(SamplingError, match="Unknown audit type 'weekly'") as caught:
        sample_size(non_central_sites=3, audit_type="weekly", sampling_allowed=True)
    assert caught.value.field == "audit_type"


def test_it_refuses_a_negative_count():
    with pytest.raises(SamplingError):
        sample_size(non_central_sites=-1, audit_type="initial", sampling_allowed=True)


def _sites(count: int, *, central: int | None = 1) -> list[SiteChoice]:
    return [
        SiteChoice(id=n, name=f"Site {n:02d}", is_central_function=n == central) for n in range(1, count + 1)
    ]


def _ids(selected) -> list[int]:
    return [site.id for site in selected]


def test_it_always_selects_the_central_function_first():
    sites = _sites(11, central=7)
    for seed in range(20):
        selected = select_sites(sites=sites, sample=4, seed=seed, visits_in_cycle={})
        assert selected[0].id == 7
        assert selected[0].reason == REASON_CENTRAL
        assert 7 not in _ids(selected[1:])
        assert len(set(_ids(selected))) == 5


def test_it_takes_the_first_site_when_none_is_the_central_function():
    selected = select_sites(sites=_sites(4, central=None), sample=0, seed=1, visits_in_cycle={})
    assert [(site.id, site.reason) for site in selected] == [(1, REASON_CENTRAL)]


def test_it_is_reproducible_from_the_seed():
    sites = _sites(31)
    first = select_sites(sites=sites, sample=6, seed=12345, visits_in_cycle={})
    again = select_sites(sites=sites, sample=6, seed=12345, visits_in_cycle={})
    # The caller's order does not matter either: the draw is over the sites sorted by id.
    reordered = select_sites(sites=list(reversed(sites)), sample=6, seed=12345, visits_in_cycle={})
    assert first == again == reordered


def test_it_draws_differently_with_other_seeds():
    sites = _sites(31)
    draws = {
        tuple(_ids(select_sites(sites=sites, sample=6, seed=seed, visits_in_cycle={}))) for seed in range(10)
    }
    assert len(draws) > 1


@pytest.mark.parametrize(("sample", "random_count"), [(1, 1), (2, 1), (4, 1), (5, 2), (8, 2), (9, 3)])
def test_it_draws_at_least_a_quarter_at_random(sample, random_count):
    selected = select_sites(sites=_sites(31), sample=sample, seed=99, visits_in_cycle={})
    reasons = [site.reason for site in selected[1:]]
    assert len(reasons) == sample
    assert reasons.count(random_reason(99)) == random_count
    assert random_reason(99) == "random (seed 99)"


def test_it_prefers_sites_not_yet_visited_in_the_cycle():
    sites = _sites(11)
    # Every site but 4 and 9 was visited in this cycle; the central function does not count.
    visits = {site.id: 1 for site in sites if site.id not in (4, 9)}
    for seed in range(20):
        selected = select_sites(sites=sites, sample=4, seed=seed, visits_in_cycle=visits)
        chosen = [site for site in selected if site.reason not in (REASON_CENTRAL, random_reason(seed))]
        assert len(chosen) == 3
        unvisited = [site.id for site in chosen if site.reason == REASON_NOT_VISITED]
        drawn = [site.id for site in selected if site.reason == random_reason(seed)]
        # Both unvisited sites are chosen: by preference, or already by the draw.
        assert {4, 9} <= set(unvisited) | set(drawn)
        assert all(visits.get(site_id, 0) == 0 for site_id in unvisited)


def test_it_then_prefers_the_fewest_visits_ordered_by_name():
    sites = _sites(6)
    visits = {2: 3, 3: 1, 4: 2, 5: 1, 6: 3}
    selected = select_sites(sites=sites, sample=3, seed=0, visits_in_cycle=visits)
    drawn = [site.id for site in selected if site.reason == random_reason(0)]
    rest = [(site.id, site.reason) for site in selected if site.reason == REASON_FEWEST_VISITS]
    expected = [site_id for site_id in (3, 5, 4, 2, 6) if site_id not in drawn][:2]
    assert rest == [(site_id, REASON_FEWEST_VISITS) for site_id in expected]


def test_it_caps_the_sample_at_the_sites_there_are():
    selected = select_sites(sites=_sites(3), sample=10, seed=5, visits_in_cycle={})
    assert sorted(_ids(selected)) == [1, 2, 3]


def test_it_selects_nothing_from_no_sites():
    assert select_sites(sites=[], sample=2, seed=5, visits_in_cycle={}) == []


def test_it_makes_seeds_that_fit_the_audit_field():
    seeds = {new_seed() for _ in range(20)}
    assert all(0 <= seed < 2**31 for seed in seeds)
    assert len(seeds) > 1
