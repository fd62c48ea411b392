"""Coding suggestions: the pure suggester (``suggest``), the learned model (``learning``), and the services
that apply suggestions, record clerk edits and retrain the model."""
