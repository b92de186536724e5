from django.core.management.base import BaseCommand, CommandError

from alliance.editorial.yomi import Reader
from alliance.models import REGISTRY


class Command(BaseCommand):
    help = "Fill the blank readings (yomi) of Japanese names with SudachiPy's; readings already set are kept."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print the readings without saving them.")

    def handle(self, *args, dry_run=False, **options):
        try:
            read = Reader()
        except ImportError as exc:
            raise CommandError("SudachiPy is not installed: pip install -r requirements-dev.txt") from exc
        filled = 0
        for entry in REGISTRY:
            model = entry.model
            if not any(f.name == "yomi" for f in model._meta.get_fields()):
                continue
            for record in model._default_manager.filter(yomi="").order_by("pk"):
                record.yomi = read(record.name_ja)
                self.stdout.write(f"{entry.kind} {record.slug} {record.name_ja}: {record.yomi}")
                if not dry_run:
                    record._change_reason = "読みを自動入力（fill_yomi）"
                    record.save(update_fields=["yomi"])
                filled += 1
        self.stdout.write(f"{filled} readings {'found' if dry_run else 'filled'}.")
