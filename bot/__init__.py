"""PR Warden: pull-request security and dependency-drift bot."""

__version__ = "0.1.0"
