"""The Sandbox ERP: a server with its own data that plays an ERP, and its connector (key "sandbox")."""

from erp_connectors.providers.sandbox.connector import SandboxConnector

__all__ = ["SandboxConnector"]
