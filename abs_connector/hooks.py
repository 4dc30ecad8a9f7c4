from . import backfill, bootstrap, customer_standing, db_outage, demo_data, lapse_marker


def post_load():
    """Process-wide behaviour, installed once per Odoo process (see db_outage.py)."""
    db_outage.install()


def post_init_hook(env):
    """Bring a fresh install to the state the migrations give an upgraded one.

    Same functions as migrations/abs_connector/18.0.1.0.2, 18.0.1.1.0 and
    18.0.1.1.1, in the order that creates the root first so seeds are born
    under it. The backfill finds no stamp on a fresh install (the stamp columns
    are ours); it is called anyway so both paths run identical code.
    """
    bootstrap.ensure_global_root(env)
    bootstrap.ensure_company_seeds(env)
    backfill.run(env)
    # Demo data goes through the lifecycle methods, which need the seeds: it
    # cannot be plain XML loaded before this hook.
    if env.ref("base.module_abs_connector").demo:
        demo_data.create_demo_data(env)


def uninstall_hook(env):
    """Remove the change-log, sort-name and customer-standing triggers: they live on Odoo's own
    tables (res_partner) and would fail every write once the tables they write are dropped with
    the addon."""
    env["abs.contact.change"]._abs_drop_triggers()
    env["ov.sa_customer_assignment"]._abs_drop_sort_name_triggers()
    customer_standing.drop_triggers(env.cr)
    lapse_marker.drop_functions(env.cr)
