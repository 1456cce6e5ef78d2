"""inbox-worker: runs an email-driven mentoring program from its mailbox."""

__version__ = "0.1.0"
