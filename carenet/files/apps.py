from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class FilesConfig(AppConfig):
    """Patients' files ("Twoje pliki", FIL-1, FIL-2): photos and PDFs a level II patient gives their clinicians,
    disarmed on upload, deleted after three months, attached to a consultation (TEL-3). Not the medical record."""

    name = "carenet.files"
    label = "patient_files"
    verbose_name = _("Patients' files")

    def ready(self) -> None:
        from carenet.core import periodic
        from carenet.files.tasks import files_sweep

        periodic.register("files-sweep", every_seconds=settings.CARENET_FILE_SWEEP_SECONDS, task=files_sweep)
