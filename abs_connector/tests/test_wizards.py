"""Back-office wizards: they collect input, call the governance methods, and
turn governance refusals into readable errors without changing anything."""

from odoo import Command
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.tests import Form, HttpCase, tagged
from odoo.tools import mute_logger

from .common import AbsSaTreeCase, JsonRpcMixin


@tagged("post_install", "-at_install")
class TestBackOfficeWizards(AbsSaTreeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        group_user = cls.env.ref("base.group_user")
        group_gov_user = cls.env.ref("abs_connector.group_abs_governance_user")
        group_gov_manager = cls.env.ref("abs_connector.group_abs_governance_manager")
        cls.gov_manager_user = cls.env["res.users"].create(
            {
                "name": "Back Office Manager",
                "login": "bo.manager@example.com",
                "groups_id": [Command.set([group_user.id, group_gov_manager.id])],
            }
        )
        cls.gov_user = cls.env["res.users"].create(
            {
                "name": "Back Office Reader",
                "login": "bo.reader@example.com",
                "groups_id": [Command.set([group_user.id, group_gov_user.id])],
            }
        )
        cls.plain_user = cls.env["res.users"].create(
            {
                "name": "Plain Employee",
                "login": "plain.employee@example.com",
                "groups_id": [Command.set([group_user.id])],
            }
        )

    def as_manager(self, model):
        return self.env[model].with_user(self.gov_manager_user)

    # ---- enroll ----

    def test_enroll_wizard_enrolls_person_as_agent_with_employee_identity(self):
        branch = self.tree.branch
        person = self.make_person("Ama Mensah")
        wizard_form = Form(
            self.as_manager("abs.enroll.member.wizard").with_context(
                active_model="ov.serviced_account", active_id=branch.id
            )
        )
        self.assertEqual(wizard_form.serviced_account_id, branch, "opened from the SA, the SA is preselected")
        wizard_form.person_partner_id = person
        wizard_form.role_code = "agent"
        action = wizard_form.save().action_enroll()

        membership = self.env["ov.membership"]._get_live_membership(person, branch)
        self.assertTrue(membership)
        self.assertEqual(membership.role_code, "agent")
        self.assertEqual(membership.employee_id.partner_id, person)
        self.assertEqual((action["res_model"], action["res_id"]), ("ov.membership", membership.id))

    def test_enroll_wizard_passes_visibility_override_and_hierarchy_scope(self):
        person = self.make_person("Kojo")
        wizard = self.as_manager("abs.enroll.member.wizard").create(
            {
                "serviced_account_id": self.tree.branch.id,
                "person_partner_id": person.id,
                "role_code": "agent",
                "scope_policy": "assigned_only",
                "hierarchy_scope": "this_node_and_descendants",
            }
        )
        wizard.action_enroll()
        membership = self.env["ov.membership"]._get_live_membership(person, self.tree.branch)
        self.assertEqual(membership.scope_policy, "assigned_only")
        self.assertEqual(membership.hierarchy_scope, "this_node_and_descendants")

    def test_enroll_wizard_refuses_second_membership_with_readable_error_and_changes_nothing(self):
        Membership = self.env["ov.membership"]
        before = Membership.search_count([])
        wizard = self.as_manager("abs.enroll.member.wizard").create(
            {
                "serviced_account_id": self.tree.branch.id,
                "person_partner_id": self.tree.jean.id,
                "role_code": "staff",
            }
        )
        with self.assertRaisesRegex(UserError, "already a member"):
            wizard.action_enroll()
        self.assertEqual(Membership.search_count([]), before)
        self.assertEqual(self.tree.jean_membership.role_code, "agent")

    def test_governance_user_who_is_not_a_member_cannot_enroll(self):
        wizard = (
            self.env["abs.enroll.member.wizard"]
            .with_user(self.gov_user)
            .create(
                {
                    "serviced_account_id": self.tree.branch.id,
                    "person_partner_id": self.make_person().id,
                    "role_code": "agent",
                }
            )
        )
        count = self.env["ov.membership"].search_count([])
        with self.assertRaises(AccessError):
            wizard.action_enroll()
        self.assertEqual(self.env["ov.membership"].search_count([]), count)

    def test_enroll_wizard_shows_no_email_of_a_person_the_user_may_not_read(self):
        seat_reader = self.make_seat_user(
            self.tree.jean, groups=("base.group_user", "abs_connector.group_abs_governance_user")
        )
        hidden = self.make_customer(
            self.tree.branch, self.tree.kwame, email="hidden.enroll@client.example.com"
        )
        Wizard = self.env["abs.enroll.member.wizard"].with_user(seat_reader)
        with self.assertRaises(MissingError):  # as a person that does not exist
            Wizard.create(
                {
                    "serviced_account_id": self.tree.branch.id,
                    "person_partner_id": hidden.id,
                    "role_code": "agent",
                }
            )
        readable = self.make_person("Visible Person", email="visible.enroll@example.com")
        wizard = Wizard.create(
            {
                "serviced_account_id": self.tree.branch.id,
                "person_partner_id": readable.id,
                "role_code": "agent",
            }
        )
        self.assertEqual(wizard.read(["person_email"])[0]["person_email"], "visible.enroll@example.com")

    # ---- revoke ----

    def test_revoke_wizard_shows_nothing_of_a_membership_of_another_company(self):
        company = self.env["res.company"].create({"name": "Revoke Elsewhere Ltd"})
        seed = self.env["ov.serviced_account"]._get_company_seed(company)
        foreign = self.make_member(self.make_branch("Foreign Desk", parent=seed), "staff")
        Wizard = self.env["abs.revoke.membership.wizard"].with_user(self.gov_user)
        nowhere = self.env["ov.membership"].search([], order="id desc", limit=1).id + 1000
        with self.assertRaises(MissingError) as hidden:
            Wizard.create({"membership_id": foreign.id})
        with self.assertRaises(MissingError) as missing:
            Wizard.create({"membership_id": nowhere})
        self.assertEqual(
            str(hidden.exception).replace(f"({foreign.id},)", f"({nowhere},)"), str(missing.exception)
        )
        self.assertEqual(foreign.membership_state, "active")

    def test_revoke_wizard_shows_how_many_customers_become_unassigned_before_confirming(self):
        tree = self.tree
        jean_customers = self.make_customer(tree.branch, actor=tree.jean) | self.make_customer(
            tree.branch, actor=tree.jean
        )
        kwame_customer = self.make_customer(tree.branch, actor=tree.kwame)
        wizard = (
            self.as_manager("abs.revoke.membership.wizard")
            .with_context(active_model="ov.membership", active_id=tree.jean_membership.id)
            .create({})
        )
        self.assertEqual(wizard.membership_id, tree.jean_membership)
        self.assertEqual(wizard.unassigned_count, 2)
        self.assertEqual(tree.jean_membership.membership_state, "active", "the preview changes nothing")

        action = wizard.action_revoke()

        self.assertEqual(tree.jean_membership.membership_state, "revoked")
        self.assertIn("2 customer(s)", action["params"]["message"])
        for customer in jean_customers:
            assignment = self.active_assignment(customer, tree.branch)
            self.assertTrue(assignment, "the customer stays in the SA")
            self.assertFalse(assignment.actor_id, "the customer is now unassigned")
        self.assertEqual(self.active_assignment(kwame_customer, tree.branch).actor_id, tree.kwame)

    def test_revoke_wizard_refuses_only_manager_with_readable_error(self):
        manager_membership = self.tree.alice_membership
        wizard = self.as_manager("abs.revoke.membership.wizard").create(
            {"membership_id": manager_membership.id}
        )
        with self.assertRaisesRegex(UserError, "only manager"):
            wizard.action_revoke()
        self.assertEqual(manager_membership.membership_state, "active")

    def test_revoke_wizard_refuses_already_revoked_membership(self):
        membership = self.tree.kwame_membership
        membership._abs_revoke()
        wizard = self.as_manager("abs.revoke.membership.wizard").create({"membership_id": membership.id})
        with self.assertRaisesRegex(UserError, "already revoked"):
            wizard.action_revoke()

    # ---- reassign ----

    def test_reassign_wizard_moves_several_customers_and_keeps_history(self):
        tree = self.tree
        customers = self.make_customer(tree.branch, actor=tree.jean) | self.make_customer(
            tree.branch, actor=tree.jean
        )
        old_rows = {c: self.active_assignment(c, tree.branch) for c in customers}
        wizard = self.as_manager("abs.reassign.customers.wizard").create(
            {
                "serviced_account_id": tree.branch.id,
                "partner_ids": [Command.set(customers.ids)],
                "employee_id": tree.kwame_membership.employee_id.id,
            }
        )
        action = wizard.action_reassign()

        self.assertIn("2 customer(s)", action["params"]["message"])
        for customer in customers:
            old = old_rows[customer]
            self.assertEqual(old.state, "expired")
            self.assertTrue(old.date_to)
            self.assertEqual(old.actor_id, tree.jean, "history keeps the previous agent")
            new = self.active_assignment(customer, tree.branch)
            self.assertNotEqual(new, old)
            self.assertEqual(new.actor_id, tree.kwame)
            self.assertEqual(
                new.assigned_by_id,
                self.gov_manager_user.partner_id,
                "the history says which back-office user reassigned",
            )
            self.assertEqual(customer.x_actor_id, tree.kwame)
            self.assertEqual(customer.x_assigned_employee_id, tree.kwame_membership.employee_id)

    def test_reassign_wizard_preselects_customers_and_account_from_assignment_list(self):
        tree = self.tree
        customers = self.make_customer(tree.branch, actor=tree.jean) | self.make_customer(tree.branch)
        assignments = self.env["ov.sa_customer_assignment"].search(
            [("partner_id", "in", customers.ids), ("state", "=", "active")]
        )
        wizard_form = Form(
            self.as_manager("abs.reassign.customers.wizard").with_context(
                active_model="ov.sa_customer_assignment", active_ids=assignments.ids
            )
        )
        self.assertEqual(wizard_form.serviced_account_id, tree.branch)
        self.assertEqual(set(wizard_form.partner_ids.ids), set(customers.ids))

    def test_reassign_wizard_refuses_customer_of_another_account_and_changes_nothing(self):
        tree = self.tree
        ours = self.make_customer(tree.branch, actor=tree.jean)
        theirs = self.make_customer(tree.sub_branch)
        wizard = self.as_manager("abs.reassign.customers.wizard").create(
            {
                "serviced_account_id": tree.branch.id,
                "partner_ids": [Command.set((ours | theirs).ids)],
                "employee_id": tree.kwame_membership.employee_id.id,
            }
        )
        with self.assertRaisesRegex(UserError, "not a customer of"):
            wizard.action_reassign()
        self.assertEqual(self.active_assignment(ours, tree.branch).actor_id, tree.jean)

    def test_reassign_wizard_can_leave_customers_unassigned(self):
        tree = self.tree
        customer = self.make_customer(tree.branch, actor=tree.jean)
        wizard = self.as_manager("abs.reassign.customers.wizard").create(
            {
                "serviced_account_id": tree.branch.id,
                "partner_ids": [Command.set(customer.ids)],
                "unassign": True,
            }
        )
        wizard.action_reassign()
        self.assertFalse(self.active_assignment(customer, tree.branch).actor_id)
        self.assertFalse(customer.x_actor_id)

    def test_reassign_wizard_without_agent_asks_for_one_and_changes_nothing(self):
        tree = self.tree
        customer = self.make_customer(tree.branch, actor=tree.jean)
        wizard = self.as_manager("abs.reassign.customers.wizard").create(
            {
                "serviced_account_id": tree.branch.id,
                "partner_ids": [Command.set(customer.ids)],
            }
        )
        with self.assertRaisesRegex(UserError, "Choose the new agent"):
            wizard.action_reassign()
        self.assertEqual(self.active_assignment(customer, tree.branch).actor_id, tree.jean)

    def test_reassign_wizard_refuses_agent_without_live_membership(self):
        tree = self.tree
        customer = self.make_customer(tree.branch, actor=tree.jean)
        tree.kwame_membership.action_suspend()
        wizard = self.as_manager("abs.reassign.customers.wizard").create(
            {
                "serviced_account_id": tree.branch.id,
                "partner_ids": [Command.set(customer.ids)],
                "employee_id": tree.kwame_membership.employee_id.id,
            }
        )
        with self.assertRaisesRegex(UserError, "cannot be assigned customers"):
            wizard.action_reassign()
        self.assertEqual(self.active_assignment(customer, tree.branch).actor_id, tree.jean)

    # ---- explain access ----

    def explain(self, person, sa, customer):
        wizard = (
            self.env["abs.explain.access.wizard"]
            .with_user(self.gov_user)
            .create(
                {
                    "person_partner_id": person.id,
                    "serviced_account_id": sa.id,
                    "customer_id": customer.id,
                }
            )
        )
        action = wizard.action_explain()
        self.assertEqual(
            (action["res_model"], action["res_id"]),
            (wizard._name, wizard.id),
            "the wizard reopens on its answer",
        )
        return wizard

    def test_explain_wizard_says_agent_sees_own_customer_and_why(self):
        tree = self.tree
        customer = self.make_customer(tree.branch, actor=tree.jean)
        wizard = self.explain(tree.jean, tree.branch, customer)
        self.assertTrue(wizard.explained)
        self.assertTrue(wizard.visible)
        self.assertEqual(wizard.membership_id, tree.jean_membership)
        self.assertEqual(wizard.role_code, "agent")
        self.assertEqual(wizard.policy, "assigned_plus_unassigned")
        self.assertEqual(wizard.assignment_id, self.active_assignment(customer, tree.branch))
        self.assertEqual(wizard.actor_id, tree.jean)
        self.assertIn(tree.jean.name, wizard.reason)

    def test_explain_wizard_says_agent_cannot_see_colleagues_customer(self):
        tree = self.tree
        customer = self.make_customer(tree.branch, actor=tree.kwame)
        wizard = self.explain(tree.jean, tree.branch, customer)
        self.assertTrue(wizard.explained)
        self.assertFalse(wizard.visible)
        self.assertEqual(wizard.actor_id, tree.kwame)
        self.assertIn(tree.kwame.name, wizard.reason)

    def test_explain_wizard_of_a_seat_member_needs_the_right_to_manage_members(self):
        groups = ("base.group_user", "abs_connector.group_abs_governance_user")
        agent_reader = self.make_seat_user(self.tree.jean, groups=groups)
        staff_reader = self.make_seat_user(self.tree.alice, groups=groups)
        kwames = self.make_customer(self.tree.branch, self.tree.kwame)
        with self.assertRaises(MissingError):  # Kwame's customer is hidden from Jean: as if missing
            self.env["abs.explain.access.wizard"].with_user(agent_reader).create(
                {
                    "serviced_account_id": self.tree.branch.id,
                    "person_partner_id": self.tree.kwame.id,
                    "customer_id": kwames.id,
                }
            )
        customer = self.make_customer(self.tree.branch)  # unassigned: every agent of the branch sees it
        values = {
            "serviced_account_id": self.tree.branch.id,
            "person_partner_id": self.tree.kwame.id,
            "customer_id": customer.id,
        }
        with self.assertRaises(AccessError):
            self.env["abs.explain.access.wizard"].with_user(agent_reader).create(values).action_explain()
        wizard = self.env["abs.explain.access.wizard"].with_user(staff_reader).create(values)
        wizard.action_explain()
        self.assertTrue(wizard.visible)

    def test_explain_wizard_answers_only_about_members(self):
        customer = self.make_customer(self.tree.branch)
        stranger = self.make_person("Stranger")
        with self.assertRaisesRegex(UserError, "Person not found"):
            self.explain(stranger, self.tree.branch, customer)

    def test_explain_wizard_prefills_customer_and_account_from_partner(self):
        customer = self.make_customer(self.tree.branch)
        wizard_form = Form(
            self.env["abs.explain.access.wizard"]
            .with_user(self.gov_user)
            .with_context(active_model="res.partner", active_id=customer.id)
        )
        self.assertEqual(wizard_form.customer_id, customer)
        self.assertEqual(wizard_form.serviced_account_id, self.tree.branch)

    # ---- forms ----

    def test_service_account_form_creates_branch_with_initial_manager(self):
        manager = self.make_person("Efua")
        sa_form = Form(self.env["ov.serviced_account"].with_user(self.gov_manager_user))
        sa_form.name = "Accra Desk"
        sa_form.partner_id = self.env["res.partner"].create({"name": "Accra Desk Ltd", "is_company": True})
        sa_form.parent_id = self.tree.branch
        sa_form.initial_manager_partner_id = manager
        sa = sa_form.save()
        self.assertEqual(sa.sa_manager_id.person_partner_id, manager)
        self.assertEqual(sa.sa_manager_id.role_code, "staff")
        self.assertEqual(sa.member_count, 1)

    def test_partner_form_shows_governance_tab_to_governance_users_only(self):
        def form_arch(user):
            return self.env["res.partner"].with_user(user).get_view(view_type="form")["arch"]

        self.assertIn('name="abs_governance"', form_arch(self.gov_user))
        self.assertNotIn('name="abs_governance"', form_arch(self.plain_user))


@tagged("post_install", "-at_install", "abs_security")
class TestWizardReferencesOverRpc(JsonRpcMixin, HttpCase, AbsSaTreeCase):
    """Over RPC the caller writes any id into a wizard, and Odoo names a many2one as superuser:
    Governance Users and Managers of one company get no name of another company's membership,
    account or customer from the governance wizards, created or in a form; each answers as one
    that does not exist."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reader = cls.make_user(
            "wizard.refs@example.com", "base.group_user", "abs_connector.group_abs_governance_user"
        )
        cls.manager = cls.make_user(
            "wizard.refs.manager@example.com", "base.group_user", "abs_connector.group_abs_governance_manager"
        )
        company = cls.env["res.company"].create({"name": "Wizard Elsewhere Ltd"})
        seed = cls.env["ov.serviced_account"]._get_company_seed(company)
        cls.foreign_branch = cls.make_branch("Foreign Wizard Desk", parent=seed)
        cls.foreign_member = cls.make_member(cls.foreign_branch, "staff")
        cls.foreign_customer = cls.make_customer(cls.foreign_branch, name="Foreign Wizard Customer")

    def answers_as_missing(self, call, hidden):
        nowhere = self.env[hidden._name].search([], order="id desc", limit=1).id + 1000
        answer, missing = call(hidden.id), call(nowhere)
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.MissingError")
        message = answer["error"]["data"]["message"].replace(f"({hidden.id},)", f"({nowhere},)")
        self.assertEqual(message, missing["error"]["data"]["message"])
        self.assertNotIn(hidden.with_context(active_test=False).display_name, str(answer))

    def create_wizard(self, model, values):
        return self.call_kw(model, "create", [[values]])

    def revoke(self, membership_id):
        return self.create_wizard("abs.revoke.membership.wizard", {"membership_id": membership_id})

    def revoke_form(self, membership_id):
        form = {"membership_id": {"fields": {"display_name": {}}}}
        values = {"membership_id": membership_id}
        return self.call_kw("abs.revoke.membership.wizard", "onchange", [[], values, ["membership_id"], form])

    def archive(self, account_id):
        return self.create_wizard("abs.archive.service.account.wizard", {"serviced_account_id": account_id})

    def reassign(self, customer_id):
        values = {"serviced_account_id": self.tree.branch.id, "partner_ids": [Command.set([customer_id])]}
        return self.create_wizard("abs.reassign.customers.wizard", values)

    @mute_logger("odoo.http")
    def test_a_wizard_names_no_membership_account_or_customer_of_another_company(self):
        doors = [
            (self.reader, self.revoke, self.foreign_member),
            (self.reader, self.revoke_form, self.foreign_member),
            (self.manager, self.archive, self.foreign_branch),
            (self.manager, self.reassign, self.foreign_customer),
        ]
        for user, door, hidden in doors:
            with self.subTest(user=user.login, door=door.__name__):
                self.authenticate(user.login, user.login)
                self.answers_as_missing(door, hidden)
        # the wizards of their own company's records
        self.assertNotIn("error", self.archive(self.tree.sub_branch.id))
        self.authenticate(self.reader.login, self.reader.login)
        self.assertNotIn("error", self.revoke(self.tree.jean_membership.id))
