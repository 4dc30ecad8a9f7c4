"""The RPC surface is deliberate: every public method of the addon is on a list that says why
it is safe, and no credential is reachable through Odoo's RPC routes by anyone.

Odoo serves every public method (no leading ``_``, not ``init``) of every model through
``/web/dataset/call_kw``, ``/jsonrpc`` and ``/xmlrpc/2/object`` to any signed-in user: portal
customers and strangers who signed up on ``/web/signup`` included.
"""

import re
import xmlrpc.client

from odoo.models import regex_private
from odoo.tests import HttpCase, JsonRpcException, tagged
from odoo.tools import mute_logger

from .common import AbsGovernanceCase, JsonRpcMixin

ADDON_MODULE = "odoo.addons.abs_connector."

# (model, method): why it is safe to leave reachable over RPC. A new public method fails
# test_every_public_method_is_on_the_allow_list until someone writes its reason here.
ALLOWED_PUBLIC_METHODS = {
    # ---- ORM overrides: Odoo's ACL and record rules run before them (super() checks access) ----
    ("discuss.channel", "add_members"): "Odoo's add_members (its own membership checks); only leaves out "
    "the partners a seat member may not read, as it leaves out those that do not exist",
    ("discuss.channel", "channel_get"): "Odoo's chat (its own checks); only refuses a seat member a "
    "partner they may not read, as if it did not exist, before anything is created",
    ("discuss.channel.member", "create"): "ORM create (Odoo's rights and rules on members); only refuses "
    "a seat member a partner they may not read, as if it did not exist",
    ("mail.thread", "message_post"): "Odoo's message_post (its own rights on the thread); only refuses "
    "a seat member a recipient they may not read and the document does not name, as if it did not exist",
    ("mail.thread", "message_subscribe"): "Odoo's message_subscribe (its own rights on the thread); only "
    "refuses a seat member a follower they may not read and the document does not name, as if it did "
    "not exist",
    ("base", "onchange"): "ORM onchange of every model (Odoo's rights); only refuses a seat member "
    "a governed record they may not read, as if it did not exist, before Odoo computes anything",
    ("base", "write"): "ORM write of every model (Odoo's rights and rules); only refuses a seat member "
    "a reference to a governed record they may not read, as if it did not exist",
    ("ir.qweb.field.contact", "value_to_html"): "Odoo's contact widget (renders what it is given); only "
    "prints a partner a seat member may not read by its name alone",
    ("abs.api_key", "create"): "ORM create; refuses any key not made by the generator (ACL: managers)",
    ("abs.api_key", "write"): "ORM write; refuses changing the digest (ACL: managers)",
    ("abs.governed.mixin", "create"): "ORM create of governed models; refuses stamps from anyone but "
    "governance and Governance Managers, then takes the partner's",
    ("abs.governed.mixin", "write"): "ORM write of governed models; refuses stamps from anyone but "
    "governance and Governance Managers; a new partner restamps the record from it",
    ("abs.governed.mixin", "get_view"): "ORM view of governed models (Odoo's access check); only "
    "lowers a seat member's list and kanban count_limit to the API's count bound",
    ("abs.governed.mixin", "search_fetch"): "ORM search (Odoo's rights and rules); only notes in the "
    "transaction's cache that a seat member sees the records the seat rule just let through",
    ("abs.governed.mixin", "web_search_read"): "ORM list read (Odoo's rights and rules); only lowers "
    "a seat member's count_limit to the API's count bound, never what the search lets through",
    ("abs.employee", "write"): "ORM write (ACL: Governance Managers); archiving also revokes the "
    "identity's refresh tokens",
    ("ov.membership", "create"): "ORM create (ACL: Governance Managers and the API proxy only)",
    ("ov.membership", "write"): "ORM write (ACL: Governance Managers and the API proxy only)",
    ("ov.sa_customer_assignment", "create"): "ORM create (ACL: Governance Managers, the API proxy)",
    ("ov.sa_customer_assignment", "write"): "ORM write (ACL: Governance Managers); history is kept",
    ("ov.serviced_account", "create"): "ORM create (ACL: Governance Managers, the API proxy)",
    ("ov.serviced_account", "write"): "ORM write (ACL: Governance Managers, the API proxy)",
    ("res.company", "create"): "ORM create of companies (Odoo's ACL: settings); adds the seed SA",
    ("res.partner", "write"): "ORM write (Odoo's rights on contacts); refuses a taken sign-in e-mail "
    "and a portal customer's e-mail changed by anyone but them; "
    "archiving a governed customer goes through the lifecycle and its authority check",
    ("res.partner", "search_count"): "ORM count (Odoo's rights and rules on contacts); only tells the "
    "seat-member rule that it counts, which picks its SQL shape, never what it lets through",
    ("res.groups", "write"): "ORM write (Odoo's rights on groups: settings); only drops the "
    "transaction's cached seat answers when the group's users change",
    ("res.users", "write"): "ORM write (Odoo's rights on users); only marks that Odoo already told "
    "the previous address of a changed e-mail, and drops the transaction's cached seat answers",
    # ---- buttons: no arguments, authority checked before anything changes ----
    ("abs.api_key", "action_revoke"): "button; check_access('write') before the sudo write",
    ("abs.event.outbox", "action_retry"): "button; Governance Managers only, checked first",
    ("ov.conflict_review", "action_accept"): "button; Governance Managers only, checked first",
    ("ov.conflict_review", "action_reject"): "button; Governance Managers only, checked first",
    ("ov.conflict_review", "action_reset_to_review"): "button; Governance Managers only, checked first",
    ("ov.membership", "action_suspend"): "button; acts as the system: Governance Managers only",
    ("ov.membership", "action_reinstate"): "button; acts as the system: Governance Managers only",
    ("res.partner", "action_abs_erase"): "button; refuses portal users outright and answers a contact "
    "the user may not read like a missing one, then the lifecycle checks the system caller "
    "(Governance Managers) or the user's own membership",
    ("ov.serviced_account", "action_set_inactive"): "button; Governance Managers only, checked first",
    ("ov.serviced_account", "action_set_active"): "button; Governance Managers only, checked first",
    ("sale.order", "action_confirm"): "Odoo's button; super() checks the rights before the portal invite",
    # ---- wizards: transient records only their creator reads ----
    ("abs.archive.service.account.wizard", "action_archive"): "wizard button; Governance Managers only, "
    "checked first",
    ("abs.api_key.generate", "action_generate"): "wizard button; check_access('create') on keys first",
    ("abs.backfill.wizard", "action_dry_run"): "wizard button; Governance Managers only, checked first",
    ("abs.backfill.wizard", "action_run"): "wizard button; Governance Managers only, checked first",
    ("abs.enroll.member.wizard", "default_get"): "ORM defaults from the context; reads nothing hidden",
    ("abs.enroll.member.wizard", "action_enroll"): "wizard button; the member's rank is checked first",
    ("abs.explain.access.wizard", "default_get"): "ORM defaults; reads through the caller's rights",
    ("abs.explain.access.wizard", "action_explain"): "wizard button; read access checked first",
    ("abs.grant.portal.wizard", "default_get"): "ORM defaults from the context (ACL: managers)",
    ("abs.grant.portal.wizard", "action_grant"): "wizard button (ACL: Governance Managers)",
    ("abs.reassign.customers.wizard", "default_get"): "ORM defaults from the context (ACL: managers)",
    ("abs.reassign.customers.wizard", "action_reassign"): "wizard button; the lifecycle checks authority",
    ("abs.revoke.membership.wizard", "default_get"): "ORM defaults from the context; reads nothing",
    ("abs.revoke.membership.wizard", "action_revoke"): "wizard button; the member's rank is checked first",
}

