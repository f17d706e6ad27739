class DomainError(Exception):
    """A refused business action, with a message fit to show the user.

    Views turn it into a form error or an HTTP 400/409; it is never a 500.
    """

    status_code = 400

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field


class ConflictError(DomainError):
    """The action does not fit the record's current state (HTTP 409)."""

    status_code = 409
