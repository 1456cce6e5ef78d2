"""Outbound: every email the program sends, from template to outbox.

Owns the templates (the one place that knows each one, with a coordinator's
overrides), the context each template is given (who may see what), the
blank form attached to acknowledgements, calendar files, and the outbox,
which keeps mail in the database until the SMTP server has taken it. It may
import `mail`, `store`, `extract`'s record and the top-level modules; never
`program`, `intake`, `matching` or `cli`.
"""
