"""Shared fixtures for the addon's Odoo test suites.

Other areas reuse ``AbsGovernanceCase``: it guarantees the bootstrap state
(global root + a seed per company) and offers small builders for Service
Accounts, members and governed customers that go through the real model
methods, so every fixture obeys the same rules as production data.
"""

import json
from types import SimpleNamespace

from odoo import Command
from odoo.tests import TransactionCase

from .. import bootstrap


class JsonRpcMixin:
    """For HttpCase tests: Odoo's own JSON-RPC route, as the web client calls it for the user
    the test signed in (``self.authenticate``)."""

    def call_kw(self, model, method, args, kwargs=None):
        """The raw JSON-RPC answer of ``/web/dataset/call_kw`` (result or error)."""
        params = {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        return self.json_rpc(f"/web/dataset/call_kw/{model}/{method}", params)

    def json_rpc(self, route, params):
        """The raw JSON-RPC answer of any ``type="json"`` route (result or error)."""
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
        response = self.url_open(
            route, data=json.dumps(payload), headers={"Content-Type": "application/json"}
        )
        self.assertEqual(response.status_code, 200)
        return response.json()


class AbsGovernanceCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.root = bootstrap.ensure_global_root(cls.env)
        bootstrap.ensure_company_seeds(cls.env)
        cls.seed = cls.env["ov.serviced_account"]._get_company_seed(cls.company)
        cls._person_seq = 0

    # ---- people ----

    @classmethod
    def make_person(cls, name=None, email=None, **vals):
        """A person partner (never a company); a unique e-mail unless given."""
        cls._person_seq += 1
        name = name or f"Person {cls._person_seq}"
        if email is None:
            email = f"{name.lower().replace(' ', '.')}.{cls._person_seq}@example.com"
        return cls.env["res.partner"].create({"name": name, "email": email or False, **vals})

    # ---- accounts ----

    @classmethod
    def make_branch(cls, name="Branch", parent=None, manager=None, **vals):
        """A branch SA under ``parent`` (default: this company's seed) with a
        staff manager (a new person unless ``manager`` is given)."""
        parent = parent or cls.seed
        manager = manager or cls.make_person(f"{name} Manager")
        return cls.env["ov.serviced_account"]._abs_create_branch(
            {"name": name, "parent_id": parent.id, **vals}, manager
        )

    @classmethod
    def make_member(cls, sa, role_code="agent", person=None, **extra):
        """Enroll ``person`` (a new one by default) in ``sa``; returns the membership."""
        person = person or cls.make_person(f"{role_code.title()} of {sa.name}")
        return cls.env["ov.membership"]._abs_enroll(sa, person, role_code, **extra)

    @classmethod
    def make_customer(cls, sa, actor=None, portal_access=False, **vals):
        """A governed customer of ``sa`` created by ``actor`` (a partner or a
        membership; None = system call, unassigned)."""
        if actor is not None and actor._name == "ov.membership":
            actor = actor.person_partner_id
        cls._person_seq += 1
        vals.setdefault("name", f"Customer {cls._person_seq}")
        vals.setdefault("email", f"customer.{cls._person_seq}@client.example.com")
        return cls.env["res.partner"]._abs_create_governed_customer(
            sa, vals, actor, portal_access=portal_access
        )

    @classmethod
    def make_confirmed_order(cls, customer, product):
        """A confirmed sale order of one ``product`` for ``customer``."""
        order = cls.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        order.action_confirm()
        return order

    @classmethod
    def make_sa_tree(cls):
        """The docs/customer-lifecycle.md picture: root > seed > branch (manager Alice, agents Jean
        and Kwame) > sub-branch (its own manager); returns a namespace."""
        alice = cls.make_person("Alice")
        branch = cls.make_branch("Togo Field Operations", manager=alice)
        sub_branch = cls.make_branch("Lomé Team", parent=branch)
        jean = cls.make_member(branch, "agent", cls.make_person("Jean Kofi"))
        kwame = cls.make_member(branch, "agent", cls.make_person("Kwame"))
        return SimpleNamespace(
            root=cls.root,
            seed=cls.seed,
            branch=branch,
            sub_branch=sub_branch,
            alice=alice,
            alice_membership=branch.sa_manager_id,
            jean=jean.person_partner_id,
            jean_membership=jean,
            kwame=kwame.person_partner_id,
            kwame_membership=kwame,
        )

    # Odoo rights of a seat member in the tests: an internal user who sells, sees every lead and
    # order Odoo-wise and bills, so that only the governance rules limit what they see.
    SEAT_GROUPS = (
        "base.group_user",
        "sales_team.group_sale_salesman_all_leads",
        "account.group_account_invoice",
    )

    @classmethod
    def make_seat_user(cls, person, groups=SEAT_GROUPS):
        """An internal Odoo user (a seat) for ``person``; their password is their login."""
        login = person.email or f"seat.{person.id}@example.com"
        return (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "partner_id": person.id,
                    "login": login,
                    "password": login,
                    "groups_id": [Command.set([cls.env.ref(group).id for group in groups])],
                }
            )
        )

    @classmethod
    def make_user(cls, login, *group_xmlids, password=None, **vals):
        """An Odoo user with exactly these groups (their password is their login unless
        given), for tests that sign in as a portal customer, a stranger or a back-office user."""
        return (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": login,
                    "login": login,
                    "password": password or login,
                    "groups_id": [Command.set([cls.env.ref(group).id for group in group_xmlids])],
                    **vals,
                }
            )
        )

    # ---- assertions ----

    def active_assignment(self, customer, sa):
        return self.env["ov.sa_customer_assignment"].search(
            [("partner_id", "=", customer.id), ("account_id", "=", sa.id), ("state", "=", "active")]
        )

    def events(self, event_type, subject=None):
        domain = [("event_type", "=", event_type)]
        rows = self.env["abs.event.outbox"].sudo().search(domain, order="id")
        if subject is not None:
            target = {"model": subject._name, "id": subject.id}
            rows = rows.filtered(lambda e: json.loads(e.payload).get("subject") == target)
        return rows

    def event_data(self, event):
        return json.loads(event.payload).get("data") or {}


class AbsSaTreeCase(AbsGovernanceCase):
    """``cls.tree``: the picture of ``make_sa_tree`` (root > seed > branch with Alice,
    Jean and Kwame > sub-branch), built once for the class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tree = cls.make_sa_tree()


class AbsSaTreeCustomerCase(AbsSaTreeCase):
    """``cls.tree`` plus ``cls.marie``: "Marie Dupont", a customer of the branch assigned to Jean."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marie = cls.make_customer(cls.tree.branch, cls.tree.jean, name="Marie Dupont")
