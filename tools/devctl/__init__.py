"""Developer tooling for abs_connector: ``./dev run`` and ``./dev test``.

Standard library only: it runs before the project's virtualenv exists and is
what creates it.
"""
