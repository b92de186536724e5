"""One name for a seat: the model Membership becomes Seat.

The tables keep their names (alliance_membership, alliance_historicalmembership); only
Django's state, the content types and the permission codenames follow the new name. The
citation's foreign key column becomes seat_id.
"""

from django.db import migrations


def rename_content_types(apps, schema_editor, old="membership", new="seat"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    for prefix in ("", "historical"):
        ContentType.objects.using(db).filter(app_label="alliance", model=prefix + new).delete()
        ContentType.objects.using(db).filter(app_label="alliance", model=prefix + old).update(model=prefix + new)
        for perm in Permission.objects.using(db).filter(
            content_type__app_label="alliance", content_type__model=prefix + new, codename__endswith=f"_{prefix}{old}"
        ):
            perm.codename = perm.codename.removesuffix(prefix + old) + prefix + new
            perm.save(update_fields=["codename"])


def restore_content_types(apps, schema_editor):
    rename_content_types(apps, schema_editor, old="seat", new="membership")


class Migration(migrations.Migration):
    dependencies = [
        ("alliance", "0010_meeting_kind_and_admin_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameModel("Membership", "Seat"),
                migrations.AlterModelTable("seat", "alliance_membership"),
                migrations.RenameModel("HistoricalMembership", "HistoricalSeat"),
                migrations.AlterModelTable("historicalseat", "alliance_historicalmembership"),
            ],
            database_operations=[],
        ),
        migrations.RenameField("citation", "membership", "seat"),
        migrations.RenameField("historicalcitation", "membership", "seat"),
        migrations.RunPython(rename_content_types, restore_content_types),
    ]
