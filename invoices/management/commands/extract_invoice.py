"""`manage.py extract_invoice FILE... [--layout-only]`: a thin wrapper around `invoices.extraction.cli`."""

from django.core.management.base import BaseCommand, CommandError

from invoices.extraction import cli


class Command(BaseCommand):
    help = "Extract invoice fields from PDF files and print one JSON object per file."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="PDF files")
        parser.add_argument("--layout-only", action="store_true", help="ignore embedded e-invoice XML")

    def handle(self, *args, **options):
        argv = [*options["files"], *(["--layout-only"] if options["layout_only"] else [])]
        status = cli.main(argv, stdout=self.stdout)
        if status:
            raise CommandError("some files could not be extracted", returncode=status)
