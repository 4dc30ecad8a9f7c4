"""A real ``odoo -u abs_connector`` from a V2 database (module at 18.0.1.0.1).

The database is installed at the current version, then rewound with SQL to
what an 18.0.1.0.1 database holds: V1 accounts and members, V2 stamps on
customers, no global root, no company seeds, no V3 assignment, branch SAs at
the top of the tree, the module recorded at 18.0.1.0.1. The stamps include
the awkward cases of a real V2 database: an unassigned customer (NULL
actor), an archived customer, a stamp on an inactive SA, and (stamp foreign
keys dropped, as in hand-made columns) a stamp on a deleted SA and one on a
deleted actor partner.

Then the upgrade runs the three migrations, and every row is checked. The
upgraded tree is compared with the one a fresh install builds through the
install hook. Finally the migrations run a second time (module rewound to
18.0.1.0.1 again) and nothing may change.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import odoo_cli
import pytest
from devctl import wheel as addon_wheel

DB = os.environ.get("ABS_UPGRADE_DB", f"abs_e2e_upgrade_{os.getpid()}")
OLD_VERSION = "18.0.1.0.1"
NEW_VERSION = "18.0.1.4.0"

# Built through the ORM while the module is installed; printed as one JSON line.
V1_FIXTURE = """
import json
SA = env["ov.serviced_account"]
Partner = env["res.partner"]
main = env.ref("base.main_company")
company_b = env["res.company"].create({"name": "Upgrade Company B"})
seed_a, seed_b = SA._get_company_seed(main), SA._get_company_seed(company_b)
mia = Partner.create({"name": "Mia Manager", "email": "mia@upgrade.example"})
ben = Partner.create({"name": "Ben Manager", "email": "ben@upgrade.example", "company_id": company_b.id})
north = SA._abs_create_branch({"name": "North", "parent_id": seed_a.id}, mia)
south = SA._abs_create_branch({"name": "South", "parent_id": north.id}, mia)
closed = SA._abs_create_branch({"name": "Closed", "parent_id": seed_a.id}, mia)
closed.action_set_inactive()
east_b = SA.with_company(company_b)._abs_create_branch(
    {"name": "East B", "parent_id": seed_b.id, "company_id": company_b.id}, ben)
ana = Partner.create({"name": "Ana Agent", "email": "ana@upgrade.example"})
bob = Partner.create({"name": "Bob Agent", "email": "bob@upgrade.example"})
Membership = env["ov.membership"]
Membership._abs_enroll(north, ana, "agent")
Membership._abs_enroll(south, ana, "agent")
Membership._abs_enroll(east_b, bob, "agent")
names = ["assigned", "unassigned", "archived", "south", "company_b", "inactive_sa",
         "missing_sa", "missing_actor", "not_stamped"]