# Credential methods, under their old public names and their private ones.
EMPLOYEE_CREDENTIAL_CALLS = [
    ("set_password", ["planted password 123"]),
    ("check_password", ["correct horse battery"]),
    ("issue_activation_token", []),
    ("send_activation_mail", []),
    ("_abs_set_password", ["planted password 123"]),
    ("_abs_check_password", ["correct horse battery"]),
    ("_abs_issue_activation_token", []),
    ("_abs_send_activation_mail", []),
    ("_abs_write_secrets", [{"password_hash": "planted"}]),
    ("_abs_read_secret", ["password_hash"]),
    ("write", [{"password_hash": "planted", "activation_token_digest": "planted"}]),
    ("read", [["password_hash", "activation_token_digest"]]),
]
MODEL_CREDENTIAL_CALLS = [
    ("abs.employee", "_authenticate", ["jean@example.com", "correct horse battery"]),
    ("abs.employee", "_abs_activate", ["token", "planted password 123"]),
    ("abs.employee", "activate", ["token", "planted password 123"]),
    ("abs.api_key", "_generate", ["planted key"]),
    ("abs.api_key", "generate", ["planted key"]),
    ("abs.api_key", "create", [{"name": "planted", "key_digest": "0" * 64}]),
    ("abs.refresh_token", "_abs_issue", [1, 3600]),
    ("abs.refresh_token", "create", [{"employee_id": 1, "family": "f", "token_digest": "d"}]),
]
PASSWORD = "correct horse battery"


