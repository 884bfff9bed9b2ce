"""The closures' refusals as typed errors with stable codes and Polish/English messages (STYLE rule 2)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carenet.closures.policies import NOTE_MAX_LENGTH, REASON_MAX_LENGTH, ClosureRefusal
from carenet.core.errors import ApplicationError, Conflict, NotFound, ValidationFailed

_MESSAGES: dict[ClosureRefusal, Promise] = {
    ClosureRefusal.REASON_MISSING: _("Give the reason of the closure (patients read it)."),
    ClosureRefusal.REASON_TOO_LONG: _("The reason may have at most %(limit)s characters."),
    ClosureRefusal.ENDS_BEFORE_START: _("A closure must end after it starts."),
    ClosureRefusal.ALREADY_ENDED: _("This period has already ended."),
    ClosureRefusal.TOO_LONG: _("A closure lasts at most a year; a facility leaving the network is deactivated."),
    ClosureRefusal.ALREADY_REOPENED: _("This closure has already been reopened."),
    ClosureRefusal.NOTE_TOO_LONG: _("The note may have at most %(limit)s characters."),
    ClosureRefusal.ALREADY_REBOOKED: _("This visit has already been rebooked."),
}
_CONFLICTS = {ClosureRefusal.ALREADY_REOPENED, ClosureRefusal.ALREADY_REBOOKED, ClosureRefusal.ALREADY_ENDED}


def refused(refusal: ClosureRefusal) -> ApplicationError:
    kind = Conflict if refusal in _CONFLICTS else ValidationFailed
    limit = {ClosureRefusal.REASON_TOO_LONG: REASON_MAX_LENGTH, ClosureRefusal.NOTE_TOO_LONG: NOTE_MAX_LENGTH}
    message = _MESSAGES[refusal]
    if refusal in limit:  # formatted when raised, in the language of the request
        return kind(str(message) % {"limit": limit[refusal]}, code=refusal.value)
    return kind(message, code=refusal.value)


def closure_not_found() -> NotFound:
    return NotFound(_("There is no such closure."), code="closure_not_found")


def notice_not_found() -> NotFound:
    return NotFound(_("There is no such cancelled visit."), code="not_found")


def facility_not_found() -> ValidationFailed:
    return ValidationFailed(_("Choose a facility of the network."), code="facility_not_found")


def clinician_not_found() -> ValidationFailed:
    return ValidationFailed(_("Choose a clinician who works at this facility."), code="clinician_not_found")