customers = {name: Partner.create({"name": "Customer " + name}).id for name in names}
# made out to a contact of a customer with no stamps yet: unstamped, as every such lead was
contact = Partner.create({"name": "Contact of assigned", "parent_id": customers["assigned"]})
contact_lead = env["crm.lead"].create({"name": "Lead of a contact", "partner_id": contact.id})
ghost = Partner.create({"name": "Ghost Agent"})
print("FIXTURE " + json.dumps({
    "main_company": main.id, "company_b": company_b.id,
    "root": SA._get_global_root().id, "root_partner": SA._get_global_root().partner_id.id,
    "north": north.id, "south": south.id, "closed": closed.id, "east_b": east_b.id,
    "ana": ana.id, "bob": bob.id, "ghost": ghost.id, "customers": customers,
    "contact_lead": contact_lead.id,
}))
env.cr.commit()
"""


def _rows(conn, query, params=()):
    with conn.cursor() as cr:
        cr.execute(query, params)
        return cr.fetchall()


def _scalar(conn, query, params=()):
    return _rows(conn, query, params)[0][0]


def _tree(conn):
    """Root and seeds, described without ids so two databases can be compared."""
    return sorted(
        _rows(
            conn,
            """
        SELECT sa.name, sa.is_global_root, sa.is_seed, parent.is_global_root, sa.company_id,
               sa.source_company_id, sa.state, sa.account_class,
               sa.partner_id = company.partner_id AS uses_company_partner
          FROM ov_serviced_account sa
     LEFT JOIN ov_serviced_account parent ON parent.id = sa.parent_id
     LEFT JOIN res_company company ON company.id = sa.source_company_id
         WHERE sa.is_global_root OR sa.is_seed
    """,
        )
    )


def _snapshot(conn):
    """Every row the migrations may touch."""
    return {
        "accounts": _rows(
            conn,
            """
            SELECT id, name, parent_id, parent_path, is_global_root, is_seed, source_company_id,
                   company_id, partner_id, state, account_class, write_date
              FROM ov_serviced_account ORDER BY id""",
        ),
        "assignments": _rows(
            conn,
            """
            SELECT id, account_id, partner_id, actor_id, state, date_from, date_to, assigned_by_id, write_date
              FROM ov_sa_customer_assignment ORDER BY id""",
        ),
        "partners": _scalar(conn, "SELECT COUNT(*) FROM res_partner"),
        "stamps": _rows(
            conn, "SELECT id, x_sa_id, x_actor_id FROM res_partner" " WHERE x_sa_id IS NOT NULL ORDER BY id"
        ),
    }


def _set_module_version(cr, version):
    cr.execute("UPDATE ir_module_module SET latest_version = %s WHERE name = 'abs_connector'", [version])


# The trigram indexes of the contact search: Odoo builds them on -u, no script needed.
_SEARCH_INDEXES = (
    "res_partner__email_index",
    "res_partner__phone_index",
    "res_partner__city_index",
    "res_partner__name_abs_trigram_index",
)


def _rewind_to_v2(conn, fx):
    """SQL that turns the installed database into an 18.0.1.0.1 one."""
    c = fx["customers"]
    missing_sa = _scalar(conn, "SELECT MAX(id) + 1000 FROM ov_serviced_account")
    with conn.cursor() as cr:
        cr.execute("ALTER TABLE res_partner DROP CONSTRAINT IF EXISTS res_partner_x_sa_id_fkey")
        cr.execute("ALTER TABLE res_partner DROP CONSTRAINT IF EXISTS res_partner_x_actor_id_fkey")
        stamps = [
            ("assigned", fx["north"], fx["ana"]),
            ("unassigned", fx["north"], None),
            ("archived", fx["north"], fx["ana"]),
            ("south", fx["south"], fx["ana"]),
            ("company_b", fx["east_b"], fx["bob"]),
            ("inactive_sa", fx["closed"], fx["ana"]),
            ("missing_sa", missing_sa, fx["ana"]),
            ("missing_actor", fx["north"], fx["ghost"]),
        ]
        for name, sa_id, actor_id in stamps:
            cr.execute(
                "UPDATE res_partner SET x_sa_id = %s, x_actor_id = %s WHERE id = %s",
                [sa_id, actor_id, c[name]],
            )
        cr.execute("UPDATE res_partner SET active = FALSE WHERE id = %s", [c["archived"]])
        cr.execute(
            "UPDATE res_partner SET create_date = '2024-03-01 08:30:00' WHERE id = %s", [c["assigned"]]
        )
        cr.execute("DELETE FROM res_partner WHERE id = %s", [fx["ghost"]])
        cr.execute("DELETE FROM ov_sa_customer_assignment")
        cr.execute("ALTER TABLE ov_sa_customer_assignment DROP COLUMN assignment_status")
        # V2 searched contacts without trigram indexes
        for index in _SEARCH_INDEXES:
            cr.execute(f'DROP INDEX "{index}"')
        # an earlier build of this version left the SQL function its requests asked whether a
        # membership had lapsed with
        cr.execute(
            "CREATE FUNCTION abs_membership_lapsed(at_time timestamp) RETURNS boolean "
            "LANGUAGE sql STABLE AS 'SELECT FALSE'"
        )
        _drop_sort_names(cr)
        _drop_customer_standing(cr)
        cr.execute("DELETE FROM abs_event_outbox")
        # V2 had no root and no seeds: branches sat at the top of the tree.
        cr.execute("""UPDATE ov_serviced_account SET parent_id = NULL WHERE parent_id IN
                      (SELECT id FROM ov_serviced_account WHERE is_seed OR is_global_root)""")
        cr.execute("""DELETE FROM mail_followers WHERE res_model = 'ov.serviced_account' AND res_id IN
                      (SELECT id FROM ov_serviced_account WHERE is_seed OR is_global_root)""")
        cr.execute("""DELETE FROM mail_message WHERE model = 'ov.serviced_account' AND res_id IN
                      (SELECT id FROM ov_serviced_account WHERE is_seed OR is_global_root)""")
        cr.execute("DELETE FROM ov_serviced_account WHERE is_seed OR is_global_root")
        cr.execute("DELETE FROM res_partner WHERE id = %s", [fx["root_partner"]])
        cr.execute("""
            WITH RECURSIVE tree(id, path) AS (
                SELECT id, id || '/' FROM ov_serviced_account WHERE parent_id IS NULL
                UNION ALL
                SELECT child.id, tree.path || child.id || '/'
                  FROM ov_serviced_account child JOIN tree ON child.parent_id = tree.id
            )
            UPDATE ov_serviced_account sa SET parent_path = tree.path FROM tree WHERE tree.id = sa.id
        """)
        _rename_manager_column(cr, "sa_manager_id", "sa_manager")
        _set_module_version(cr, OLD_VERSION)
    return missing_sa


def _drop_sort_names(cr):
    """Before 18.0.1.2.0 the assignment rows did not carry their customer's sort name: no column,
    no trigger keeping it, no index in name order."""
    cr.execute("DROP TRIGGER abs_partner_sort_name_upd ON res_partner")
    cr.execute("DROP TRIGGER abs_assignment_sort_name_ins ON ov_sa_customer_assignment")
    cr.execute("DROP TRIGGER abs_assignment_sort_name_upd ON ov_sa_customer_assignment")
    cr.execute("ALTER TABLE ov_sa_customer_assignment DROP COLUMN abs_sort_name")  # and its indexes
    cr.execute(
        "DROP FUNCTION abs_assignment_sort_name_from_partner(), abs_partner_sort_name_to_assignments()"
    )
    cr.execute("DROP INDEX res_partner_abs_ungoverned_names")


def _drop_customer_standing(cr):
    """Before 18.0.1.4.0 the assignment rows did not carry their customer's standing: no
    columns, no triggers keeping them, indexes of the active rows that include the company only."""
    cr.execute("DROP TRIGGER abs_partner_standing_upd ON res_partner")
    cr.execute("DROP TRIGGER abs_assignment_standing_ins ON ov_sa_customer_assignment")
    cr.execute("DROP TRIGGER abs_assignment_standing_upd ON ov_sa_customer_assignment")
    cr.execute("DROP FUNCTION abs_assignment_standing_from_partner(), abs_partner_standing_to_assignments()")
    for index, key in _ACTIVE_ROW_INDEXES.items():
        cr.execute(f"DROP INDEX {index}")
        cr.execute(
            f"CREATE INDEX {index} ON ov_sa_customer_assignment {key} INCLUDE (company_id)"
            f" WHERE state = 'active'{' AND actor_id IS NULL' if 'unassigned' in index else ''}"
        )
    cr.execute(
        "ALTER TABLE ov_sa_customer_assignment DROP COLUMN abs_customer_active,"
        " DROP COLUMN abs_customer_company_id, DROP COLUMN abs_customer_share"
    )


def _standing_out_of_step(conn):
    return _rows(
        conn,
        """SELECT a.id FROM ov_sa_customer_assignment a JOIN res_partner p ON p.id = a.partner_id
            WHERE (a.abs_customer_active, a.abs_customer_company_id, a.abs_customer_share)
                  IS DISTINCT FROM (p.active, p.company_id, p.partner_share)""",
    )


def _standing_machinery(conn):
    """The triggers that keep the copies, and the indexes of the active rows that include them."""
    triggers = {
        name for (name,) in _rows(conn, "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'abs_%%standing%%'")
    }
    definitions = dict(
        _rows(
            conn,
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
            [list(_ACTIVE_ROW_INDEXES)],
        )
    )
    including = {name for name, definition in definitions.items() if "abs_customer_share)" in definition}
    return triggers, including


def _sort_names_out_of_step(conn):
    return _rows(
        conn,
        """SELECT a.id FROM ov_sa_customer_assignment a JOIN res_partner p ON p.id = a.partner_id
            WHERE a.abs_sort_name IS DISTINCT FROM p.complete_name""",
    )


def _rename_manager_column(cr, new, old):
    """Before 18.0.1.2.0 the SA's manager column was ``sa_manager``."""
    cr.execute(f"ALTER TABLE ov_serviced_account RENAME COLUMN {new} TO {old}")
    cr.execute(
        f"ALTER TABLE ov_serviced_account RENAME CONSTRAINT ov_serviced_account_{new}_fkey"
        f" TO ov_serviced_account_{old}_fkey"
    )
    cr.execute(
        "UPDATE ir_model_fields SET name = %s WHERE model = 'ov.serviced_account' AND name = %s", [old, new]
    )
    cr.execute(
        "UPDATE ir_model_data SET name = %s WHERE model = 'ir.model.fields' AND name = %s",
        [f"field_ov_serviced_account__{old}", f"field_ov_serviced_account__{new}"],
    )


