from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoverageConfig(AppConfig):
    name = "carenet.coverage"
    label = "coverage"
    verbose_name = _("Packages and coverage")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from carenet.coverage.models import Benefit, BenefitItem, Tier
        from carenet.network.models import City, Clinician, Facility, Language, Service, Specialty

        # PERF (issue 16): any change of the matrix, or of the catalogue it names, gives it a new token, so every
        # process reads it again on its next request (carenet.coverage.selectors.matrix_version).
        for model in (Tier, Benefit, BenefitItem, Service, Specialty):
            post_save.connect(_matrix_changed, sender=model, dispatch_uid=f"coverage-matrix-save-{model.__name__}")
            post_delete.connect(_matrix_changed, sender=model, dispatch_uid=f"coverage-matrix-delete-{model.__name__}")
        m2m_changed.connect(_matrix_changed, sender=Benefit.tiers.through, dispatch_uid="coverage-matrix-tiers")
        # The search form's lists kept under the same token (carenet.network.selectors.search_lists): the cities
        # with an active facility, the specialties of active clinicians, the languages.
        for listed in (City, Facility, Clinician, Language):
            post_save.connect(_matrix_changed, sender=listed, dispatch_uid=f"coverage-matrix-save-{listed.__name__}")
            post_delete.connect(
                _matrix_changed, sender=listed, dispatch_uid=f"coverage-matrix-delete-{listed.__name__}"
            )
        m2m_changed.connect(
            _matrix_changed, sender=Clinician.specialties.through, dispatch_uid="coverage-matrix-clinician-specialties"
        )


def _matrix_changed(sender: object, **kwargs: object) -> None:
    if kwargs.get("action") in {"pre_add", "pre_remove", "pre_clear"} or kwargs.get("raw"):
        return
    from carenet.coverage.selectors import matrix_changed

    matrix_changed()
