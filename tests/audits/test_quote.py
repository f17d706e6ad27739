"""The programme quote: days x day rate per audit, the total, who may see prices, page and PDF."""

from decimal import Decimal

import pytest

from audits.documents import programme_quote
from audits.models import Audit, AuditStatus, AuditType
from audits.services import audit_add, programme_create
from core.actors import SYSTEM
from core.errors import DomainError
from tests.conftest import CAST_NAMES, pdf_text
from tests.factories import OrganizationFactory


@pytest.fixture
def programme(cast):
    """Nordkontakt AB (155 personnel at 3 sites) under the ISO 18295 policy, at 14 500.50 a day."""
    scheme = cast.standard.scheme
    scheme.day_rate = Decimal("14500.50")
    scheme.save()
    return programme_create(actor=SYSTEM, organization=cast.org_a, standards=[cast.standard])


def _audit(programme, audit_type, sequence=1) -> Audit:
    return programme.audits.get(audit_type=audit_type, sequence=sequence)


# -- The numbers --------------------------------------------------------------------------------


def test_it_prices_every_audit_from_the_computed_days(cast, programme):
    # Initial 2.5 + 2 x 0.5 = 3.5 days: stage 1 0.5 (fixed), stage 2 3.0; surveillance
    # 3.5 x 0.3333 -> 1.0; recertification 3.5 x 0.6667 -> 2.5.
    quote = programme_quote(programme=programme)
    assert [(line.label, line.days, line.amount, line.estimated) for line in quote.lines] == [
        ("Stage 1", Decimal("0.5"), Decimal("7250.25"), True),
        ("Stage 2", Decimal("3.0"), Decimal("43501.50"), True),
        ("Surveillance 1", Decimal("1.0"), Decimal("14500.50"), True),
        ("Surveillance 2", Decimal("1.0"), Decimal("14500.50"), True),
        ("Recertification", Decimal("2.5"), Decimal("36251.25"), True),
    ]
    assert all(line.day_rate == Decimal("14500.50") for line in quote.lines)
    assert quote.total_days == Decimal("8.0")
    assert quote.total_amount == Decimal("116004.00")
    assert quote.total_amount == sum(line.days * line.day_rate for line in quote.lines)
    assert quote.currency == "SEK"
    assert quote.standards == ["ISO 18295-1:2017"]
    assert any("155 effective personnel at 3 sites" in note for note in quote.notes)
    assert any("Travel" in note for note in quote.notes)


def test_it_uses_the_planned_days_and_leaves_cancelled_audits_out(cast, programme):
    Audit.objects.filter(pk=_audit(programme, AuditType.SURVEILLANCE, 1).pk).update(
        planned_days=Decimal("1.5")
    )
    Audit.objects.filter(pk=_audit(programme, AuditType.SURVEILLANCE, 2).pk).update(
        status=AuditStatus.CANCELLED
    )
    quote = programme_quote(programme=programme)
    surveillance = next(line for line in quote.lines if line.label == "Surveillance 1")
    assert (surveillance.days, surveillance.amount, surveillance.estimated) == (
        Decimal("1.5"),
        Decimal("21750.75"),
        False,
    )
    assert "Surveillance 2" not in [line.label for line in quote.lines]
    assert quote.total_days == Decimal("7.5")
    assert quote.total_amount == Decimal("108753.75")  # 7.5 x 14 500.50


def test_it_rounds_each_amount_to_whole_cents_half_up(cast, programme):
    scheme = cast.standard.scheme
    scheme.day_rate = Decimal("999.99")
    scheme.save()
    quote = programme_quote(programme=programme)
    stage1 = quote.lines[0]
    assert stage1.amount == Decimal("500.00")  # 0.5 x 999.99 = 499.995
    assert quote.total_amount == sum(line.amount for line in quote.lines)
    assert quote.total_amount.as_tuple().exponent == -2


def test_it_sizes_a_special_audit_like_a_surveillance(cast, programme):
    audit_add(actor=SYSTEM, programme=programme)
    line = programme_quote(programme=programme).lines[-1]
    assert (line.label, line.days, line.estimated) == ("Special / short-notice", Decimal("1.0"), True)