@pytest.fixture(scope="module")
def upgraded():
    if not odoo_cli.database_exists(odoo_cli.TEMPLATE_DB):
        pytest.fail(f"template database {odoo_cli.TEMPLATE_DB} is missing (ABS_TEMPLATE_DB)", pytrace=False)
    odoo_cli.create_database(DB)
    conn = None
    try:
        odoo_cli.install(DB)
        output = odoo_cli.shell(DB, V1_FIXTURE, label="fixture")
        fx = json.loads(next(line for line in output.splitlines() if line.startswith("FIXTURE "))[8:])
        conn = odoo_cli.connect(DB)
        fresh_tree = _tree(conn)
        fx["missing_sa"] = _rewind_to_v2(conn, fx)
        fx["managers"] = _rows(
            conn, "SELECT id, sa_manager FROM ov_serviced_account WHERE sa_manager IS NOT NULL"
        )
        fx["v2_accounts"] = _scalar(conn, "SELECT COUNT(*) FROM ov_serviced_account")
        log = odoo_cli.upgrade(DB)
        yield {"conn": conn, "fx": fx, "fresh_tree": fresh_tree, "log": log}
    finally:
        if conn is not None:
            conn.close()
        if not os.environ.get("ABS_KEEP_DB"):
            odoo_cli.drop_database(DB)


