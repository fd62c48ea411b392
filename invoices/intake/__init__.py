"""Intake: files and messages stored first (deduplicated per entity), then processing queued on commit."""