def test_it_refuses_to_compute_days_for_an_organisation_without_sites(cast):
    organization = OrganizationFactory(legal_name="Tom AB")
    programme = programme_create(actor=SYSTEM, organization=organization, standards=[cast.standard])
    with pytest.raises(DomainError, match="Register the organisation's sites"):
        programme_quote(programme=programme)


def test_it_refuses_a_programme_whose_standard_has_no_scheme(cast, programme):
    cast.standard.scheme.delete()
    programme.refresh_from_db()
    with pytest.raises(DomainError, match="No certification scheme is set up for ISO 18295-1:2017"):
        programme_quote(programme=programme)


def test_it_needs_no_sites_when_every_audit_has_planned_days(cast):
    organization = OrganizationFactory(legal_name="Tom AB")
    programme = programme_create(actor=SYSTEM, organization=organization, standards=[cast.standard])
    programme.audits.update(planned_days=Decimal("2.0"))
    quote = programme_quote(programme=programme)
    assert quote.total_days == Decimal("10.0")
    assert not any(line.estimated for line in quote.lines)
    assert len(quote.notes) == 1


# -- Who sees it --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/programmes/{id}/quote/", "/programmes/{id}/quote.pdf"])
def test_it_answers_each_cast_user_as_decided(path, cast, programme, login):
    # The lead auditor can see Nordkontakt AB (403, not 404) but not what it is charged.
    url = path.format(id=programme.pk)
    got = [login(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == [302, 200, 403, 404, 200, 404], dict(zip(CAST_NAMES, got, strict=True))
    assert login(None).get(url).url.startswith("/login/")


@pytest.mark.parametrize("path", ["/programmes/{id}/quote/", "/programmes/{id}/quote.pdf"])
def test_it_refuses_other_methods(path, cast, programme, login):
    assert login(cast.staff).post(path.format(id=programme.pk)).status_code == 405


def test_it_answers_404_for_an_unknown_programme(cast, login):
    assert login(cast.staff).get("/programmes/999999/quote/").status_code == 404


# -- The page and the PDF -----------------------------------------------------------------------


def test_it_shows_the_lines_the_total_and_a_link_to_the_pdf(cast, programme, login):
    body = login(cast.client).get(f"/programmes/{programme.pk}/quote/").content.decode()
    assert body.index("Stage 1") < body.index("Surveillance 1") < body.index("Recertification")
    assert "43,501.50 SEK" in body
    assert "116,004.00 SEK" in body
    assert "14,500.50 SEK" in body
    assert f'href="/programmes/{programme.pk}/quote.pdf"' in body


def test_it_explains_a_quote_that_cannot_be_priced_with_a_400(cast, login):
    programme = programme_create(
        actor=SYSTEM, organization=OrganizationFactory(legal_name="Tom AB"), standards=[cast.standard]
    )
    for url in (f"/programmes/{programme.pk}/quote/", f"/programmes/{programme.pk}/quote.pdf"):
        response = login(cast.staff).get(url)
        assert response.status_code == 400
        assert "Register the organisation&#x27;s sites" in response.content.decode()


def test_it_renders_in_a_constant_number_of_queries(cast, programme, login, django_assert_max_num_queries):
    client = login(cast.client)
    url = f"/programmes/{programme.pk}/quote/"
    with django_assert_max_num_queries(15) as few:
        client.get(url)
    for _ in range(5):
        audit_add(actor=SYSTEM, programme=programme)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_it_downloads_the_quote_as_a_pdf_with_the_total(cast, programme, login):
    response = login(cast.staff).get(f"/programmes/{programme.pk}/quote.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f'attachment; filename="quote-nordkontakt-ab-{programme.pk}.pdf"'
    )
    text = pdf_text(response.content)
    for expected in [
        "Quote",
        "Nordkontakt AB",
        "Surveillance 2",
        "36,251.25 SEK",
        "116,004.00 SEK",
        "Travel",
    ]:
        assert expected in text, expected