def test_upgrade_runs_the_migrations_in_order(upgraded):
    log = upgraded["log"]
    # the versions with post- scripts (18.0.1.4.0 has a pre- script only)
    versions = ("18.0.1.0.2", "18.0.1.1.0", "18.0.1.1.1", "18.0.1.2.0", "18.0.1.3.0")
    positions = [log.find(f"Running migration [{version}>]") for version in versions]
    # pre- scripts run before the new code loads, so before every post- script
    assert -1 < log.find("Running migration [>18.0.1.2.0] pre-assignment_status") < positions[0]
    assert -1 < log.find("Running migration [>18.0.1.4.0] pre-assignment_customer_standing") < positions[0]
    assert all(pos >= 0 for pos in positions), positions
    assert positions == sorted(positions)
    assert (
        _scalar(
            upgraded["conn"], "SELECT latest_version FROM ir_module_module" " WHERE name = 'abs_connector'"
        )
        == NEW_VERSION
    )


def test_upgrade_creates_exactly_one_global_root(upgraded):
    conn, fx = upgraded["conn"], upgraded["fx"]
    roots = _rows(
        conn,
        """
        SELECT name, parent_id, source_company_id, company_id, state, is_seed, parent_path, id
          FROM ov_serviced_account WHERE is_global_root""",
    )
    assert len(roots) == 1
    name, parent, source, company, state, is_seed, path, root_id = roots[0]
    assert (name, parent, source, company, state, is_seed) == (
        "OV Global Root",
        None,
        None,
        fx["main_company"],
        "active",
        False,
    )
    assert path == f"{root_id}/"


def test_upgrade_creates_one_seed_per_company_under_the_root(upgraded):
    conn, fx = upgraded["conn"], upgraded["fx"]
    root_id = _scalar(conn, "SELECT id FROM ov_serviced_account WHERE is_global_root")
    seeds = _rows(
        conn,
        """
        SELECT sa.source_company_id, sa.company_id, sa.parent_id, sa.name = c.name,
               sa.partner_id = c.partner_id, sa.state, sa.parent_path = %s || sa.id || '/'
          FROM ov_serviced_account sa JOIN res_company c ON c.id = sa.source_company_id
         WHERE sa.is_seed ORDER BY sa.source_company_id""",
        [f"{root_id}/"],
    )
    companies = [row[0] for row in _rows(conn, "SELECT id FROM res_company ORDER BY id")]
    assert [row[0] for row in seeds] == companies
    assert {fx["main_company"], fx["company_b"]} <= set(companies)
    for company, sa_company, parent, same_name, company_partner, state, path_ok in seeds:
        assert (sa_company, parent, same_name, company_partner, state, path_ok) == (
            company,
            root_id,
            True,
            True,
            "active",
            True,
        )


