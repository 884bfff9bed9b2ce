"""The room of an online consultation, as both front doors show it (TEL-2, SCH-3): the patient's portal page and the
clinician's console include ``templates/consultations/room.html`` with the context :func:`room_context` builds, and
load ``static/js/consultation-room.js``, which talks to the room's socket (``carenet.realtime``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

from carenet.consultations.models import Consultation
from carenet.consultations.tokens import socket_token

#: The socket's path, on the pages' own host and port (``ws:`` or ``wss:``).
SOCKET_PATH = "/ws/consultations/"


def room_context(
    *, user_id: int, consultation: Consultation, side: str, token_url: str, session_key: str | None
) -> dict[str, Any]:
    """What the room partial needs, as ``room``: a fresh socket token for ``side`` (the caller has checked the actor
    takes part on that side) bound to the page's session, the consultation's form and status, and where the page
    refreshes its token."""
    return {
        "room": {
            "consultation_id": consultation.pk,
            "token": socket_token(user_id=user_id, consultation_id=consultation.pk, side=side, session_key=session_key),
            "token_seconds": settings.CARENET_CONSULTATION_TOKEN_SECONDS,
            "token_url": token_url,
            "ws_path": SOCKET_PATH,
            "side": side,
            "mode": consultation.mode,
            "status": consultation.status,
            "strings": room_strings(),
        }
    }


def room_strings() -> dict[str, str]:
    """The room script's words in the page's language (``%(name)s`` placeholders filled in by the script)."""
    return {
        "connecting": _("Connecting…"),
        "connected": _("Connected."),
        "reconnecting": _("The connection was lost. Reconnecting in %(seconds)s s…"),
        "refused": _("This room is closed to you. Reload the page."),
        "gone": _("This consultation no longer exists."),
        "waiting": _("Your place in the queue: %(position)s. Estimated wait: about %(minutes)s min."),
        "waiting_unknown": _("Your place in the queue: %(position)s."),
        "in_progress": _("The consultation is in progress."),
        "in_progress_with": _("The consultation with %(clinician)s is in progress."),
        "ended": _("The consultation has ended."),
        "left": _("You left the queue."),
        "peer_patient_here": _("The patient is in the room."),
        "peer_patient_away": _("The patient is not connected."),
        "peer_clinician_here": _("The clinician is in the room."),
        "peer_clinician_away": _("The clinician is not connected yet."),
        "sending": _("sending…"),
        "not_sent": _("not sent"),
        "you": _("You"),
        "media_starting": _("Starting the camera and microphone…"),
        "media_starting_audio": _("Starting the microphone…"),
        "media_refused": _(
            "The browser did not give access to the camera or microphone. Allow it in the browser's settings and "
            "press “Rejoin the call”; the chat works meanwhile."
        ),
        "call_waiting": _("The call starts when both sides are in the room."),
        "call_connecting": _("Connecting the call…"),
        "call_connected": _("The call is connected."),
        "call_lost": _("The call was interrupted; reconnecting…"),
        "call_ended": _("You hung up. The chat stays open."),
        "mute": _("Mute the microphone"),
        "unmute": _("Unmute the microphone"),
        "camera_off": _("Turn the camera off"),
        "camera_on": _("Turn the camera on"),
        "hang_up": _("Hang up"),
        "rejoin": _("Rejoin the call"),
        "empty": _("Write a message first."),
        "too_long": _("A message has at most 2000 characters."),
    }


def room_token_response(
    *, user_id: int, consultation: Consultation, side: str, session_key: str | None
) -> JsonResponse:
    """The answer of a room's token-refresh URL (a POST of the page's script): ``{"token": ...}``, bound to the
    page's session."""
    token = socket_token(user_id=user_id, consultation_id=consultation.pk, side=side, session_key=session_key)
    return JsonResponse({"token": token})
