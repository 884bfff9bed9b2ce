"""The back office's change log (django-auditlog) for CareNet's records.

:func:`audit` registers a model so that each change is kept with who made it, limited to the model's own columns.
Without the limit django-auditlog also reads every reverse one-to-one relation of a record it logs (a new
appointment: "which visit was rescheduled to it?", "which referral does it use?") — two queries per booking that
tell nothing about the change (found by the B3 benchmark, issue 5).

A new record's entry (every booking writes one) is django-auditlog's own — the same columns, values, text and
actor — with what does not depend on the record worked out once per model (issue 16): the library compares every
field of the model, reverse relations included, with "nothing" on each save, raising and catching two exceptions
per field to find that "nothing" is ``"None"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from auditlog.diff import get_field_value, is_primitive, model_instance_diff, track_field
from auditlog.models import DEFAULT_OBJECT_REPR
from auditlog.receivers import check_disable, log_create
from auditlog.registry import auditlog
from auditlog.signals import post_log, pre_log
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model
from django.db.models.signals import post_save
from django.utils.encoding import smart_str

from carenet.core.inserts import insert_new

M = TypeVar("M", bound=type[Model])


def audit(model: M, *, exclude: tuple[str, ...] = ()) -> M:
    """Keep the back office's changes to ``model`` with who made them; only its own columns are compared, less
    ``exclude`` (a column too large or too sensitive to copy into the log, such as a received message's text)."""
    fields = [field.name for field in model._meta.concrete_fields if field.name not in exclude]
    auditlog.register(model, include_fields=fields)
    # The creation entry through :func:`_log_created` instead of the library's receiver (the same entry).
    post_save.disconnect(sender=model, dispatch_uid=auditlog._dispatch_uid(post_save, log_create))
    post_save.connect(_log_created, sender=model, dispatch_uid=("carenet.audit.created", model._meta.label))
    return model


#: Per model (and way of storing changes): the tracked fields with the value django-auditlog reads for "nothing"
#: (the old side of a creation).
_CREATION_FIELDS: dict[tuple[type[Model], bool], tuple[tuple[Any, Any], ...]] = {}


def _creation_fields(model: type[Model], *, use_json: bool) -> tuple[tuple[Any, Any], ...]:
    found = _CREATION_FIELDS.get((model, use_json))
    if found is None:
        include = set(auditlog.get_model_fields(model)["include_fields"])
        found = tuple(
            (field, get_field_value(None, field, use_json))
            for field in model._meta.get_fields()
            if track_field(field) and (not include or field.name in include)
        )
        _CREATION_FIELDS[(model, use_json)] = found
    return found


def creation_changes(instance: Model) -> dict[str, Any] | None:
    """``model_instance_diff(None, instance)`` of django-auditlog — each tracked field from "nothing" to its value,
    as text (or JSON values with ``AUDITLOG_STORE_JSON_CHANGES``) — with the fields and their "nothing" worked out
    once per model. A model with masked fields takes the library's own way."""
    model = instance._meta.model
    use_json = getattr(settings, "AUDITLOG_STORE_JSON_CHANGES", False)
    registered = auditlog.get_model_fields(model)
    if registered["mask_fields"] or registered["exclude_fields"]:
        return model_instance_diff(None, instance, use_json_for_changes=use_json)
    changes: dict[str, Any] = {}
    for field, old in _creation_fields(model, use_json=use_json):
        new = get_field_value(instance, field, use_json)
        if old != new:
            if not use_json:
                changes[field.name] = (smart_str(old), smart_str(new))
            else:
                changes[field.name] = (
                    old if is_primitive(old) else smart_str(old),
                    new if is_primitive(new) else smart_str(new),
                )
    return changes or None


@check_disable
def _log_created(sender: type[Model], instance: Model, created: bool, **kwargs: Any) -> None:
    """django-auditlog's ``log_create`` receiver with :func:`creation_changes` for its diff: the same pre- and
    post-log signals, the same entry (``LogEntry.objects.log_create``), the same errors."""
    if not created:
        return
    _create_entry(sender, instance, changes_of=creation_changes)


def _log_create(log_entry_model: type[Model], instance: Model, *, action: int, changes: Any) -> Model:
    """``LogEntry.objects.log_create(instance, action=action, changes=changes)`` of django-auditlog — the same
    columns and values, the actor and the request's address set by the library's ``pre_save`` receiver — with the
    row written by :func:`insert_new` (one prepared statement, issue 16) instead of ``objects.create()``."""
    from auditlog.cid import get_cid
    from django.contrib.contenttypes.models import ContentType

    manager: Any = log_entry_model._default_manager  # the library's LogEntryManager (``objects``)
    pk = manager._get_pk_value(instance)
    try:
        object_repr = smart_str(instance)
    except ObjectDoesNotExist:
        object_repr = DEFAULT_OBJECT_REPR
    values: dict[str, Any] = {
        "action": action,
        "changes": changes,
        "content_type": ContentType.objects.get_for_model(instance),
        "object_pk": pk,
        "object_repr": object_repr,
        "serialized_data": manager._get_serialized_data_or_none(instance),
    }
    if isinstance(pk, int):
        values["object_id"] = pk
    get_additional_data = getattr(instance, "get_additional_data", None)
    if callable(get_additional_data):
        values["additional_data"] = get_additional_data()
    values["cid"] = get_cid()
    entry = log_entry_model(**values)
    insert_new(entry)
    return entry


def _create_entry(sender: type[Model], instance: Model, *, changes_of: Callable[[Model], Any]) -> None:
    from auditlog import get_logentry_model

    log_entry_model = get_logentry_model()
    action = log_entry_model.Action.CREATE
    pre_log_results = pre_log.send(sender, instance=instance, action=action)
    if any(item[1] is False for item in pre_log_results):
        return
    error: BaseException | None = None
    log_entry = None
    changes = None
    try:
        changes = changes_of(instance)
        if changes:
            log_entry = _log_create(log_entry_model, instance, action=action, changes=changes)
    except BaseException as caught:  # noqa: BLE001 - as django-auditlog does: post_log hears of it, then it is raised
        error = caught
    finally:
        if log_entry or error:
            post_log.send(
                sender,
                instance=instance,
                instance_old=None,
                action=action,
                error=error,
                pre_log_results=pre_log_results,
                changes=changes,
                log_entry=log_entry,
                log_created=log_entry is not None,
                use_json_for_changes=getattr(settings, "AUDITLOG_STORE_JSON_CHANGES", False),
            )
        if error:
            raise error