def test_upgrade_puts_v2_top_level_branches_under_their_company_seed(upgraded):
    conn, fx = upgraded["conn"], upgraded["fx"]
    parents = dict(
        _rows(
            conn,
            """
        SELECT sa.id, COALESCE(parent.source_company_id, -parent.id)
          FROM ov_serviced_account sa JOIN ov_serviced_account parent ON parent.id = sa.parent_id
         WHERE NOT sa.is_seed AND NOT sa.is_global_root""",
        )
    )
    assert parents == {
        fx["north"]: fx["main_company"],
        fx["closed"]: fx["main_company"],
        fx["east_b"]: fx["company_b"],
        fx["south"]: -fx["north"],
    }
    # parent_path is consistent for every account, all the way down.
    broken = _rows(
        conn,
        """
        SELECT sa.id FROM ov_serviced_account sa LEFT JOIN ov_serviced_account p ON p.id = sa.parent_id
         WHERE sa.parent_path != COALESCE(p.parent_path, '') || sa.id || '/'""",
    )
    assert broken == []
    assert _scalar(conn, "SELECT COUNT(*) FROM ov_serviced_account") == fx["v2_accounts"] + 1 + len(
        _rows(conn, "SELECT id FROM res_company")
    )


def test_upgrade_backfills_one_active_assignment_per_valid_stamp(upgraded):
    conn, fx = upgraded["conn"], upgraded["fx"]
    c = fx["customers"]
    rows = _rows(
        conn,
        """
        SELECT a.partner_id, a.account_id, a.actor_id, a.state, a.date_to, a.assigned_by_id,
               a.date_from = p.create_date, a.company_id = sa.company_id
          FROM ov_sa_customer_assignment a
          JOIN res_partner p ON p.id = a.partner_id
          JOIN ov_serviced_account sa ON sa.id = a.account_id
         ORDER BY a.partner_id""",
    )
    expected = sorted(
        [
            (c["assigned"], fx["north"], fx["ana"]),
            (c["unassigned"], fx["north"], None),
            (c["archived"], fx["north"], fx["ana"]),
            (c["south"], fx["south"], fx["ana"]),
            (c["company_b"], fx["east_b"], fx["bob"]),
        ]
    )
    assert [row[:3] for row in rows] == expected
    for _partner, _sa, _actor, state, date_to, assigned_by, date_from_is_creation, same_company in rows:
        assert (state, date_to, assigned_by, date_from_is_creation, same_company) == (
            "active",
            None,
            None,
            True,
            True,
        )
    assert (
        str(
            _scalar(
                conn, "SELECT date_from FROM ov_sa_customer_assignment WHERE partner_id = %s", [c["assigned"]]
            )
        )
        == "2024-03-01 08:30:00"
    )


def test_upgrade_marks_each_backfilled_assignment_assigned_or_unassigned(upgraded):
    conn, c = upgraded["conn"], upgraded["fx"]["customers"]
    status = dict(_rows(conn, "SELECT partner_id, assignment_status FROM ov_sa_customer_assignment"))
    assert status[c["unassigned"]] == "unassigned"
    assert {status[c[name]] for name in ("assigned", "archived", "south", "company_b")} == {"assigned"}


def test_upgrade_builds_the_trigram_indexes_of_the_contact_search(upgraded):
    definitions = dict(
        _rows(
            upgraded["conn"],
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
            [list(_SEARCH_INDEXES)],
        )
    )
    assert set(definitions) == set(_SEARCH_INDEXES)
    assert all("gin_trgm_ops" in definition for definition in definitions.values())


def test_upgrade_drops_the_lapsed_membership_function_the_gate_no_longer_calls(upgraded):
    lapsed = "SELECT to_regprocedure('abs_membership_lapsed(timestamp)') IS NULL"
    assert _scalar(upgraded["conn"], lapsed, []) is True


def test_upgrade_gives_governed_customers_their_account_company(upgraded):
    conn, fx = upgraded["conn"], upgraded["fx"]
    c = fx["customers"]
    companies = dict(
        _rows(
            conn,
            "SELECT id, company_id FROM res_partner WHERE id = ANY(%s)",
            [list(c.values())],
        )
    )
    main, company_b = fx["main_company"], fx["company_b"]
    expected = {"assigned": main, "unassigned": main, "archived": main, "south": main, "company_b": company_b}
    assert {name: companies[c[name]] for name in expected} == expected
    # Not governed (no active assignment): left as they were.
    assert companies[c["not_stamped"]] is None
    assert companies[c["inactive_sa"]] is None


