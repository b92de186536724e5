from django.db import migrations

# The editorial roles used to be created here from a hand-written list of models. They
# are now synchronised from the registry after every migrate (alliance/apps.py), so
# this migration is kept only so that the migration history stays intact.


class Migration(migrations.Migration):
    dependencies = [
        ("alliance", "0004_history_and_publishing"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = []
