"""Two- and three-way matching: the pure engine (``engine``) and the service that feeds and persists it."""
