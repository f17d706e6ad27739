import pytest
from django.core.exceptions import ValidationError

from clients.models import Organization
from clients.validators import luhn_check_digit, normalize_swedish_org_number, validate_swedish_org_number


@pytest.mark.parametrize("number", ["556012-5790", "556677-8816", "202100-5489", "802002-4280"])
def test_it_accepts_valid_swedish_numbers(number):
    validate_swedish_org_number(number)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("556012-5791", "check_digit"),
        ("5560125790", "format"),
        ("556012-579", "format"),
        ("55601-25790", "format"),
        ("abcdef-ghij", "format"),
        ("", "format"),
    ],
)
def test_it_refuses_invalid_swedish_numbers(number, code):
    with pytest.raises(ValidationError) as error:
        validate_swedish_org_number(number)
    assert error.value.code == code


def test_it_computes_the_luhn_digit():
    assert luhn_check_digit("556012579") == 0
    assert luhn_check_digit("202100548") == 9


def test_it_normalizes_only_ten_digits():
    assert normalize_swedish_org_number(" 5560125790 ") == "556012-5790"
    assert normalize_swedish_org_number("NO 923609016") == "NO 923609016"


@pytest.mark.django_db
def test_it_validates_only_swedish_organizations():
    Organization(legal_name="Norsk AS", country="NO", org_number="923609016").full_clean()
    with pytest.raises(ValidationError) as error:
        Organization(legal_name="Svensk AB", country="SE", org_number="923609016").full_clean()
    assert "org_number" in error.value.message_dict
