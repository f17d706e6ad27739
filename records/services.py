"""Writes for records retention: the nightly list of organisations due, and a disposal.

A disposal (ISO/IEC 17021-1 9.9; shared/DOMAIN.md, "Records") runs in this order, so nothing is
lost that the archive does not hold:

1. refuse while anything is open (`selectors.disposal_blockers`) or the retention has not ended;
2. write the organisation's full export (records/export.py, internal records included, each file
   with its SHA-256 in SHA256SUMS) and pack it into one .tar.gz under RECORDS_ARCHIVE_ROOT, whose
   own SHA-256 is taken;
3. empty the personal data (the client's users: names, e-mail, log-in; the organisation's contact
   person, e-mail and phone) and delete the evidence files (and their thumbnails) and the files
   attached to nonconformities and their answers from storage;
4. keep a `Disposal` row: the organisation's name, what was disposed of, when, by whom, the archive's
   path and SHA-256.

The rows themselves stay (certificate numbers are never reused, and decisions point at audits): a
download of a disposed file then answers that the file is not there. A second confirmation (a
double tap, a retry) finds the Disposal and changes nothing.
"""

import datetime
import hashlib
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Organization
from core.actors import check
from core.errors import ConflictError
from findings.models import Evidence, NonconformityAttachment
from records.export import organization_export
from records.models import Disposal, DisposalDue
from records.permissions import require_can_dispose
from records.selectors import disposal_blockers, is_due, organizations_due_for_disposal

CHUNK = 1024 * 1024


@transaction.atomic
def disposals_due_refresh(*, actor, today: datetime.date) -> int:
    """Replace the list of organisations due for disposal with today's; how many are due."""
    check(actor, require_can_dispose)
    due = organizations_due_for_disposal(today=today)
    for organization, ended in due:
        DisposalDue.objects.update_or_create(
            organization=organization, defaults={"retention_ended_on": ended}
        )
    DisposalDue.objects.exclude(organization__in=[organization.pk for organization, _ended in due]).delete()
    return len(due)


def archive_root() -> Path:
    return Path(settings.RECORDS_ARCHIVE_ROOT)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _archive(organization: Organization, now: datetime.datetime) -> tuple[Path, str]:
    """The organisation's full export packed into one new .tar.gz; its path and SHA-256."""
    root = archive_root()
    root.mkdir(parents=True, exist_ok=True)
    name = f"{organization.org_number or 'org'}-{organization.pk}-{now:%Y%m%dT%H%M%S}"
    archive = root / f"{name}.tar.gz"
    with tempfile.TemporaryDirectory(dir=root) as work:
        directory = Path(work) / name
        organization_export(organization=organization, directory=directory, include_internal=True)
        # "x": an archive is never written over; a second one in the same second is refused.
        with tarfile.open(archive, "x:gz") as packed:
            packed.add(directory, arcname=name)
    return archive, _sha256(archive)


def _delete_stored(field_file) -> int:
    if field_file and field_file.storage.exists(field_file.name):
        field_file.storage.delete(field_file.name)
        return 1
    return 0


def _remove_personal_data(organization: Organization) -> dict:
    users = get_user_model().objects.filter(client_membership__organization=organization)
    people = 0
    for user in users:
        user.username = f"disposed-{user.pk}"
        user.first_name = user.last_name = user.email = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        people += 1
    Organization.objects.filter(pk=organization.pk).update(
        contact_name="", contact_email="", contact_phone=""
    )
    return {"client_users": people, "contact_details": 1}


def _delete_files(organization: Organization) -> dict:
    evidence = thumbnails = nc_files = 0
    for item in Evidence.objects.filter(audit__organization=organization):
        evidence += _delete_stored(item.file)
        thumbnails += _delete_stored(item.thumbnail)
    for attachment in NonconformityAttachment.objects.filter(nonconformity__audit__organization=organization):
        nc_files += _delete_stored(attachment.file)
    return {"evidence_files": evidence, "thumbnails": thumbnails, "nonconformity_files": nc_files}


@transaction.atomic
def organization_dispose(*, user, organization: Organization, today: datetime.date) -> Disposal:
    """Dispose of the organisation's records (see the module's docstring); the Disposal row.

    Confirmed again, the first Disposal is returned and nothing more is done.
    """
    require_can_dispose(user)
    # One disposal at a time per organisation: a second confirmation waits here, then finds the row.
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    done = Disposal.objects.filter(organization=organization).first()
    if done is not None:
        return done
    blockers = disposal_blockers(organization)
    if blockers:
        raise ConflictError(
            _("Nothing is disposed of while something is open: %(why)s") % {"why": " ".join(blockers)},
            reasons=blockers,
        )
    if not is_due(organization, today=today):
        raise ConflictError(
            _("The records of %(name)s are not yet due for disposal.") % {"name": organization}
        )
    now = timezone.now()
    archive, sha256 = _archive(organization, now)
    try:
        disposal = Disposal.objects.create(
            organization=organization,
            organization_name=organization.legal_name,
            disposed_by=user,
            disposed=_remove_personal_data(organization),
            archive_path=str(archive),
            archive_sha256=sha256,
        )
        DisposalDue.objects.filter(organization=organization).delete()
    except Exception:
        # Nothing was disposed of after all (the database rolls back): the archive goes too.
        archive.unlink(missing_ok=True)
        raise
    # Last, as the one step no rollback undoes: the files, which the archive now holds.
    disposal.disposed = {**disposal.disposed, **_delete_files(organization)}
    disposal.save(update_fields=["disposed"])
    return disposal
