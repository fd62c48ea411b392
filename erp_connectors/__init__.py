"""ERP connectors: plain Python, no Django.

The contract every provider implements lives in :mod:`erp_connectors.base`; the canonical records it
speaks in :mod:`erp_connectors.records`; the one error taxonomy in :mod:`erp_connectors.errors`.
"""
