"""TLS for both mail edges: verified client contexts, and plain words when a certificate is refused.

Certificates and host names are always verified; a configured `ca_file` adds a CA to the
system's, it never replaces them or turns checking off.
"""
from __future__ import annotations

import ssl


class CaFileError(Exception):
    """The configured CA file cannot be used; the message names the setting."""


def client_context(ca_file: str | None, section: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if ca_file:
        try:
            ctx.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as e:
            raise CaFileError(f"{section}.ca_file {ca_file} cannot be used: "
                              f"{getattr(e, 'strerror', None) or e}; point it at the PEM file of the CA that "
                              "signed the server's certificate") from None
    return ctx


def certificate_refused(e: ssl.SSLCertVerificationError, where: str, section: str) -> str:
    """Why a server's certificate was refused, and which setting would fix it."""
    why = (e.verify_message or str(e)).rstrip(".")
    # X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH: trusting another CA cannot help.
    if e.verify_code in (62, 64):
        return (f"the certificate of {where} could not be verified: it was issued for another host ({why}); "
                f"set {section}.host to a name the certificate is for")
    return (f"the certificate of {where} could not be verified ({why}); if the server's certificate "
            f"comes from a CA of its own, set {section}.ca_file to that CA's certificate (a PEM file)")
