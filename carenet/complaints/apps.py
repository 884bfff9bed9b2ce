from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    """Complaints (reklamacje, FBK-2) answered within the statutory time, and insurance claims (roszczenia, FBK-3)
    with attachments, tracked to a decision."""

    name = "carenet.complaints"
    verbose_name = _("Complaints and claims")
