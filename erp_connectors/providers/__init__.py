"""One package per ERP; importing this package registers every built-in provider."""
