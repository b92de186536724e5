from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from alliance.editorial import resources
from alliance.models import REGISTRY


def import_kinds():
    """Kind name (as in the registry: "agreements", "seats", "attendees" …) → resource."""
    return {entry.kind: resources.resource_for(entry.model) for entry in REGISTRY}


class Command(BaseCommand):
    help = (
        "Import a CSV or XLSX file as the admin does: rows matched by slug, all rows or none. "
        "Prints every bad row with its line, field and reason; --dry-run writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(import_kinds()))
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--user", help="Record the import in the history as this user's (their rights apply).")

    def handle(self, *args, kind, file, dry_run, user, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        fmt = resources.RegistryXLSX() if path.suffix.lower() == ".xlsx" else resources.RegistryCSV()
        data = path.read_bytes()
        try:
            resources.check_import_file(path.name, data, xlsx=path.suffix.lower() == ".xlsx")
        except resources.ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        try:
            dataset = fmt.create_dataset(data if fmt.is_binary() else data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise CommandError("the file is not UTF-8: save it as CSV UTF-8") from exc
        account = get_user_model().objects.get(username=user) if user else None
        result = import_kinds()[kind]().import_data(
            dataset, dry_run=True, raise_errors=False, use_transactions=True, rollback_on_validation_errors=True, file_name=path.name, user=account
        )
        for row in result.invalid_rows:
            for field, messages in row.error_dict.items():
                self.stderr.write(f"line {row.number}: {field}: {' '.join(str(m) for m in messages)}")
        for number, errors in result.row_errors():
            for error in errors:
                self.stderr.write(f"line {number}: {error.error}")
        if result.has_errors() or result.has_validation_errors():
            raise CommandError("nothing was imported: correct the rows above and import again")
        totals = ", ".join(f"{k} {v}" for k, v in result.totals.items() if v)
        if dry_run:
            self.stdout.write(f"Dry run, nothing written: {totals}")
            return
        result = import_kinds()[kind]().import_data(
            dataset, dry_run=False, raise_errors=True, use_transactions=True, rollback_on_validation_errors=True, file_name=path.name, user=account
        )
        self.stdout.write(f"Imported {path.name}: {', '.join(f'{k} {v}' for k, v in result.totals.items() if v)}")
