"""Provider registry: maps a provider key to its connector class."""

from __future__ import annotations

from erp_connectors.base import Connector

_PROVIDERS: dict[str, type[Connector]] = {}


class UnknownProviderError(LookupError):
    pass


def register(connector_class: type[Connector]) -> type[Connector]:
    """Class decorator that makes a provider available by its key."""
    existing = _PROVIDERS.get(connector_class.key)
    if existing is not None and existing is not connector_class:
        raise ValueError(f"provider key {connector_class.key!r} is already registered")
    _PROVIDERS[connector_class.key] = connector_class
    return connector_class


def _load_builtin_providers() -> None:
    # Importing a provider package registers it.
    import erp_connectors.providers  # noqa: F401


def get_provider(key: str) -> type[Connector]:
    _load_builtin_providers()
    try:
        return _PROVIDERS[key]
    except KeyError:
        raise UnknownProviderError(f"unknown ERP provider {key!r}") from None


def all_providers() -> list[type[Connector]]:
    _load_builtin_providers()
    return sorted(_PROVIDERS.values(), key=lambda provider: provider.label)
