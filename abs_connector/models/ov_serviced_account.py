from odoo import _, api, fields, models
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError

from .. import lapse_marker
from ..elevation import elevate
from ..field_changes import changed_fields
from ..governance import explainer, visibility

# Changes of these fields publish service_account.updated (archiving has its own event).
_UPDATE_EVENT_FIELDS = ("name", "parent_id", "sa_manager_id", "account_class", "partner_id", "notes", "state")
# What create() puts in the context while it sets the new accounts' managers (a write that is part
# of the creation, not a change to publish): an object JSON-RPC and XML-RPC cannot send, so a
# caller's own context cannot silence service_account.updated.
_CREATING_ACCOUNTS = object()

_PORTAL_OVERRIDE = [
    ("company", "Company Default"),
    ("on", "On"),
    ("off", "Off"),
]


class OvServicedAccount(models.Model):
    """A governed organisation context (docs/adr/0003-governance-models.md): the tree of Service Accounts.

    Exactly one global root; exactly one seed per company under it; branches
    under any SA. Customers, members and stamps all point here.
    """

    _name = "ov.serviced_account"
    _description = "Service Account"
    _inherit = ["mail.thread"]
    _parent_store = True
    _parent_name = "parent_id"
    _order = "parent_path, id"

    name = fields.Char(required=True, tracking=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Organisation",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        help="The canonical organisation partner this account governs.",
    )
    account_class = fields.Selection(
        [("OVAC", "Affiliated (OVAC)"), ("EXTC", "External client (EXTC)")],
        required=True,
        default="EXTC",
        tracking=True,
    )
    parent_id = fields.Many2one(
        "ov.serviced_account",
        string="Parent Account",
        index=True,
        ondelete="restrict",
        tracking=True,
    )
    child_ids = fields.One2many("ov.serviced_account", "parent_id", string="Sub-accounts")
    parent_path = fields.Char(index=True)
    is_global_root = fields.Boolean(string="Global Root", readonly=True, default=False)
    is_seed = fields.Boolean(string="Company Seed", readonly=True, default=False)
    source_company_id = fields.Many2one(
        "res.company",
        string="Seeded From Company",
        readonly=True,
        index=True,
        ondelete="restrict",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    sa_manager_id = fields.Many2one(
        "ov.membership",
        string="Manager",
        tracking=True,
        ondelete="restrict",
        domain="[('serviced_account_id', '=', id), ('membership_state', '=', 'active'), "
        "('role_code', 'in', ('staff', 'admin'))]",
    )
    state = fields.Selection(
        [("active", "Active"), ("inactive", "Inactive")],
        required=True,
        default="active",
        tracking=True,
    )
    notes = fields.Text()
    membership_ids = fields.One2many("ov.membership", "serviced_account_id", string="Members")
    assignment_ids = fields.One2many("ov.sa_customer_assignment", "account_id", string="Customer Assignments")
    member_count = fields.Integer(compute="_compute_counts")
    customer_count = fields.Integer(compute="_compute_counts")
    child_count = fields.Integer(compute="_compute_counts")
    initial_manager_partner_id = fields.Many2one(
        "res.partner",
        string="Initial Manager",
        compute="_compute_initial_manager_partner_id",
        inverse="_inverse_initial_manager_partner_id",
        domain=[("is_company", "=", False)],
        help="The person enrolled as staff and made manager when the account is created.",
    )
    # Per Service Account override of the company's portal onboarding settings.
    abs_portal_on_create = fields.Selection(
        _PORTAL_OVERRIDE,
        string="Portal Invitation on Creation",
        default="company",
        required=True,
        help="Whether customers created in this account get a portal user and an invitation. "
        "'Company Default' follows the setting of the account's company.",
    )
    abs_portal_on_first_order = fields.Selection(
        _PORTAL_OVERRIDE,
        string="Portal Invitation on First Order",
        default="company",
        required=True,
        help="Whether confirming the first sale order of a customer of this account without "
        "portal access invites them. 'Company Default' follows the account's company.",
    )

    # Field sales: whether this account's agents confirm their own quotations.
    abs_agents_confirm_orders = fields.Boolean(
        string="Agents Confirm Orders",
        tracking=True,
        help="Agents of this account may confirm sale orders through the API. Without it, only "
        "staff and admins confirm; agents create and edit quotations.",
    )

    def init(self):
        cr = self.env.cr
        # "Exactly one global root" and "one seed per company", in the database.
        cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS ov_serviced_account_one_global_root "
            "ON ov_serviced_account ((is_global_root)) WHERE is_global_root"
        )
        cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS ov_serviced_account_one_seed_per_company "
            "ON ov_serviced_account (source_company_id) WHERE is_seed"
        )
        # an account moved in the tree changes what subtree memberships cover
        lapse_marker.install_triggers(cr, self._table)

    # ---- computes ----

    def _abs_company(self):
        """The company this account's customers, orders and invoices belong to."""
        self.ensure_one()
        return self.env["res.company"].browse(self._abs_tree_reader().browse(self.id).company_id.id)

    def _abs_capability_settings(self):
        """The settings of this account that extend its roles (see the pure core's table)."""
        self.ensure_one()
        return frozenset({"agents_confirm_orders"} if self.abs_agents_confirm_orders else ())

    def _compute_counts(self):
        members = dict(
            self.env["ov.membership"]._read_group(
                [("serviced_account_id", "in", self.ids), ("membership_state", "!=", "revoked")],
                ["serviced_account_id"],
                ["__count"],
            )
        )
        customers = dict(
            self.env["ov.sa_customer_assignment"]._read_group(
                [("account_id", "in", self.ids), ("state", "=", "active")], ["account_id"], ["__count"]
            )
        )
        children = dict(self._read_group([("parent_id", "in", self.ids)], ["parent_id"], ["__count"]))
        for sa in self:
            sa.member_count = members.get(sa, 0)
            sa.customer_count = customers.get(sa, 0)
            sa.child_count = children.get(sa, 0)

    @api.depends("sa_manager_id.person_partner_id")
    def _compute_initial_manager_partner_id(self):
        for sa in self:
            sa.initial_manager_partner_id = sa.sa_manager_id.person_partner_id

    def _inverse_initial_manager_partner_id(self):
        """Enroll the chosen person as staff (or reuse their live membership) and make them manager."""
        Membership = self.env["ov.membership"]
        for sa in self:
            person = sa.initial_manager_partner_id
            if not person or sa.sa_manager_id.person_partner_id == person:
                continue
            membership = Membership._get_live_membership(person, sa)
            if not membership:
                membership = Membership._abs_enroll(sa, person, "staff")
            sa.sa_manager_id = membership

    # ---- constraints ----

    @api.constrains("is_global_root", "parent_id", "is_seed")
    def _check_global_root(self):
        for sa in self.filtered("is_global_root"):
            if sa.parent_id:
                raise ValidationError(_("The global root Service Account cannot have a parent."))
            if sa.is_seed:
                raise ValidationError(_("The global root cannot also be a company seed."))
            if self.search_count([("is_global_root", "=", True), ("id", "!=", sa.id)]):
                raise ValidationError(
                    _("There is already a global root Service Account; " "there can be only one.")
                )

    @api.constrains("is_seed", "source_company_id", "company_id", "parent_id")
    def _check_seed(self):
        for sa in self.filtered("is_seed"):
            if not sa.source_company_id:
                raise ValidationError(
                    _("A company seed Service Account must name the company " "it was seeded from.")
                )
            if sa.company_id != sa.source_company_id:
                raise ValidationError(
                    _(
                        "The seed Service Account of %(company)s must belong to that company.",
                        company=sa.source_company_id.name,
                    )
                )
            if sa.parent_id and not sa.parent_id.is_global_root:
                raise ValidationError(_("A company seed Service Account can only sit under the global root."))
            if self.search_count(
                [
                    ("is_seed", "=", True),
                    ("source_company_id", "=", sa.source_company_id.id),
                    ("id", "!=", sa.id),
                ]
            ):
                raise ValidationError(
                    _(
                        "%(company)s already has its seed Service Account; a company has exactly one.",
                        company=sa.source_company_id.name,
                    )
                )

    @api.constrains("parent_id", "is_global_root", "is_seed")
    def _check_branch_has_parent(self):
        for sa in self:
            if not (sa.is_global_root or sa.is_seed or sa.parent_id):
                raise ValidationError(_("The Service Account %(name)s needs a parent account.", name=sa.name))

    @api.constrains("parent_id", "company_id")
    def _check_company_containment(self):
        # A child and its parent belong to the same company, except a seed
        # directly under the global root (cross-company on purpose, docs/customer-lifecycle.md).
        for sa in self:
            pairs = [(sa, sa.parent_id)] if sa.parent_id else []
            pairs += [(child, sa) for child in sa.child_ids]
            for child, parent in pairs:
                if child.is_seed and parent.is_global_root:
                    continue
                if child.company_id != parent.company_id:
                    raise ValidationError(
                        _(
                            "%(child)s belongs to %(child_company)s but its parent %(parent)s belongs to "
                            "%(parent_company)s; a sub-account must belong to its parent's company.",
                            child=child.name,
                            child_company=child.company_id.name,
                            parent=parent.name,
                            parent_company=parent.company_id.name,
                        )
                    )

    @api.constrains("parent_id", "state")
    def _check_parent_active(self):
        for sa in self:
            if sa.state == "active" and sa.parent_id.state == "inactive":
                raise ValidationError(
                    _(
                        "%(parent)s is archived: %(name)s cannot be an active account under it.",
                        parent=sa.parent_id.name,
                        name=sa.name,
                    )
                )

    @api.constrains("parent_id")
    def _check_no_cycle(self):
        if self._has_cycle():
            raise ValidationError(_("A Service Account cannot be its own ancestor."))

    @api.constrains("sa_manager_id")
    def _check_sa_manager(self):
        for sa in self:
            manager = sa.sa_manager_id
            if not manager:
                if not (sa.is_global_root or sa.is_seed):
                    raise ValidationError(_("The Service Account %(name)s needs a manager.", name=sa.name))
                continue
            if manager.serviced_account_id != sa:
                raise ValidationError(
                    _("The manager of %(name)s must be one of its own members.", name=sa.name)
                )
            if manager.role_code not in visibility.MANAGER_ROLES or manager.membership_state == "revoked":
                raise ValidationError(
                    _("The manager of %(name)s must be an active staff or admin member.", name=sa.name)
                )

    # ---- ORM overrides ----

    @api.model_create_multi
    def create(self, vals_list):
        # Odoo's rights first: the checks below read as superuser and name what they find
        self.browse().check_access("create")
        self._abs_precheck_unique_flags(vals_list)
        for vals in vals_list:
            # A form sends sa_manager_id=False for a new account; its manager comes
            # from initial_manager_partner_id (inverse, after the insert).
            if "sa_manager_id" in vals and not vals["sa_manager_id"]:
                del vals["sa_manager_id"]
        # Setting the initial manager (an inverse, after the insert) is part of the
        # creation, not a change to publish.
        creating = self.with_context(abs_creating_accounts=_CREATING_ACCOUNTS)
        accounts = super(OvServicedAccount, creating).create(vals_list)
        accounts = accounts.with_env(self.env)
        # The initial manager is enrolled by the inverse above, after the insert:
        # only now can we tell whether a new branch got one.
        for sa in accounts:
            if not (sa.is_global_root or sa.is_seed or sa.sa_manager_id):
                raise ValidationError(
                    _(
                        "The Service Account %(name)s needs a manager when it is created: "
                        "choose its initial manager.",
                        name=sa.name,
                    )
                )
        # Every door (form, RPC, API) publishes the same event for a new branch.
        for sa in accounts.filtered(lambda account: not (account.is_global_root or account.is_seed)):
            sa._abs_emit("service_account.created", sa._abs_event_data())
        return accounts

    def _abs_event_data(self):
        return {
            "name": self.name,
            "parent_id": self.parent_id.id or None,
            "account_class": self.account_class,
            "partner_id": self.partner_id.id or None,
            "sa_manager_membership_id": self.sa_manager_id.id or None,
        }

    def _abs_emit(self, event_type, data):
        actor = self.env["ov.membership"]._abs_context_actor()
        self.env["abs.event.outbox"]._emit(event_type, self, self, actor, data)

    def write(self, vals):
        self.check_access("write")  # before the checks below read the tree as superuser
        archiving = self._abs_precheck_write(vals)
        changed = self._abs_changed_fields(vals)
        result = super().write(vals)
        # members see an account's customers through its state, place in the tree and settings
        self.env["res.users"]._abs_forget_seat_answers()
        for sa in archiving or ():
            sa._abs_emit("service_account.archived", {"name": sa.name, "parent_id": sa.parent_id.id or None})
        for sa, fnames in changed.items():
            sa._abs_emit(
                "service_account.updated", {**sa._abs_event_data(), "state": sa.state, "changed": fnames}
            )
        return result

    def _abs_precheck_write(self, vals):
        """Refuse a write that breaks the tree; returns the accounts it archives (or None)."""
        if "parent_id" in vals:
            self._abs_precheck_no_cycle(vals["parent_id"])
            self.browse(vals["parent_id"] or [])._abs_precheck_can_hold_active_children(self)
        archiving = (
            self.filtered(lambda sa: sa.state == "active") if vals.get("state") == "inactive" else None
        )
        if archiving:
            archiving._abs_check_can_archive()
        if vals.get("state") == "active":
            self._abs_check_can_reactivate()
        if self._abs_changes_identity_flags(vals):
            raise UserError(
                _(
                    "Whether an account is the global root or a company seed, and which company "
                    "seeded it, is fixed when it is created."
                )
            )
        return archiving

    def _abs_changed_fields(self, vals):
        """{account: [field names]} that ``vals`` really changes, for service_account.updated."""
        if self.env.context.get("abs_creating_accounts") is _CREATING_ACCOUNTS:
            return {}
        # The root and the company seeds are the tree's scaffolding, built and moved by
        # the install hook and the upgrade: like their creation, that publishes nothing.
        accounts = self.filtered(lambda sa: not (sa.is_global_root or sa.is_seed))
        candidates = [fname for fname in _UPDATE_EVENT_FIELDS if fname in vals]
        if vals.get("state") == "inactive":
            candidates.remove("state")  # archiving publishes service_account.archived
        return changed_fields(accounts, vals, candidates)

    def _abs_check_can_archive(self):
        """Archiving cuts every member of the account off: the root, a company seed or an
        account whose active sub-accounts would stay reachable cannot be archived alone."""
        if any(sa.is_global_root or sa.is_seed for sa in self):
            raise UserError(_("The global root and the company seed Service Accounts cannot be archived."))
        descendants = self._abs_active_descendants()
        left_behind = descendants - self
        if left_behind:
            raise UserError(
                _(
                    "%(names)s still has active sub-accounts (%(children)s). Archive them first, or "
                    "use Archive, which archives the account with its sub-accounts after you confirm.",
                    names=", ".join(self.mapped("name")),
                    children=", ".join(left_behind.mapped("name")),
                )
            )

    def _abs_precheck_can_hold_active_children(self, children):
        # Said before writing: the constraint alone would leave the change in the cache.
        if self and self.state == "inactive" and any(child.state == "active" for child in children):
            raise ValidationError(
                _(
                    "%(parent)s is archived: %(name)s cannot be an active account under it.",
                    parent=self.name,
                    name=", ".join(children.mapped("name")),
                )
            )

    def _abs_check_can_reactivate(self):
        for sa in self.filtered(lambda account: account.state == "inactive"):
            if sa.parent_id.state == "inactive" and sa.parent_id not in self:
                raise UserError(
                    _(
                        "%(name)s is under the archived account %(parent)s; reactivate %(parent)s first.",
                        name=sa.name,
                        parent=sa.parent_id.name,
                    )
                )

    def _abs_active_descendants(self):
        """The active accounts below these (not these themselves), by ``parent_path``."""
        tree = self._abs_tree_reader()
        if not self:
            return tree.browse()
        domain = ["|"] * (len(self) - 1)
        for sa in self:
            domain.append(("parent_path", "=like", f"{sa.parent_path}%"))
        return tree.search([*domain, ("state", "=", "active"), ("id", "not in", self.ids)])

    @api.model
    def _abs_precheck_unique_flags(self, vals_list):
        # Said in words before the partial unique indexes refuse it in SQL.
        self._abs_precheck_one_root(vals_list)
        self._abs_precheck_one_seed_per_company(vals_list)

    @api.model
    def _abs_precheck_one_root(self, vals_list):
        roots = [vals for vals in vals_list if vals.get("is_global_root")]
        existing_root = self._abs_tree_reader().search_count([("is_global_root", "=", True)])
        if len(roots) > 1 or (roots and existing_root):
            raise ValidationError(
                _("There is already a global root Service Account; " "there can be only one.")
            )

    @api.model
    def _abs_precheck_one_seed_per_company(self, vals_list):
        seeded = [vals.get("source_company_id") for vals in vals_list if vals.get("is_seed")]
        taken = self._abs_tree_reader().search([("is_seed", "=", True), ("source_company_id", "in", seeded)])
        if taken or len(set(seeded)) < len(seeded):
            raise ValidationError(
                _(
                    "%(company)s already has its seed Service Account; " "a company has exactly one.",
                    company=taken[:1].source_company_id.name or "",
                )
            )

    def _abs_precheck_no_cycle(self, parent_id):
        # parent_store would refuse with a bare "Recursion Detected": say why instead.
        if not parent_id:
            return
        parent = self._abs_tree_reader().browse(parent_id)
        ancestors = {int(i) for i in (parent.parent_path or "").split("/") if i} | {parent.id}
        if set(self.ids) & ancestors:
            raise ValidationError(_("A Service Account cannot be its own ancestor."))

    def _abs_changes_identity_flags(self, vals):
        for sa in self:
            if "is_global_root" in vals and bool(vals["is_global_root"]) != sa.is_global_root:
                return True
            if "is_seed" in vals and bool(vals["is_seed"]) != sa.is_seed:
                return True
            new_company = vals.get("source_company_id") or False
            if "source_company_id" in vals and new_company != (sa.source_company_id.id or False):
                return True
        return False

    @api.ondelete(at_uninstall=False)
    def _unlink_except_root_or_seed(self):
        if any(sa.is_global_root or sa.is_seed for sa in self):
            raise UserError(_("The global root and the company seed Service Accounts cannot be deleted."))

    # ---- lookups ----

    def _abs_tree_reader(self):
        # The tree's invariants (one root, one seed per company, no cycle) hold
        # across companies.
        return elevate(self, "the tree holds whatever part of it the current user may read")

    @api.model
    def _get_global_root(self):
        """The global root SA (created by the bootstrap; empty if not yet)."""
        root = self._abs_tree_reader().search([("is_global_root", "=", True)], limit=1)
        return self.browse(root.ids)

    @api.model
    def _get_company_seed(self, company):
        """The seed SA of ``company`` (empty if not yet bootstrapped)."""
        seed = self._abs_tree_reader().search(
            [("is_seed", "=", True), ("source_company_id", "=", company.id)], limit=1
        )
        return self.browse(seed.ids)

    # ---- lifecycle ----

    @api.model
    def _abs_create_branch(self, vals, initial_admin_partner, actor_partner=None):
        """Create a branch SA with its manager (docs/customer-lifecycle.md, Stage 0c).

        :param vals: name, parent_id (required), partner_id (optional: an
            organisation partner named like the SA is created), account_class
            (default EXTC), notes.
        :param initial_admin_partner: the person enrolled as staff and set as ``sa_manager_id``.
        :param actor_partner: the person creating it, who must be able to manage
            the parent account; None for a system call (API key).
        :raise ValidationError: missing parent/manager, inactive parent, wrong company...
        :raise AccessError: the actor may not create accounts under that parent.
        """
        vals = dict(vals)
        parent = self.browse(vals.get("parent_id") or []).exists()
        if not parent:
            raise ValidationError(_("A new Service Account needs an existing parent account."))
        if parent.state != "active":
            raise ValidationError(
                _("%(name)s is inactive: no sub-account can be created under it.", name=parent.name)
            )
        if not initial_admin_partner:
            raise ValidationError(_("A new Service Account needs an initial manager."))
        if actor_partner:
            ctx = self.env["ov.membership"]._abs_access_context(actor_partner, parent)
            if not ctx or not ctx.can("manage_account"):
                raise AccessError(_("You may not create sub-accounts under %(name)s.", name=parent.name))
        if not vals.get("partner_id"):
            vals["partner_id"] = self._abs_create_organisation_partner(vals.get("name"), parent).id
        vals.setdefault("account_class", "EXTC")
        vals.setdefault("company_id", parent.company_id.id)
        vals["initial_manager_partner_id"] = initial_admin_partner.id
        # create() publishes service_account.created, with this actor
        sa = self.with_context(abs_actor_partner=actor_partner or self.env["res.partner"]).create(vals)
        return self.browse(sa.ids)

    def _abs_create_organisation_partner(self, name, parent):
        if not name:
            raise ValidationError(_("A new Service Account needs a name."))
        return self.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "company_id": parent.company_id.id,
            }
        )

    def action_set_inactive(self):
        """Archive: at once for a leaf account, after a confirmation listing the
        sub-accounts that go with it otherwise."""
        self.ensure_one()
        self.env["ov.membership"]._abs_check_system_caller()
        if self._abs_active_descendants():
            return {
                "type": "ir.actions.act_window",
                "name": _("Archive %(name)s and its sub-accounts", name=self.name),
                "res_model": "abs.archive.service.account.wizard",
                "view_mode": "form",
                "target": "new",
                "context": {"default_serviced_account_id": self.id},
            }
        self.write({"state": "inactive"})
        return True

    def action_set_active(self):
        """Reactivate button."""
        self.env["ov.membership"]._abs_check_system_caller()
        self.write({"state": "active"})

    # ---- access explainer ----

    @api.model
    def _abs_explain_access(self, person_partner, sa, customer):
        """Answer whether ``person_partner`` sees ``customer`` in ``sa``, and why.

        The facts come from the visibility module; the sentence from
        ``governance/explainer.py``.

        :returns: dict with ``visible`` (bool), ``reason`` (a sentence),
            ``membership_id``, ``role_code``, ``policy``, ``hierarchy_scope``,
            ``assignment_id``, ``actor_id`` (ids or False).
        """
        Membership = self.env["ov.membership"]
        user = self.env.user
        if not user.has_group("abs_connector.group_abs_governance_user"):
            Membership._abs_check_system_caller()
        elif not self.env.su and user._abs_seat_contexts() is not None:
            # a member explains on the governance screens what the API lets them explain: in an
            # account where they manage members
            Membership._abs_check_actor(user.partner_id, sa, "manage_members")
        if not Membership._abs_is_or_was_member(person_partner, sa):
            # Only members are explained; anyone else is unknown here, like a missing id.
            raise MissingError(_("Person not found."))
        answer = dict.fromkeys(
            ("membership_id", "role_code", "policy", "hierarchy_scope", "assignment_id", "actor_id"), False
        )
        answer.update(visible=False, reason="")
        ctx = Membership._abs_access_context(person_partner, sa)
        if ctx is None:
            answer["reason"] = Membership._abs_explain_no_membership(person_partner, sa)
            return answer
        answer.update(
            membership_id=ctx.membership_id,
            role_code=ctx.role_code,
            policy=ctx.policy,
            hierarchy_scope=ctx.hierarchy_scope,
        )
        answer.update(self._abs_explain_with_membership(ctx, person_partner, sa, customer))
        return answer

    @api.model
    def _abs_explain_with_membership(self, ctx, person, sa, customer):
        """The explainer's ``visible``, ``reason``, ``assignment_id``, ``actor_id`` for a member."""
        member = self._abs_explained_member(ctx, person, sa)
        if not ctx.can("read_customers"):
            return {"reason": explainer.role_reads_no_customers(member, self.env._)}
        Assignment = self.env["ov.sa_customer_assignment"]._abs_history_admin()
        in_scope = Assignment.search(
            [("partner_id", "=", customer.id), *visibility.scope_assignment_domain(ctx)],
            order="id desc",
        ).sorted(lambda row: row.account_id != sa)[:1]
        if not in_scope:
            scope = ctx.covers_descendants
            return {"reason": explainer.no_assignment_in_scope(member, customer.name, scope, self.env._)}
        seen = Assignment.search_count([("id", "=", in_scope.id), *visibility.assignment_domain(ctx)])
        visible = bool(seen)
        found = explainer.Assignment(
            assignment_id=in_scope.id,
            account=in_scope.account_id.name,
            actor=in_scope.actor_id.name or None,
            actor_is_the_person=in_scope.actor_id == person,
            visible=visible,
            archived=not in_scope.partner_id.active,
            in_sub_account=in_scope.account_id != sa,
        )
        return {
            "assignment_id": in_scope.id,
            "actor_id": in_scope.actor_id.id,
            "visible": visible and in_scope.partner_id.active,
            "reason": explainer.assignment_verdict(member, customer.name, found, self.env._),
        }

    @api.model
    def _abs_explained_member(self, ctx, person, sa):
        membership = self.env["ov.membership"].browse(ctx.membership_id)
        ancestor = membership.serviced_account_id.name if ctx.membership_sa_id != sa.id else None
        return explainer.Membership(
            person=person.name, sa=sa.name, role=ctx.role_code, policy=ctx.policy, ancestor=ancestor
        )

    # ---- portal onboarding ----

    def _abs_portal_trigger_enabled(self, trigger):
        """Whether portal onboarding ``trigger`` ('on_create' or 'on_first_order') is on here.

        The account's own choice wins; 'company' defers to its company (or the
        current company for an account without one).
        """
        self.ensure_one()
        fname = f"abs_portal_{trigger}"
        choice = self[fname]
        if choice == "company":
            return bool((self.company_id or self.env.company)[fname])
        return choice == "on"
