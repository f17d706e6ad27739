"""Who acts in a write service: a person, whose rule the service checks, or the system.

Every write service takes the acting person (`actor`, or `user` where the service records them)
and checks it with its app's permissions rule, so the pages, the API and the Celery tasks obey
alike. Work that no person asks for (beat jobs, the outbox, the demo and benchmark data, tests'
set-up) passes SYSTEM instead, said out loud at the call.
"""


class SystemActor:
    """No person: the system itself. Passes every rule; never recorded as who did something."""

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


def check(actor, require, *args) -> None:
    """Run a permissions `require_*` rule for a person (PermissionDenied when refused); the system passes."""
    if actor is SYSTEM:
        return
    require(actor, *args)
