import json
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import Form, HttpCase, tagged

from .common import AbsGovernanceCase, JsonRpcMixin


@tagged("post_install", "-at_install")
class TestEveryDoorPublishes(AbsGovernanceCase):
    """Changes made on Odoo's own forms go through the lifecycle and publish the same events."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tree = cls.make_sa_tree()
        groups = cls.env.ref("base.group_user") | cls.env.ref("abs_connector.group_abs_governance_manager")
        cls.manager_user = (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create({"name": "Gov", "login": "gov.door@example.com", "groups_id": [Command.set(groups.ids)]})
        )

    def as_manager(self, record):
        return record.with_user(self.manager_user)

    def test_membership_form_edit_publishes_membership_updated_with_the_changed_fields(self):
        with Form(self.as_manager(self.tree.jean_membership)) as form:
            form.scope_policy = "assigned_only"
            form.hierarchy_scope = "this_node_and_descendants"
        event = self.events("membership.updated", self.tree.jean_membership)
        self.assertEqual(len(event), 1)
        data = self.event_data(event)
        self.assertEqual(sorted(data["changed"]), ["hierarchy_scope", "scope_policy"])
        self.assertEqual(data["effective_policy"], "assigned_only")
        self.assertEqual(json_actor(event), self.manager_user.partner_id.id)

    def test_saving_a_form_without_change_publishes_nothing(self):
        self.as_manager(self.tree.jean_membership).write({"role_code": "agent"})
        self.assertFalse(self.events("membership.updated", self.tree.jean_membership))

    def test_reinstate_button_publishes_membership_reinstated(self):
        membership = self.as_manager(self.tree.jean_membership)
        membership.action_suspend()
        membership.action_reinstate()
        event = self.events("membership.reinstated", self.tree.jean_membership)
        self.assertEqual(self.event_data(event)["membership_state"], "active")

    def test_an_end_date_in_the_past_set_on_the_form_releases_the_customers_at_once(self):
        customer = self.make_customer(self.tree.branch, self.tree.jean)
        self.as_manager(self.tree.jean_membership).write(
            {"effective_to": fields.Datetime.now() - timedelta(minutes=5)}
        )
        self.assertFalse(self.active_assignment(customer, self.tree.branch).actor_id)
        self.assertTrue(self.events("customer.unassigned", customer))

    def test_service_account_created_on_its_form_publishes_service_account_created(self):
        form = Form(self.env["ov.serviced_account"].with_user(self.manager_user))
        form.name = "Accra Desk"
        form.partner_id = self.env["res.partner"].create({"name": "Accra Desk Ltd", "is_company": True})
        form.parent_id = self.tree.branch
        form.initial_manager_partner_id = self.make_person("Efua")
        sa = form.save()
        created = self.events("service_account.created", sa)
        self.assertEqual(len(created), 1)
        self.assertEqual(self.event_data(created)["sa_manager_membership_id"], sa.sa_manager_id.id)
        self.assertFalse(self.events("service_account.updated", sa), "setting the first manager is creation")

    def test_rename_and_manager_change_publish_service_account_updated(self):
        staff = self.make_member(self.tree.branch, "staff")
        sa = self.as_manager(self.tree.branch)
        sa.write({"name": "Togo North", "sa_manager_id": staff.id})
        event = self.events("service_account.updated", self.tree.branch)
        self.assertEqual(sorted(self.event_data(event)["changed"]), ["name", "sa_manager_id"])

    def test_an_account_cannot_be_moved_under_an_archived_parent(self):
        closed = self.make_branch("Closed Desk")
        closed.action_set_inactive()
        with self.assertRaisesRegex(ValidationError, "Closed Desk is archived"):
            self.as_manager(self.tree.sub_branch).write({"parent_id": closed.id})
        self.assertEqual(self.tree.sub_branch.parent_id, self.tree.branch)


def json_actor(event):
    return json.loads(event.payload)["actor"]["partner_id"]


@tagged("post_install", "-at_install")
class TestEveryDoorPublishesOverRpc(JsonRpcMixin, HttpCase, AbsGovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tree = cls.make_sa_tree()
        cls.manager_user = cls.make_user("gov.rpc.door", "abs_connector.group_abs_governance_manager")

    def test_a_callers_context_cannot_silence_service_account_updated(self):
        self.authenticate(self.manager_user.login, self.manager_user.login)
        answer = self.call_kw(
            "ov.serviced_account",
            "write",
            [self.tree.branch.ids, {"name": "Togo Quiet"}],
            {"context": {"abs_creating_accounts": True}},
        )
        self.assertNotIn("error", answer, answer)
        event = self.events("service_account.updated", self.tree.branch)
        self.assertEqual(len(event), 1)
        self.assertEqual(self.event_data(event)["changed"], ["name"])
