# PKG-6: partner-facility staff verify E-Karta cards at their partner facility.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="role",
            field=models.CharField(
                choices=[
                    ("patient", "patient"),
                    ("call_centre", "call-centre operator"),
                    ("receptionist", "receptionist"),
                    ("clinician", "clinician"),
                    ("coordinator", "network coordinator"),
                    ("admin", "administrator"),
                    ("partner_staff", "partner facility staff"),
                ],
                default="patient",
                max_length=20,
                verbose_name="role",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("role", "partner_staff"), _negated=True), ("facility__isnull", False), _connector="OR"
                ),
                name="partner_staff_has_facility",
                violation_error_message="Partner-facility staff work at their partner facility.",
            ),
        ),
    ]
