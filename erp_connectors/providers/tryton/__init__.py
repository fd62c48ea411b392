"""Tryton: JSON-RPC or REST client, streams, mapping and posted documents. Importing registers it."""

from erp_connectors.providers.tryton.connector import TrytonConnector

__all__ = ["TrytonConnector"]
