import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SWEDISH_ORG_NUMBER = re.compile(r"^\d{6}-\d{4}$")


def luhn_check_digit(digits: str) -> int:
    """The Luhn (mod 10) check digit for a string of digits, as Bolagsverket uses it."""
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def normalize_swedish_org_number(value: str) -> str:
    """'5560125790' and ' 556012-5790 ' both become '556012-5790'; other input is left as it is."""
    value = value.strip()
    if re.fullmatch(r"\d{10}", value):
        return f"{value[:6]}-{value[6:]}"
    return value


def validate_swedish_org_number(value: str) -> None:
    if not SWEDISH_ORG_NUMBER.match(value):
        raise ValidationError(
            _("A Swedish organisation number is written NNNNNN-NNNN, for example 556012-5790."),
            code="format",
        )
    digits = value.replace("-", "")
    if luhn_check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError(
            _("%(value)s is not a valid Swedish organisation number: the check digit does not match."),
            code="check_digit",
            params={"value": value},
        )
