from django.db import migrations

# The meetings' export rows (alliance/public/maintained.py): two tables kept up to date by
# triggers, filled here for every meeting already stored. The SQL is derived from the
# meetings' export columns, so it is installed from code (again after every migrate, which
# recomputes the rows when the columns have changed), as the cell functions are.


def install(apps, schema_editor):
    from alliance.public import maintained

    if not maintained.install(schema_editor.connection):  # a new table is filled by install
        maintained.rebuild(schema_editor.connection)


def uninstall(apps, schema_editor):
    from alliance.public import maintained

    maintained.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("alliance", "0019_agreement_date_shown"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
