"""The application layer: what the web and the CLI use; the only thing bootstrap wires."""
