from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        # The role groups are configuration, not data: keep them in step with the code after
        # every migrate (and every test flush), so fresh and upgraded databases end up the same.
        post_migrate.connect(_ensure_role_groups, sender=self, dispatch_uid="certdesk-role-groups")
        # Log-ins, log-outs and failed log-ins go to the security log.
        from accounts.security import connect_receivers

        connect_receivers()
        # two_factor connects the log-in receiver that notes in the session whether a one-time code
        # is owed; deliveries names the e-mails accounts sends to the outbox, whichever process
        # reads it first.
        from accounts import deliveries, two_factor  # noqa: F401


def _ensure_role_groups(sender, using="default", **kwargs):
    from accounts.roles import ensure_role_groups

    ensure_role_groups(using=using)