def test_upgrade_reports_and_keeps_stamps_it_cannot_migrate(upgraded):
    conn, fx, log = upgraded["conn"], upgraded["fx"], upgraded["log"]
    c = fx["customers"]
    # Skipped customers keep their stamps untouched for the operator to fix.
    stamps = dict(
        (pid, (sa, actor))
        for pid, sa, actor in _rows(
            conn,
            "SELECT id, x_sa_id, x_actor_id FROM res_partner WHERE id IN %s",
            [(c["inactive_sa"], c["missing_sa"], c["missing_actor"])],
        )
    )
    assert stamps == {
        c["inactive_sa"]: (fx["closed"], fx["ana"]),
        c["missing_sa"]: (fx["missing_sa"], fx["ana"]),
        c["missing_actor"]: (fx["north"], fx["ghost"]),
    }
    assert "skipped 3 stamped customer(s)" in log
    assert "'missing_sa': 1" in log and "'inactive_sa': 1" in log and "'missing_actor': 1" in log
    assert "created 5," in log
    # The foreign keys exist again; only existing rows are exempt from them.
    keys = dict(
        _rows(
            conn,
            """
        SELECT a.attname, fk.convalidated FROM pg_constraint fk
          JOIN pg_class t ON t.oid = fk.conrelid
          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = fk.conkey[1]
         WHERE fk.contype = 'f' AND t.relname = 'res_partner' AND a.attname IN ('x_sa_id', 'x_actor_id')""",
        )
    )
    assert keys == {"x_sa_id": False, "x_actor_id": False}


def test_upgrade_stamps_the_documents_of_a_customers_contacts_with_the_customers_stamps(upgraded):
    conn, fx = upgraded["conn"], upgraded["fx"]
    stamps = _rows(conn, "SELECT x_sa_id, x_actor_id FROM crm_lead WHERE id = %s", [fx["contact_lead"]])
    assert stamps == [(fx["north"], fx["ana"])]
    assert "1 document(s) of customers' contacts now carry their stamps" in upgraded["log"]


def test_upgraded_tree_equals_the_fresh_install_tree(upgraded):
    assert _tree(upgraded["conn"]) == upgraded["fresh_tree"]


def test_running_the_migrations_again_changes_nothing(upgraded):
    conn = upgraded["conn"]
    before = _snapshot(conn)
    with conn.cursor() as cr:
        _set_module_version(cr, OLD_VERSION)
    log = odoo_cli.upgrade(DB, label="upgrade-again")
    assert "Running migration [18.0.1.1.0>]" in log
    assert "created 0," in log
    assert _snapshot(conn) == before


def test_upgrade_without_upgrade_path_is_refused_and_changes_nothing(upgraded):
    conn = upgraded["conn"]
    with conn.cursor() as cr:
        # Back to V2's version only: had the guard let it through, the upgrade would
        # record the new version and run no script, which the version check catches.
        _set_module_version(cr, OLD_VERSION)
    before = _snapshot(conn)
    try:
        with pytest.raises(odoo_cli.OdooRunError) as refused:
            odoo_cli.upgrade(DB, label="upgrade-without-path", upgrade_path=None)
        log_path = str(refused.value).split("log: ", 1)[1].split("\n", 1)[0]
        log = Path(log_path).read_text()
        assert "UpgradeScriptsUnreachable" in log
        assert (
            "the migration scripts of 18.0.1.0.2, 18.0.1.1.0, 18.0.1.1.1, 18.0.1.2.0, 18.0.1.3.0, 18.0.1.4.0"
            in log
        )
        assert "are not reachable: neither in the addon's own migrations/ nor through upgrade_path" in log
        assert "Running migration [18.0.1.0.2>]" not in log
        assert (
            _scalar(conn, "SELECT latest_version FROM ir_module_module WHERE name = 'abs_connector'")
            == OLD_VERSION
        )
        assert _snapshot(conn) == before
    finally:
        with conn.cursor() as cr:
            _set_module_version(cr, NEW_VERSION)


def test_upgrade_renames_sa_manager_to_sa_manager_id_keeping_every_manager(upgraded):
    conn, fx = upgraded["conn"], upgraded["fx"]
    assert fx["managers"], "precondition: the V2 branches have managers"
    columns = [
        row[0]
        for row in _rows(
            conn,
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'ov_serviced_account' AND column_name LIKE 'sa_manager%%'",
        )
    ]
    assert columns == ["sa_manager_id"]
    managers = _rows(
        conn,
        "SELECT id, sa_manager_id FROM ov_serviced_account WHERE id IN %s",
        [tuple(account for account, _manager in fx["managers"])],
    )
    assert sorted(managers) == sorted(fx["managers"])
    fields = _rows(
        conn,
        "SELECT name FROM ir_model_fields WHERE model = 'ov.serviced_account' AND name LIKE 'sa_manager%%'",
    )
    assert fields == [("sa_manager_id",)]


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory):
    """The wheel ``./dev wheel`` builds, pip-installed into a throwaway folder; its addons folder."""
    built = addon_wheel.build(tmp_path_factory.mktemp("dist"))
    target = tmp_path_factory.mktemp("site-packages")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps"]
    subprocess.run(
        [*pip, "--target", str(target), str(built)],
        check=True,
        capture_output=True,
    )
    return target / "odoo" / "addons"


