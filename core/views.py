from django.core.exceptions import ValidationError

from core.errors import DomainError


def save_with_service(form, save):
    """Run a service; turn its refusal into form errors so nothing typed is lost.

    A DomainError naming a field of the form is shown beside that field (and in the summary);
    any other refusal is shown at the top of the form. Returns None when refused.
    """
    try:
        return save()
    except ValidationError as exc:
        form.add_error(None, exc)
    except DomainError as exc:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)
    return None
