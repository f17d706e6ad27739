class DomainError(Exception):
    """A refused business action, with a message fit to show the user.

    Views turn it into a form error or an HTTP 400/409; it is never a 500.
    """

    status_code = 400

    def __init__(self, message, *, field: str | None = None, reasons: list[str] | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        # Several reasons at once (a decision's blockers): the API answers them as a list too.
        self.reasons = [str(reason) for reason in reasons] if reasons else []


class ConflictError(DomainError):
    """The action does not fit the record's current state (HTTP 409)."""

    status_code = 409
