"""A file name CareNet may show and suggest for a download (FIL-2, CLN-3): whatever a browser or a laboratory sent,
cleaned the same way everywhere. Pure: no Django."""

from __future__ import annotations

import re
import unicodedata

#: The longest name kept.
NAME_MAX_CHARS = 100
#: Characters kept; anything else becomes "_" (Unicode letters stay: ``wynik_łódź.pdf``).
_UNSAFE = re.compile(r"[^\w.\- ]+")
#: Control and text-direction characters (a right-to-left override turns ``gpj.exe`` into ``exe.jpg``) and lone
#: surrogates: removed, not replaced.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean_file_name(name: str, *, default: str = "plik") -> str:
    """The last part of ``name`` (no folders, no drive letters), without control or direction characters, letters,
    digits, ``.-_`` and spaces kept, no leading or trailing dots, at most :data:`NAME_MAX_CHARS` characters (the end
    kept, with its extension); ``default`` when nothing is left."""
    cleaned = CONTROL_CHARACTERS.sub("", unicodedata.normalize("NFC", name)).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", cleaned).strip(" .")
    return cleaned[-NAME_MAX_CHARS:] or default
