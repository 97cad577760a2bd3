"""Package registry clients: one module per registry protocol, `base.Registry` for what they share."""
