from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from clients.validators import normalize_swedish_org_number, validate_swedish_org_number
from core.limits import LONG_TEXT_MAX_LENGTH


class OrganizationQuerySet(models.QuerySet):
    def with_site_totals(self):
        """site_count (0 without sites) and personnel_total (None without sites) on each organisation.

        Scalar subqueries in the SELECT list rather than aggregates of the outer query: no GROUP BY
        over every column, and count() drops them (paging counts with a bare COUNT(*)).
        """
        sites = Site.objects.filter(organization=OuterRef("pk")).order_by().values("organization")
        return self.annotate(
            site_count=Coalesce(Subquery(sites.annotate(count=Count("pk")).values("count")), 0),
            personnel_total=Subquery(sites.annotate(total=Sum("effective_personnel")).values("total")),
        )


class Organization(models.Model):
    """A client of the certification body: the legal entity that is audited and certified."""

    legal_name = models.CharField(_("legal name"), max_length=200)
    org_number = models.CharField(
        _("organisation number"),
        max_length=40,
        blank=True,
        help_text=_("For a Swedish company NNNNNN-NNNN, as registered with Bolagsverket."),
    )
    address = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country"), default="SE")
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["legal_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "org_number"],
                condition=~Q(org_number=""),
                name="organization_unique_number_per_country",
                violation_error_message=_("An organisation with this number is already registered."),
            )
        ]
        indexes = [
            # The organisation list and the public register search by name.
            models.Index(fields=["legal_name"], name="organization_name_idx"),
        ]

    def __str__(self):
        return self.legal_name

    def clean(self):
        super().clean()
        if self.country == "SE" and self.org_number:
            self.org_number = normalize_swedish_org_number(self.org_number)
            try:
                validate_swedish_org_number(self.org_number)
            except ValidationError as exc:
                raise ValidationError({"org_number": exc.messages}) from None

    @property
    def full_address(self) -> str:
        parts = [self.address, " ".join(p for p in (self.postal_code, self.city) if p), self.country.name]
        return ", ".join(p for p in parts if p)


class Site(models.Model):
    """A location of a client where people work within the certified scope."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="sites", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100)
    country = CountryField(_("country"), default="SE")
    is_central_function = models.BooleanField(
        _("central function"),
        default=False,
        help_text=_("The head office that runs the management system for all sites; at most one."),
    )
    effective_personnel = models.DecimalField(
        _("effective personnel"),
        max_digits=8,
        decimal_places=1,
        validators=[MinValueValidator(0)],
        help_text=_("Everyone in scope on all shifts; part-time staff counted as full-time equivalents."),
    )
    activities = models.TextField(_("activities at the site"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        # The central function first, then by name: the order plans and certificates list them in.
        ordering = ["organization_id", "-is_central_function", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(is_central_function=True),
                name="site_one_central_function_per_organization",
                violation_error_message=_("This organisation already has a central function."),
            ),
            models.UniqueConstraint(
                fields=["organization", "name"],
                name="site_unique_name_per_organization",
                violation_error_message=_("This organisation already has a site with this name."),
            ),
            models.CheckConstraint(
                condition=Q(effective_personnel__gte=0),
                name="site_personnel_not_negative",
                violation_error_message=_("Effective personnel cannot be negative."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.city})"


class ConsultancyKind(models.TextChoices):
    CONSULTANCY = "consultancy", _("Management-system consultancy")
    EMPLOYMENT = "employment", _("Employment")


class ConsultancyDeclaration(models.Model):
    """Who gave this client management-system consultancy (or employed one of our people), and until when.

    Impartiality rules read these: no certification within two years of consultancy by a body
    related to the certification body, and no auditor on a client's audits, nor its certification
    decider, within two years of having consulted for or worked at it or a body related to it
    (recorded on the client with `client_related_body`).
    """

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="consultancy_declarations",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=ConsultancyKind.choices, default=ConsultancyKind.CONSULTANCY
    )
    provider = models.CharField(
        _("provided by"), max_length=200, help_text=_("The consultancy or person who gave the advice.")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultancy_declarations",
        verbose_name=_("our person involved"),
        help_text=_(
            "Set when one of the certification body's own people consulted for or worked at the client."
        ),
    )
    related_to_certification_body = models.BooleanField(
        _("body related to the certification body"),
        default=False,
        help_text=_("The provider is owned by or otherwise related to the certification body."),
    )
    client_related_body = models.CharField(
        _("for a body related to the client"),
        max_length=200,
        blank=True,
        help_text=_(
            "The client's parent, subsidiary or other related body the advice or employment was for; "
            "empty when it was for the client itself. It bars our person just the same."
        ),
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    until = models.DateField(_("until"), help_text=_("Last day of the consultancy or employment."))
    declared_at = models.DateTimeField(_("declared"), auto_now_add=True)

    class Meta:
        verbose_name = _("consultancy declaration")
        verbose_name_plural = _("consultancy declarations")
        ordering = ["organization_id", "-until", "id"]

    def __str__(self):
        return f"{self.provider} → {self.organization} (until {self.until:%Y-%m-%d})"

    @property
    def consulted_for(self) -> str:
        """Whom the advice or employment was for: the client, or the body related to it."""
        if self.client_related_body:
            return _("%(body)s, a body related to %(organization)s") % {
                "body": self.client_related_body,
                "organization": self.organization,
            }
        return str(self.organization)


class ClientRole(models.TextChoices):
    ADMIN = "admin", _("Client admin")
    RESPONDER = "responder", _("Responder")


class ClientMembership(models.Model):
    """Makes a user one of a client's people: its admin or a responder to nonconformities."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="client_membership",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(
        _("role"), max_length=20, choices=ClientRole.choices, default=ClientRole.RESPONDER
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("client user")
        verbose_name_plural = _("client users")
        ordering = ["organization_id", "user_id"]

    def __str__(self):
        return f"{self.user} – {self.organization} ({self.get_role_display()})"


# Direct foreign-key object permissions: one indexed join per check instead of guardian's
# generic (content type, object_pk text) table.
class OrganizationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False


class OrganizationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
