import datetime

import django.db.models.functions.comparison
from django.db import migrations, models

# A generated column's expression cannot be altered in place: the column (and the two
# sort indexes on it) are dropped and made again with the new expression.
MADE = django.db.models.functions.comparison.Coalesce


class Migration(migrations.Migration):
    dependencies = [
        ("alliance", "0018_events_with_names_and_readings"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="agreement", name="agreement_made"),
        migrations.RemoveIndex(model_name="agreement", name="agreement_made_desc"),
        migrations.RemoveField(model_name="agreement", name="made_date"),
        migrations.AddField(
            model_name="agreement",
            name="made_date",
            field=models.GeneratedField(
                db_persist=True,
                expression=MADE("signed_date", "issued_date", "adopted_date", "approved_date"),
                output_field=models.DateField(),
                verbose_name="署名・承認日",
            ),
        ),
        migrations.AddIndex(
            model_name="agreement",
            index=models.Index(
                MADE("made_date", models.Value(datetime.date(9999, 12, 31))),
                models.F("id"),
                condition=models.Q(("status", "published")),
                name="agreement_made",
            ),
        ),
        migrations.AddIndex(
            model_name="agreement",
            index=models.Index(
                models.OrderBy(MADE("made_date", models.Value(datetime.date(1, 1, 1))), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(("status", "published")),
                name="agreement_made_desc",
            ),
        ),
    ]
