"""Mail: the program's two network edges and the shape of a message on the wire.

Owns reading the program mailbox (IMAP, or a local Maildir for the demo),
handing finished emails to an SMTP server (or a folder), TLS and OAuth2 for
both, writing an outgoing email's bytes, and reading an incoming message's
headers and delivery reports. It knows nothing of applications or of the
program: it may import only `config` and `clock`, never another part.
"""