def _is_rpc_callable(name, attr):
    method = callable(attr) or isinstance(attr, classmethod | staticmethod)
    return method and not regex_private.match(name) and not name.startswith("__")


def addon_public_methods(registry):
    """{(model, method)} of every public method a class of this addon defines."""
    found = set()
    for model_cls in registry.values():
        for cls in type.mro(model_cls):
            if not cls.__module__.startswith(ADDON_MODULE):
                continue
            name_of_class = cls._name or cls._inherit
            if isinstance(name_of_class, list):
                name_of_class = name_of_class[0]
            for name, attr in vars(cls).items():
                if _is_rpc_callable(name, attr):
                    found.add((name_of_class, name))
    return found


@tagged("post_install", "-at_install", "abs_security")
class TestRpcSurfaceIsDeliberate(AbsGovernanceCase):
    def test_every_public_method_is_on_the_allow_list(self):
        found = addon_public_methods(self.env.registry)
        unlisted = sorted(found - set(ALLOWED_PUBLIC_METHODS))
        self.assertFalse(
            unlisted,
            "Public methods are RPC entry points for every signed-in user: make these private "
            f"(_abs_...) or add them to ALLOWED_PUBLIC_METHODS with the reason they are safe: {unlisted}",
        )

    def test_allow_list_names_only_methods_that_exist(self):
        stale = sorted(set(ALLOWED_PUBLIC_METHODS) - addon_public_methods(self.env.registry))
        self.assertFalse(stale, f"Remove these entries, the methods are gone or private: {stale}")

    def test_every_allowed_method_says_why(self):
        for key, reason in ALLOWED_PUBLIC_METHODS.items():
            self.assertGreater(len(reason.strip()), 15, key)

    def test_lifecycle_buttons_take_no_actor_argument(self):
        # An actor passed by an RPC caller would be forged: buttons act as the signed-in user.
        for model, method in [
            ("ov.membership", "action_suspend"),
            ("ov.membership", "action_reinstate"),
            ("ov.conflict_review", "action_accept"),
            ("ov.conflict_review", "action_reject"),
        ]:
            code = getattr(type(self.env[model]), method).__code__
            self.assertEqual(code.co_argcount, 1, f"{model}.{method} takes arguments")