def test_upgrade_of_the_pip_installed_wheel_runs_its_own_scripts_without_upgrade_path(
    upgraded, installed_wheel
):
    conn, fx = upgraded["conn"], upgraded["fx"]
    assert (installed_wheel / "abs_connector" / "migrations" / "18.0.1.2.0").is_dir()
    with conn.cursor() as cr:
        # Back to 18.0.1.1.1, when the manager column was still ``sa_manager``: only the
        # 18.0.1.2.0 script renames it keeping the managers (Odoo alone would add an empty one).
        _rename_manager_column(cr, "sa_manager_id", "sa_manager")
        _set_module_version(cr, "18.0.1.1.1")

    # Neither the repository (addons path) nor its migrations/ (upgrade_path) is in reach.
    log = odoo_cli.upgrade(DB, label="upgrade-from-wheel", upgrade_path=None, addons=installed_wheel)

    assert "Running migration [>18.0.1.2.0] pre-rename_sa_manager_to_sa_manager_id" in log
    assert "Running migration [18.0.1.2.0>] post-governed_customer_company" in log
    assert "Running migration [18.0.1.1.1>]" not in log
    assert (
        _scalar(conn, "SELECT latest_version FROM ir_module_module WHERE name = 'abs_connector'")
        == NEW_VERSION
    )
    managers = _rows(
        conn,
        "SELECT id, sa_manager_id FROM ov_serviced_account WHERE id IN %s",
        [tuple(account for account, _manager in fx["managers"])],
    )
    assert sorted(managers) == sorted(fx["managers"])


_SORT_NAME_TRIGGERS = {
    "abs_assignment_sort_name_ins",
    "abs_assignment_sort_name_upd",
    "abs_partner_sort_name_upd",
}
_STANDING_TRIGGERS = {
    "abs_assignment_standing_ins",
    "abs_assignment_standing_upd",
    "abs_partner_standing_upd",
}
# {index of the active rows: its key}, as 18.0.1.3.0 built them
_ACTIVE_ROW_INDEXES = {
    "ov_sa_customer_assignment_active_actor_rows": "(account_id, actor_id, partner_id)",
    "ov_sa_customer_assignment_active_unassigned_rows": "(account_id, partner_id)",
    "ov_sa_customer_assignment_active_account_rows": "(account_id, partner_id)",
}
_NAME_ORDER_INDEXES = {
    "ov_sa_customer_assignment_active_actor_names",
    "ov_sa_customer_assignment_active_unassigned_names",
    "ov_sa_customer_assignment_active_account_names",
    "res_partner_abs_ungoverned_names",
}


def _sort_name_machinery(conn):
    triggers = {
        name for (name,) in _rows(conn, "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'abs_%%sort_name%%'")
    }
    indexes = {
        name
        for (name,) in _rows(
            conn, "SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", [list(_NAME_ORDER_INDEXES)]
        )
    }
    return triggers, indexes


def test_upgrade_gives_every_assignment_its_customers_sort_name_and_keeps_it(upgraded):
    conn, c = upgraded["conn"], upgraded["fx"]["customers"]
    assert "Running migration [>18.0.1.2.0] pre-assignment_sort_name" in upgraded["log"]
    assert _sort_name_machinery(conn) == (_SORT_NAME_TRIGGERS, _NAME_ORDER_INDEXES)
    assert _sort_names_out_of_step(conn) == []
    names = dict(_rows(conn, "SELECT partner_id, abs_sort_name FROM ov_sa_customer_assignment"))
    assert names[c["assigned"]] == "Customer assigned"
    with conn.cursor() as cr:  # the triggers answer for the raw SQL an operator may run
        cr.execute(
            "UPDATE res_partner SET name = 'Customer renamed', complete_name = 'Customer renamed'"
            " WHERE id = %s",
            [c["assigned"]],
        )
    assert (
        _scalar(
            conn, "SELECT abs_sort_name FROM ov_sa_customer_assignment WHERE partner_id = %s", [c["assigned"]]
        )
        == "Customer renamed"
    )


