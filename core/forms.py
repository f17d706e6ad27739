"""Shared pieces of the HTML forms and query strings."""

from django import forms

# The largest id a row can have: ids are 64-bit (DEFAULT_AUTO_FIELD). A larger number sent as an id
# overflows the database's integer in a query (SQLite raises OverflowError: a 500), so every id
# taken from a form, a query string or an API body is checked against this first.
MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """An id from a query string: a whole number a row can have, or None for anything else."""
    text = str(value or "").strip()
    # isdecimal(), unlike isdigit(), takes no superscripts, which int() would refuse.
    if not text.isdecimal() or not text.isascii():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def _past_any_column(value) -> bool:
    """True for a number Django would take as an id (int() reads it) that no 64-bit column holds."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return False  # not a number at all: Django refuses it itself
    return not -(2**63) <= number <= MAX_ID


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, with an id no row can have refused like any other unknown choice.

    Django looks the chosen ids up with `pk__in`, which, unlike an exact lookup, sends a number past
    the column's range to the database as it is.
    """

    def clean(self, value):
        if self.to_field_name is None and isinstance(value, (list, tuple)):
            for chosen in value:
                if _past_any_column(chosen):
                    raise forms.ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": chosen}
                    )
        return super().clean(value)
