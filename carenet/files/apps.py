from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilesConfig(AppConfig):
    """Patients' files ("Twoje pliki", FIL-1, FIL-2): photos and PDFs a level II patient gives their clinicians,
    disarmed on upload, deleted after three months, attached to a consultation (TEL-3). Not the medical record."""

    name = "carenet.files"
    label = "patient_files"
    verbose_name = _("Patients' files")
