"""Plain-Python core of abs_connector.

Nothing in this package imports Odoo at module level, so ``tests/unit`` can
exercise token rules, visibility policies, event envelopes and payload
validation without a database. Modules here use relative imports only.
"""
