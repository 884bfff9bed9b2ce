"""Typed errors of online consultations with stable codes and Polish/English messages (STYLE rule 2).

:func:`refused` gives the right class for a code: ``line_not_found`` and ``file_not_found`` are 404 (the actor may
not know it exists), ``level_two_required`` 403, bad input 422, and every refusal of the queue's state 409
(:class:`ConsultationRefused`). Booking rules (coverage, PKG-4, BKG-3) keep their own
:class:`carenet.booking.errors.BookingRefused` codes and messages, as for a booking.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carenet.accounts.selectors import LEVEL_TWO_REQUIRED_MESSAGE
from carenet.consultations.policies import ConsultationCode
from carenet.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed

MESSAGES: dict[ConsultationCode, Promise] = {
    ConsultationCode.LINE_NOT_FOUND: _("There is no such online consultation line."),
    ConsultationCode.LINE_NOT_FOR_AGE: _("This line is not for the patient's age; please choose another specialty."),
    ConsultationCode.LEVEL_TWO_REQUIRED: LEVEL_TWO_REQUIRED_MESSAGE,
    ConsultationCode.ALREADY_WAITING: _("This patient already has an online consultation under way."),
    ConsultationCode.NOBODY_ON_DUTY: _(
        "Nobody of this specialty is on duty now. Please book one of the nearest phone or video consultations."
    ),
    ConsultationCode.WAIT_TOO_LONG: _(
        "The wait in this line is too long now. Please book one of the nearest phone or video consultations, or try "
        "again later."
    ),
    ConsultationCode.NOT_WAITING: _("This consultation is no longer waiting in the queue."),
    ConsultationCode.NOT_ON_DUTY: _("You are not on duty for any online consultation line now."),
    ConsultationCode.ALREADY_IN_CONSULTATION: _("Please end your current consultation before taking the next one."),
    ConsultationCode.NOT_IN_PROGRESS: _("This consultation is not in progress."),
    ConsultationCode.UNKNOWN_OUTCOME: _("Choose how the consultation ended."),
    ConsultationCode.SURVEY_CLOSED: _("The survey of this consultation is closed."),
    ConsultationCode.SURVEY_ANSWERED: _("The survey of this consultation has already been answered. Thank you!"),
    ConsultationCode.UNKNOWN_MODE: _("Choose chat, voice call or video call."),
    ConsultationCode.UNKNOWN_CHANNEL: _("Unknown channel of the consultation."),
    ConsultationCode.INVALID_NOTE: _("The note is too long or contains characters that cannot be stored."),
    ConsultationCode.INVALID_RATING: _("Choose a rating from 1 to 5."),
    ConsultationCode.INVALID_RESOLVED: _("Say whether the problem was resolved: yes, partly or no."),
    ConsultationCode.INVALID_COMMENT: _(
        "The comment is too long (at most 500 characters) or contains characters that cannot be stored."
    ),
    ConsultationCode.FILE_NOT_FOUND: _("No such file."),
    ConsultationCode.TOO_MANY_FILES: _("A consultation can have at most %(count)s files attached."),
    ConsultationCode.NOT_VIDEO: _("This visit is not a video consultation."),
    ConsultationCode.VISIT_NOT_ACTIVE: _("This visit is not booked any more."),
    ConsultationCode.ROOM_NOT_OPEN_YET: _("The video consultation's room opens 15 minutes before the visit."),
    ConsultationCode.ROOM_CLOSED: _("The video consultation's room was open until the end of the visit's day."),
    ConsultationCode.DUTY_ENDED: _(
        "Nobody of this specialty was on duty any more, so the consultation left the queue. Please book one of the "
        "nearest phone or video consultations."
    ),
    ConsultationCode.NOT_COVERED_ANY_MORE: _(
        "While the consultation waited, the package stopped covering it as it did when it joined the queue (the "
        "enrolment ended or the annual limit was used), so it left the queue. Please book a phone or video "
        "consultation: the booking shows its price first."
    ),
}

_NOT_FOUND = frozenset({ConsultationCode.LINE_NOT_FOUND, ConsultationCode.FILE_NOT_FOUND})
_FORBIDDEN = frozenset({ConsultationCode.LEVEL_TWO_REQUIRED})
_INVALID = frozenset(
    {
        ConsultationCode.UNKNOWN_MODE,
        ConsultationCode.UNKNOWN_CHANNEL,
        ConsultationCode.UNKNOWN_OUTCOME,
        ConsultationCode.INVALID_NOTE,
        ConsultationCode.INVALID_RATING,
        ConsultationCode.INVALID_RESOLVED,
        ConsultationCode.INVALID_COMMENT,
    }
)


class ConsultationRefused(ApplicationError):
    """TEL-2, FBK-1, SCH-3: the consultation's state (or the line's) refuses the action; ``code`` says why (a
    :class:`ConsultationCode`). Changes nothing."""

    status_code = 409
    default_code = "consultation_refused"


def message_of(code: ConsultationCode, **params: Any) -> str:
    message = str(MESSAGES[code])
    return message % params if params else message


def refused(code: ConsultationCode, *, details: dict[str, Any] | None = None, **params: Any) -> ApplicationError:
    """The typed error of ``code``: 404, 403, 422 or 409 (:class:`ConsultationRefused`), its message in the active
    language (lazy: shown in the language of the page or answer)."""
    message: str | Promise = MESSAGES[code] if not params else message_of(code, **params)
    if code in _NOT_FOUND:
        return NotFound(message, code=code.value, details=details)
    if code in _FORBIDDEN:
        return PermissionDenied(message, code=code.value, details=details)
    if code in _INVALID:
        return ValidationFailed(message, code=code.value, details=details)
    return ConsultationRefused(message, code=code.value, details=details)
