"""The addon's one way to elevate: ``elevate(records, reason)``.

Odoo's ``sudo()`` lifts every access right and record rule. The addon lifts
them only where the caller's authority was already checked, or where the
executing user's rights are not the question (bootstrap, bookkeeping), and
states why at the call site in ``reason``. ``tests/unit/test_elevation.py``
refuses a bare ``.sudo()`` anywhere else in the addon. See
docs/adr/0006-execution-identity.md.
"""


def elevate(records, reason):
    """``records`` as superuser, for the stated ``reason``.

    Odoo 18's ``sudo()`` leaves the context's ``default_<field>`` keys behind when it elevates:
    a caller over RPC chooses the context, and those keys would fill, as superuser, the fields a
    ``create`` leaves out (tests/test_caller_defaults.py holds it through the real route).

    :param records: an Odoo recordset (or model).
    :param reason: why the executing user's rights must not decide here (one sentence).
    :raise ValueError: no reason given.
    """
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("elevate() needs the reason why the caller's rights must not decide")
    return records.sudo()