@tagged("post_install", "-at_install", "abs_security")
class TestCredentialsUnreachableOverRpc(HttpCase, AbsGovernanceCase):
    """A portal customer, a self-signed-up stranger and a plain internal user try every
    credential method through call_kw, /jsonrpc and /xmlrpc: all refused, nothing changed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tree = cls.make_sa_tree()
        cls.employee = cls.tree.jean_membership.employee_id
        cls.employee._abs_set_password(PASSWORD)
        cls.portal_user = cls.make_user(
            "portal.customer@example.com", "base.group_portal", password="portal customer pw"
        )
        cls.internal_user = cls.make_user(
            "plain.employee@example.com", "base.group_user", password="plain employee pw"
        )
        cls.env["ir.config_parameter"].sudo().set_param("auth_signup.invitation_scope", "b2c")

    def secrets(self):
        self.env.invalidate_all()
        employees = self.env["abs.employee"].sudo().with_context(active_test=False).search([], order="id")
        return {
            "employees": employees.read(
                ["password_hash", "activation_token_digest", "activation_expires_at"]
            ),
            "api_keys": self.env["abs.api_key"].sudo().with_context(active_test=False).search_count([]),
            "refresh_tokens": self.env["abs.refresh_token"].sudo().search_count([]),
            "activation_mails": self.env["mail.mail"].sudo().search_count([("model", "=", "abs.employee")]),
        }

    def sign_up_stranger(self):
        """A stranger creates an account through /web/signup (auth_signup's b2c)."""
        self.logout()
        page = self.url_open("/web/signup")
        csrf = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text).group(1)
        login = "stranger@example.com"
        self.url_open(
            "/web/signup",
            data={
                "csrf_token": csrf,
                "login": login,
                "name": "Stranger",
                "password": "stranger password",
                "confirm_password": "stranger password",
            },
        )
        user = self.env["res.users"].search([("login", "=", login)])
        self.assertTrue(user, "the sign-up did not create a user")
        self.assertTrue(user.share, "a signed-up stranger is a portal user")
        return login, "stranger password", user

    def callers(self):
        yield "portal", "portal.customer@example.com", "portal customer pw", self.portal_user
        yield "internal", "plain.employee@example.com", "plain employee pw", self.internal_user
        login, password, user = self.sign_up_stranger()
        yield "signed-up", login, password, user

    def credential_calls(self):
        for method, args in EMPLOYEE_CREDENTIAL_CALLS:
            yield "abs.employee", method, [[self.employee.id], *args]
        for model, method, args in MODEL_CREDENTIAL_CALLS:
            yield model, method, args

    def assert_call_kw_refused(self, model, method, args):
        with self.assertRaises(JsonRpcException, msg=f"call_kw {model}.{method} answered"):
            self.make_jsonrpc_request(
                "/web/dataset/call_kw",
                {"model": model, "method": method, "args": args, "kwargs": {}},
            )

    def assert_jsonrpc_refused(self, uid, password, model, method, args):
        params = {
            "service": "object",
            "method": "execute_kw",
            "args": [self.env.cr.dbname, uid, password, model, method, args],
        }
        with self.assertRaises(JsonRpcException, msg=f"/jsonrpc {model}.{method} answered"):
            self.make_jsonrpc_request("/jsonrpc", params)

    def assert_xmlrpc_refused(self, uid, password, model, method, args):
        with self.assertRaises(xmlrpc.client.Fault, msg=f"/xmlrpc {model}.{method} answered"):
            self.xmlrpc_object.execute_kw(self.env.cr.dbname, uid, password, model, method, args)

    def assert_routes_answer_this_caller(self, user, password):
        # The refusals below must come from the methods, not from a broken session or login.
        call = {"model": "res.users", "method": "context_get", "args": [], "kwargs": {}}
        self.assertTrue(self.make_jsonrpc_request("/web/dataset/call_kw", call))
        args = [self.env.cr.dbname, user.id, password, "res.users", "context_get", []]
        self.assertTrue(
            self.make_jsonrpc_request("/jsonrpc", {"service": "object", "method": "execute_kw", "args": args})
        )
        self.assertTrue(self.xmlrpc_object.execute_kw(*args))

    @mute_logger("odoo.http", "odoo.service.model")
    def test_credential_methods_are_unreachable_through_every_rpc_route(self):
        before = self.secrets()
        for label, login, password, user in self.callers():
            with self.subTest(caller=label):
                self.authenticate(login, password)
                self.assert_routes_answer_this_caller(user, password)
                for model, method, args in self.credential_calls():
                    self.assert_call_kw_refused(model, method, args)
                    self.assert_jsonrpc_refused(user.id, password, model, method, args)
                    self.assert_xmlrpc_refused(user.id, password, model, method, args)
        self.assertEqual(self.secrets(), before)
        self.assertTrue(self.employee._abs_check_password(PASSWORD))

    @mute_logger("odoo.http")
    def test_forged_actor_cannot_suspend_or_revoke_through_call_kw(self):
        membership = self.tree.jean_membership
        for label, login, password, user in self.callers():
            with self.subTest(caller=label):
                self.authenticate(login, password)
                for method, args in [
                    ("action_suspend", [[membership.id]]),
                    ("action_suspend", [[membership.id], self.tree.alice.id]),
                    ("action_reinstate", [[membership.id]]),
                    ("action_revoke", [[membership.id], self.tree.alice.id]),
                    ("_abs_revoke", [[membership.id]]),
                    ("_abs_enroll", [self.tree.branch.id, user.partner_id.id, "admin"]),
                ]:
                    self.assert_call_kw_refused("ov.membership", method, args)
        membership.invalidate_recordset()
        self.assertEqual(membership.membership_state, "active")


