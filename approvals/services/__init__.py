"""Writes of the approvals room, one module per sub-domain. Each writes its audit rows."""