def test_upgrade_from_18_0_1_1_1_fills_the_sort_name_of_the_rows_already_there(upgraded):
    conn = upgraded["conn"]
    rows = _scalar(conn, "SELECT count(*) FROM ov_sa_customer_assignment")
    assert rows >= 5
    with conn.cursor() as cr:
        _drop_sort_names(cr)
        _set_module_version(cr, "18.0.1.1.1")
    log = odoo_cli.upgrade(DB, label="upgrade-sort-names")
    assert "Running migration [>18.0.1.2.0] pre-assignment_sort_name" in log
    assert f"abs_connector: {rows} assignment row(s) given their customer's sort name" in log
    assert _sort_name_machinery(conn) == (_SORT_NAME_TRIGGERS, _NAME_ORDER_INDEXES)
    assert _sort_names_out_of_step(conn) == []


def test_upgrade_gives_every_assignment_its_customers_standing_and_keeps_it(upgraded):
    conn, c = upgraded["conn"], upgraded["fx"]["customers"]
    assert "Running migration [>18.0.1.4.0] pre-assignment_customer_standing" in upgraded["log"]
    assert _standing_machinery(conn) == (_STANDING_TRIGGERS, set(_ACTIVE_ROW_INDEXES))
    assert _standing_out_of_step(conn) == []
    standing = {
        partner: (active, company)
        for partner, active, company in _rows(
            conn,
            "SELECT partner_id, abs_customer_active, abs_customer_company_id FROM ov_sa_customer_assignment",
        )
    }
    assert standing[c["archived"]][0] is False
    assert standing[c["assigned"]][0] is True
    company = _scalar(conn, "SELECT company_id FROM res_partner WHERE id = %s", [c["assigned"]])
    with conn.cursor() as cr:  # the triggers answer for the raw SQL an operator may run
        cr.execute("UPDATE res_partner SET active = FALSE, company_id = NULL WHERE id = %s", [c["assigned"]])
    copied = (
        "SELECT abs_customer_active, abs_customer_company_id FROM ov_sa_customer_assignment"
        " WHERE partner_id = %s"
    )
    assert _rows(conn, copied, [c["assigned"]]) == [(False, None)]
    with conn.cursor() as cr:
        cr.execute(
            "UPDATE res_partner SET active = TRUE, company_id = %s WHERE id = %s", [company, c["assigned"]]
        )
    assert _rows(conn, copied, [c["assigned"]]) == [(True, company)]


def test_upgrade_from_18_0_1_3_0_fills_the_standing_of_the_rows_already_there(upgraded):
    conn = upgraded["conn"]
    rows = _scalar(conn, "SELECT count(*) FROM ov_sa_customer_assignment")
    assert rows >= 5
    with conn.cursor() as cr:
        _drop_customer_standing(cr)
        _set_module_version(cr, "18.0.1.3.0")
    log = odoo_cli.upgrade(DB, label="upgrade-standing")
    assert "Running migration [>18.0.1.4.0] pre-assignment_customer_standing" in log
    assert f"abs_connector: {rows} assignment row(s) given their customer's standing" in log
    assert _standing_machinery(conn) == (_STANDING_TRIGGERS, set(_ACTIVE_ROW_INDEXES))
    assert _standing_out_of_step(conn) == []


def test_upgrade_adds_the_lapse_marker_unsettled_with_its_triggers(upgraded):
    conn = upgraded["conn"]
    settled = _rows(conn, "SELECT DISTINCT abs_lapse_settled FROM ov_membership", [])
    # nothing has asked yet, or what asked settled only ended memberships
    assert set(settled) <= {(False,), (True,)}
    assert (
        _scalar(
            conn,
            "SELECT count(*) FROM ov_membership WHERE abs_lapse_settled "
            "AND (effective_to IS NULL OR effective_to >= now() AT TIME ZONE 'UTC')",
            [],
        )
        == 0
    )
    triggers = {
        name
        for (name,) in _rows(
            conn, "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'abs_lapse_%%' AND NOT tgisinternal", []
        )
    }
    assert triggers == {
        "abs_lapse_membership_upd",
        "abs_lapse_assignment_ins",
        "abs_lapse_assignment_upd",
        "abs_lapse_account_moved",
    }
    assert _scalar(conn, "SELECT to_regclass('ov_membership_unsettled_lapses') IS NOT NULL", []) is True
