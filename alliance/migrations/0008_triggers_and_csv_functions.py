from django.db import migrations

# The change counter's row and the function its triggers call. The triggers themselves,
# one per registry table, are installed after every migrate from the models' REGISTRY
# (alliance/apps.py), and so are the export's cell functions (alliance/public/cells.py).
FORWARD = [
    "INSERT INTO alliance_registry_version (id, version, changed_at) VALUES (1, 0, clock_timestamp()) ON CONFLICT DO NOTHING",
    """
    CREATE OR REPLACE FUNCTION alliance_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- An upsert: the row comes back even after a flush or TRUNCATE removed it.
        INSERT INTO alliance_registry_version (id, version, changed_at) VALUES (1, 1, clock_timestamp())
        ON CONFLICT (id) DO UPDATE
            SET version = alliance_registry_version.version + 1, changed_at = clock_timestamp();
        RETURN NULL;
    END $$
    """,
]

BACKWARD = ["DROP FUNCTION IF EXISTS alliance_bump_version() CASCADE"]


class Migration(migrations.Migration):
    dependencies = [("alliance", "0007_registry_version")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