@tagged("post_install", "-at_install", "abs_security")
class TestOrmOverridesCheckRightsFirst(JsonRpcMixin, HttpCase, AbsGovernanceCase):
    """The addon's create and write overrides check Odoo's rights before their own checks, which
    read as superuser and name what they find: over call_kw a portal customer, a signed-up
    stranger or a plain internal user gets Odoo's rights error, the same whatever the ids
    name, and nothing changes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tree = cls.make_sa_tree()
        cls.marie = cls.make_customer(
            cls.tree.branch,
            cls.tree.jean,
            portal_access=True,
            name="Marie Secret",
            email="marie.secret@client.example.com",
        )
        cls.acme = cls.env["res.partner"].create({"name": "Acme Hidden Ltd", "is_company": True})
        cls.portal_user = cls.make_user("portal.prober@example.com", "base.group_portal")
        cls.internal_user = cls.make_user("plain.prober@example.com", "base.group_user")

    def callers(self):
        yield "portal.prober@example.com", "portal.prober@example.com"
        yield "plain.prober@example.com", "plain.prober@example.com"

    def refusal(self, model, method, args):
        answer = self.call_kw(model, method, args)
        self.assertNotIn("result", answer, f"{model}.{method}{args} was not refused")
        data = answer["error"]["data"]
        return data["name"], data["message"]

    def probes(self):
        """(what is probed, model, method, args that name something, the same naming nothing)."""
        branch, sub = self.tree.branch, self.tree.sub_branch
        yield (
            "an assignment that exists",
            "ov.sa_customer_assignment",
            "create",
            [[{"partner_id": self.marie.id, "account_id": branch.id}]],
            [[{"partner_id": self.acme.id, "account_id": branch.id}]],
        )
        yield (
            "a company partner",
            "ov.membership",
            "create",
            [[{"person_partner_id": self.acme.id, "serviced_account_id": branch.id, "role_code": "agent"}]],
            [[{"person_partner_id": 999_999_999, "serviced_account_id": branch.id, "role_code": "agent"}]],
        )
        yield (
            "an account's ancestor",
            "ov.serviced_account",
            "write",
            [[branch.id], {"parent_id": sub.id}],
            [[sub.id], {"parent_id": branch.id}],
        )
        yield (
            "a company's seed",
            "ov.serviced_account",
            "create",
            [[{"name": "Seed Probe", "is_seed": True, "source_company_id": self.env.company.id}]],
            [[{"name": "Seed Probe", "parent_id": branch.id}]],
        )

    @mute_logger("odoo.http")
    def test_governance_overrides_answer_odoos_rights_error_whatever_the_ids_name(self):
        before = self.governance_counts()
        for login, password in self.callers():
            self.authenticate(login, password)
            for what, model, method, naming, plain in self.probes():
                with self.subTest(caller=login, probe=what):
                    named = self.refusal(model, method, naming)
                    self.assertEqual(named, self.refusal(model, method, plain))
                    self.assertEqual(named[0], "odoo.exceptions.AccessError")
                    for secret in (
                        "Marie Secret",
                        "Acme Hidden",
                        self.tree.branch.name,
                        self.env.company.name,
                    ):
                        self.assertNotIn(secret, named[1])
        self.assertEqual(self.governance_counts(), before)

    @mute_logger("odoo.http")
    def test_a_contact_write_by_a_user_without_the_right_names_no_portal_customer(self):
        marie_login = self.marie.user_ids.login
        for login, password in self.callers():
            self.authenticate(login, password)
            with self.subTest(caller=login):
                with_portal = self.refusal(
                    "res.partner", "write", [[self.marie.id], {"email": "attacker@evil.example.com"}]
                )
                without = self.refusal(
                    "res.partner", "write", [[self.acme.id], {"email": "attacker@evil.example.com"}]
                )
                self.assertEqual(with_portal[0], "odoo.exceptions.AccessError")
                self.assertNotIn("Marie Secret", with_portal[1])
                self.assertNotIn("portal", with_portal[1].lower())
                self.assertEqual(with_portal[0], without[0])
        self.marie.invalidate_recordset()
        self.assertEqual(self.marie.email, "marie.secret@client.example.com")
        self.assertEqual(self.marie.user_ids.login, marie_login)

    def governance_counts(self):
        self.env.invalidate_all()
        return {
            model: self.env[model].sudo().with_context(active_test=False).search_count([])
            for model in ("ov.sa_customer_assignment", "ov.membership", "ov.serviced_account", "abs.employee")
        }
