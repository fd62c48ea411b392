from django.core.management.base import BaseCommand

from modai.demo import demo_forwarding_addresses, demo_seed


class Command(BaseCommand):
    help = "Create (or keep) the demo organization and print its logins."

    def handle(self, *args: object, **options: object) -> None:
        organization, logins, password, connections = demo_seed()
        self.stdout.write(self.style.SUCCESS(f"Demo organization: {organization.name}"))
        self.stdout.write(f"Password for every demo user: {password}")
        width = max(len(login.email) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.email.ljust(width)}  {login.roles}")
        for line in connections:
            self.stdout.write(f"ERP: {line}")
        self.stdout.write("Forward invoices to:")
        for name, address in demo_forwarding_addresses(organization):
            self.stdout.write(f"  {address}  ({name})")
