"""One package per ERP; importing this package registers every built-in provider."""

from erp_connectors.providers import (
    sandbox,  # noqa: F401 - registers the provider
    tryton,  # noqa: F401 - registers the provider
)
