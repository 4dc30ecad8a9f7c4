"""18.0.1.1.0 — backfill ov.sa_customer_assignment from the V2 stamps.

One active assignment per stamped customer (x_sa_id, x_actor_id; a NULL actor
means unassigned), inserted set-based with ON CONFLICT against the partial
unique index. Stamps pointing at a missing or inactive SA, or at an actor
partner that no longer exists, are skipped and reported in the log. A second
run creates nothing. Same code as the API endpoint and the back-office wizard
(abs_connector.backfill).
"""

from odoo import SUPERUSER_ID, api

from odoo.addons.abs_connector import backfill


def migrate(cr, version):
    if not version:  # fresh install: the post_init_hook runs the backfill instead
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    backfill.run(env)
