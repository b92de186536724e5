from django.db import migrations

# The change counter's row. Its trigger functions and the triggers themselves, one per
# registry table, are installed after every migrate from the models' REGISTRY
# (alliance/models/versioning.py, called from apps.py), and so are the export's cell
# functions (alliance/public/cells.py).
FORWARD = [
    "INSERT INTO alliance_registry_version (id, version, changed_at) VALUES (1, 0, clock_timestamp()) ON CONFLICT DO NOTHING",
]

BACKWARD = ["DELETE FROM alliance_registry_version WHERE id = 1"]


class Migration(migrations.Migration):
    dependencies = [("alliance", "0007_registry_version")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
