from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from .. import compiled_sql, lapse_marker
from ..cached_rows import cached_record
from ..elevation import elevate
from ..exceptions import GovernanceConflict
from ..field_changes import changed_fields
from ..governance import authority, explainer, visibility

ROLE_SELECTION = list(visibility.ROLE_LABELS.items())
# What each role may do, in words (the capabilities are in governance/visibility.py).
ROLE_HELP = (
    "Staff: runs the account: enrolls and revokes members, assigns customers, sees every customer. "
    "Admin: everything staff does, plus the account itself and its sub-accounts. "
    "Agent: creates and works the customers assigned to them, and sees unassigned ones. "
    "Finance: reads customers, orders and invoices. "
    "Viewer: read-only."
)
POLICY_SELECTION = list(visibility.POLICY_LABELS.items())
HIERARCHY_SELECTION = list(visibility.HIERARCHY_SCOPE_LABELS.items())
LIVE_STATES = ("active", "suspended")  # not revoked: the membership still counts
# What an access context is built from: read with the query that finds the membership.
_ACCESS_CONTEXT_FIELDS = (
    "person_partner_id",
    "serviced_account_id",
    "role_code",
    "scope_policy",
    "hierarchy_scope",
)
# The same, headed by the id, as the request's first query selects them.
_GATE_MEMBERSHIP_FIELDS = ("id", *_ACCESS_CONTEXT_FIELDS)
# What a seat member's access contexts are built from (res.users._abs_seat_contexts), read in
# one query: the membership with its state and dates, its account.
_SEAT_MEMBERSHIP_FIELDS = (*_GATE_MEMBERSHIP_FIELDS, "membership_state", "effective_from", "effective_to")
_SEAT_ACCOUNT_FIELDS = ("id", "state", "parent_path", "abs_agents_confirm_orders")
# The SQL function an earlier build of this version asked whether a membership had lapsed with;
# the request gate asks it in its own statement now, and init() drops the function.
_OLD_LAPSED_FUNCTION = "abs_membership_lapsed"


def _utc_iso(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# Edits of these fields (back-office form, RPC) publish membership.updated.
_UPDATE_EVENT_FIELDS = (
    "role_code",
    "scope_policy",
    "hierarchy_scope",
    "effective_from",
    "effective_to",
    "manager_member_id",
)


class OvMembership(models.Model):
    """A person's authority in one Service Account (docs/reference/terminology.md).

    Role, visibility and state live here, never on the person: the same
    person may hold memberships in many accounts (EC-001).
    """

    _name = "ov.membership"
    _description = "Service Account Membership"
    _inherit = ["mail.thread", "abs.seat.visible.mixin"]
    _order = "serviced_account_id, person_partner_id, id"

    serviced_account_id = fields.Many2one(
        "ov.serviced_account",
        string="Service Account",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
    )
    person_partner_id = fields.Many2one(
        "res.partner",
        string="Person",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        domain=[("is_company", "=", False)],
    )
    employee_id = fields.Many2one(
        "abs.employee", string="Employee", readonly=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(related="serviced_account_id.company_id", store=True, index=True)
    role_code = fields.Selection(
        ROLE_SELECTION, string="Role", required=True, default="agent", tracking=True, help=ROLE_HELP
    )
    membership_state = fields.Selection(
        [("active", "Active"), ("suspended", "Suspended"), ("revoked", "Revoked")],
        string="State",
        required=True,
        default="active",
        index=True,
        tracking=True,
    )
    scope_policy = fields.Selection(
        POLICY_SELECTION,
        string="Visibility Override",
        tracking=True,
        help="Empty: the role's default (staff, admin, finance and viewer see the whole account; "
        "agents their own and unassigned customers).",
    )
    effective_policy = fields.Selection(POLICY_SELECTION, compute="_compute_effective_policy")
    hierarchy_scope = fields.Selection(
        HIERARCHY_SELECTION,
        required=True,
        default="this_node_only",
        tracking=True,
    )
    manager_member_id = fields.Many2one(
        "ov.membership",
        string="Reports To",
        index=True,
        ondelete="set null",
        domain="[('serviced_account_id', '=', serviced_account_id), ('id', '!=', id)]",
    )
    effective_from = fields.Datetime(tracking=True)
    # indexed: every API request looks for memberships that ended with customers still held
    effective_to = fields.Datetime(tracking=True, index=True)
    is_live = fields.Boolean(
        compute="_compute_is_live",
        search="_search_is_live",
        help="Active and within its effective dates: the membership grants its role right now.",
    )
    conflict_review_first_ids = fields.One2many("ov.conflict_review", "membership_id")
    conflict_review_second_ids = fields.One2many("ov.conflict_review", "other_membership_id")
    conflict_review_ids = fields.Many2many(
        "ov.conflict_review",
        compute="_compute_conflict_review_ids",
        string="Conflict Reviews",
        help="Cross-company combinations of this membership listed for review (EC-002).",
    )

    # ---- computes ----

    @api.depends("person_partner_id", "serviced_account_id")
    @api.depends_context("uid")
    def _compute_abs_seat_visible(self):
        return super()._compute_abs_seat_visible()

    @api.model
    def _abs_seat_domain(self, contexts):
        # their own memberships, and those they may act on through the API
        # (security/ov_membership_security.xml)
        return visibility.seat_membership_domain(contexts, self.env.user.partner_id.id)

    @api.depends("serviced_account_id.name", "person_partner_id.name", "role_code")
    def _compute_display_name(self):
        roles = dict(ROLE_SELECTION)
        for membership in self:
            membership.display_name = _(
                "%(person)s — %(sa)s (%(role)s)",
                person=membership.person_partner_id.name or "",
                sa=membership.serviced_account_id.name or "",
                role=roles.get(membership.role_code, ""),
            )

    @api.depends("role_code", "scope_policy")
    def _compute_effective_policy(self):
        for membership in self:
            membership.effective_policy = (
                visibility.effective_policy(membership.role_code, membership.scope_policy)
                if membership.role_code
                else False
            )

    @api.depends("membership_state", "effective_from", "effective_to")
    def _compute_is_live(self):
        now = fields.Datetime.now()
        for membership in self:
            membership.is_live = membership._abs_is_live_at(now)

    def _search_is_live(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Search on 'live' with = True or = False only."))
        domain = self._abs_live_domain()
        return domain if (operator == "=") == value else ["!", *domain]

    @api.depends("conflict_review_first_ids", "conflict_review_second_ids")
    def _compute_conflict_review_ids(self):
        for membership in self:
            membership.conflict_review_ids = (
                membership.conflict_review_first_ids | membership.conflict_review_second_ids
            )

    def _abs_is_live_at(self, when):
        self.ensure_one()
        return (
            self.membership_state == "active"
            and (not self.effective_from or self.effective_from <= when)
            and (not self.effective_to or when <= self.effective_to)
        )

    @api.model
    def _abs_live_domain(self, now=None):
        now = now or fields.Datetime.now()
        return [
            ("membership_state", "=", "active"),
            "|",
            ("effective_from", "=", False),
            ("effective_from", "<=", now),
            "|",
            ("effective_to", "=", False),
            ("effective_to", ">=", now),
        ]

    # ---- constraints ----

    @api.constrains("person_partner_id")
    def _check_person_is_person(self):
        for membership in self:
            if membership.person_partner_id.is_company:
                raise ValidationError(
                    _(
                        "%(name)s is a company; only a person can be a member of a Service Account.",
                        name=membership.person_partner_id.display_name,
                    )
                )

    @api.constrains("effective_from", "effective_to")
    def _check_effective_dates(self):
        for membership in self:
            if (
                membership.effective_from
                and membership.effective_to
                and membership.effective_to < membership.effective_from
            ):
                raise ValidationError(_("A membership cannot end before it starts."))

    @api.constrains(
        "person_partner_id", "serviced_account_id", "membership_state", "effective_from", "effective_to"
    )
    def _check_one_live_membership_per_account(self):
        for membership in self.filtered(lambda m: m.membership_state in LIVE_STATES):
            if membership._abs_overlapping_memberships():
                raise ValidationError(
                    _(
                        "%(person)s already has a membership in %(sa)s; a person holds one membership per "
                        "account (change its role instead).",
                        person=membership.person_partner_id.name,
                        sa=membership.serviced_account_id.name,
                    )
                )

    @api.constrains("employee_id", "person_partner_id")
    def _check_employee_matches_person(self):
        for membership in self:
            if membership.employee_id.partner_id != membership.person_partner_id:
                raise ValidationError(_("A membership's employee identity must be its person's."))

    @api.constrains("manager_member_id", "serviced_account_id")
    def _check_manager_member(self):
        for membership in self.filtered("manager_member_id"):
            if membership.manager_member_id.serviced_account_id != membership.serviced_account_id:
                raise ValidationError(_("A member reports to a member of the same Service Account."))
        if self._has_cycle("manager_member_id"):
            raise ValidationError(_("Members cannot report to each other in a circle."))

    @api.constrains("role_code", "membership_state")
    def _check_manager_keeps_manager_role(self):
        for membership in self:
            if (
                membership.serviced_account_id.sa_manager_id == membership
                and membership.role_code not in visibility.MANAGER_ROLES
            ):
                raise ValidationError(
                    _(
                        "%(person)s is the manager of %(sa)s and must keep a staff or admin role; "
                        "appoint another manager first.",
                        person=membership.person_partner_id.name,
                        sa=membership.serviced_account_id.name,
                    )
                )

    def _abs_overlapping_memberships(self):
        """Other not-revoked memberships of the same person in the same account whose dates overlap."""
        self.ensure_one()
        others = self.search(
            [
                ("person_partner_id", "=", self.person_partner_id.id),
                ("serviced_account_id", "=", self.serviced_account_id.id),
                ("membership_state", "in", LIVE_STATES),
                ("id", "not in", self._origin.ids),
            ]
        )
        low, high = fields.Datetime.to_datetime("1900-01-01"), fields.Datetime.to_datetime("9999-12-31")
        start, end = self.effective_from or low, self.effective_to or high
        return others.filtered(
            lambda o: (o.effective_from or low) <= end and start <= (o.effective_to or high)
        )

    # ---- ORM overrides ----

    @api.model_create_multi
    def create(self, vals_list):
        # Odoo's rights first: the identities below are created as superuser, and their checks
        # name the person
        self.browse().check_access("create")
        # Every member has a free-seat identity (abs.employee), created on the fly.
        partner_ids = [vals["person_partner_id"] for vals in vals_list if vals.get("person_partner_id")]
        persons = self.env["res.partner"].browse(partner_ids).exists()
        employees = self.env["abs.employee"]._ensure_for_partners(persons)
        employee_of = {employee.partner_id.id: employee.id for employee in employees._abs_employee_admin()}
        for vals in vals_list:
            if vals.get("person_partner_id") in employee_of:
                vals["employee_id"] = employee_of[vals["person_partner_id"]]
        memberships = super().create(vals_list)
        self.env["res.users"]._abs_forget_seat_answers()
        self.env["ov.conflict_review"]._abs_flag_cross_company(memberships)
        return memberships

    def write(self, vals):
        self.check_access("write")  # before the hand-over below writes as superuser
        self._abs_check_identity_unchanged(vals)
        new_state = vals.get("membership_state")
        changing = self._abs_changing_state(new_state)
        leaving = new_state in ("suspended", "revoked") and changing
        if leaving:
            changing._abs_hand_over_management()
        downgraded = self._abs_losing_hold_customers(vals.get("role_code"))
        edited = self._abs_edited_fields(vals)
        result = super().write(vals)
        self.env["res.users"]._abs_forget_seat_answers()
        revoking = changing if new_state == "revoked" else self.browse()
        released = self._abs_release_after_write(revoking, downgraded)
        if new_state == "active" and changing:
            changing._abs_emit_state("membership.reinstated")
        for membership, fnames in edited.items():
            membership._abs_emit_updated(fnames)
        if {"effective_from", "effective_to"} & set(vals):
            # an end date set in the past releases the customers now, not at the next cron
            self._abs_release_lapsed_memberships()
        if leaving:
            changing._abs_emit_state_change(new_state, released)
        return result

    def _abs_check_identity_unchanged(self, vals):
        for fname in ("serviced_account_id", "person_partner_id"):
            if fname in vals and any(m[fname].id != vals[fname] for m in self):
                raise UserError(
                    _("A membership's person and account cannot change; " "revoke it and enroll anew.")
                )

    def _abs_changing_state(self, new_state):
        """The memberships ``new_state`` really changes. :raise UserError: one of them is revoked."""
        if not new_state:
            return self.browse()
        changing = self.filtered(lambda m: m.membership_state != new_state)
        if any(m.membership_state == "revoked" for m in changing):
            raise UserError(_("A revoked membership is final; enroll the person again instead."))
        return changing

    @api.model
    def _abs_release_after_write(self, revoking, downgraded):
        """Release the customers of revoked memberships, then of those whose new role holds none.

        :returns: ``{membership id: customers left unassigned}`` of the revocations.
        """
        released = revoking._abs_release_customers("membership_revoked") if revoking else {}
        if downgraded:
            downgraded._abs_release_customers("role_changed")
        return released

    def _abs_emit_state_change(self, new_state, released):
        """``membership.suspended`` / ``membership.revoked`` for each membership in ``self``.

        :param released: ``{membership id: customers left unassigned}`` of a revocation.
        """
        actor = self._abs_context_actor()
        for membership in self:
            data = {
                "person_partner_id": membership.person_partner_id.id,
                "employee_id": membership.employee_id.id,
                "role_code": membership.role_code,
                "membership_state": new_state,
            }
            if new_state == "revoked":
                data["unassigned_customers"] = released.get(membership.id, 0)
            self.env["abs.event.outbox"]._emit(
                f"membership.{new_state}", membership.serviced_account_id, membership, actor, data
            )

    def _abs_edited_fields(self, vals):
        """{membership: [field names]} that ``vals`` really changes, for membership.updated."""
        return changed_fields(self, vals, _UPDATE_EVENT_FIELDS)

    def _abs_emit_state(self, event_type):
        actor = self._abs_context_actor()
        for membership in self:
            self.env["abs.event.outbox"]._emit(
                event_type,
                membership.serviced_account_id,
                membership,
                actor,
                {
                    "person_partner_id": membership.person_partner_id.id,
                    "employee_id": membership.employee_id.id or None,
                    "role_code": membership.role_code,
                    "membership_state": membership.membership_state,
                },
            )

    def _abs_emit_updated(self, fnames):
        self.ensure_one()
        self.env["abs.event.outbox"]._emit(
            "membership.updated",
            self.serviced_account_id,
            self,
            self._abs_context_actor(),
            {
                "person_partner_id": self.person_partner_id.id,
                "employee_id": self.employee_id.id or None,
                "role_code": self.role_code,
                "effective_policy": self.effective_policy,
                "hierarchy_scope": self.hierarchy_scope,
                "effective_from": _utc_iso(self.effective_from),
                "effective_to": _utc_iso(self.effective_to),
                "manager_member_id": self.manager_member_id.id or None,
                "changed": fnames,
            },
        )

    def _abs_losing_hold_customers(self, new_role):
        """The memberships a change to ``new_role`` takes the right to hold customers from."""
        if not new_role or visibility.has_capability(new_role, "hold_customers"):
            return self.browse()
        return self.filtered(
            lambda m: m.membership_state != "revoked"
            and visibility.has_capability(m.role_code, "hold_customers")
        )

    def _abs_context_actor(self):
        actor_id = self._abs_trusted_context_actor_id()
        if actor_id:
            return self.env["res.partner"].browse(actor_id)
        return self._abs_system_actor() or None

    @api.model
    def _abs_trusted_context_actor_id(self):
        """The actor the governance code or the API put in the context, else None.

        An RPC caller chooses their own context and would record whoever they like: the
        lifecycle passes its actor as a record (``abs_actor_partner``), which JSON-RPC and
        XML-RPC cannot send; the API's request context (``abs_actor_partner_id``) counts for the
        API proxy and system code only.
        """
        actor = self.env.context.get("abs_actor_partner")
        if isinstance(actor, models.BaseModel):
            return actor.id or None
        user = self.env.user
        if user._is_superuser() or user.has_group("abs_connector.group_abs_api_proxy"):
            return self.env.context.get("abs_actor_partner_id") or None
        return None

    @api.ondelete(at_uninstall=True)
    def _unlink_forget_seat_answers(self):
        # nothing reads a user's memberships between this and the rows' deletion
        self.env["res.users"]._abs_forget_seat_answers()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_history(self):
        if self.filtered(
            lambda m: m.membership_state != "active" or m.serviced_account_id.sa_manager_id == m
        ):
            raise UserError(
                _(
                    "Suspended, revoked and manager memberships are kept as history; "
                    "revoke a membership instead of deleting it."
                )
            )

    # ---- lookups ----

    @api.model
    def _get_live_membership(self, person_partner, sa):
        """The membership of ``person_partner`` in ``sa`` that grants its role now, or empty."""
        if not person_partner or not sa:
            return self.browse()
        return self.search_fetch(
            [
                ("person_partner_id", "=", person_partner.id),
                ("serviced_account_id", "=", sa.id),
                *self._abs_live_domain(),
            ],
            list(_ACCESS_CONTEXT_FIELDS),
            # person and SA are fixed: the model's order reduces to the id, without its joins
            order="id",
            limit=1,
        )

    @api.model
    def _abs_access_context(self, person_partner, sa, live_membership=None):
        """What ``person_partner`` may see in ``sa``, or None when nothing.

        A live membership in ``sa`` itself wins; otherwise the nearest ancestor
        membership whose hierarchy scope covers sub-accounts applies. ``live_membership``:
        that membership (or empty) when this request has already read it, None to read it.
        """
        if not person_partner or not sa:
            return None
        model = self._abs_reader()
        sa = self.env["ov.serviced_account"]._abs_tree_reader().browse(sa.id)
        if sa.state != "active":
            return None
        if live_membership is None:
            membership = model._get_live_membership(person_partner, sa)
        else:
            membership = model.browse(live_membership.ids)
        if not membership:
            ancestor_ids = _ancestor_ids(sa)
            candidates = model.search(
                [
                    ("person_partner_id", "=", person_partner.id),
                    ("serviced_account_id", "in", ancestor_ids),
                    ("hierarchy_scope", "=", "this_node_and_descendants"),
                    ("serviced_account_id.state", "=", "active"),
                    *model._abs_live_domain(),
                ]
            )
            # the nearest ancestor is the one with the longest path
            membership = candidates.sorted(lambda m: len(m.serviced_account_id.parent_path), reverse=True)[:1]
        if not membership:
            return None
        return membership._abs_context_in(sa)

    def _abs_context_in(self, sa):
        """What this membership lets its person see in ``sa`` (its own account or, for a
        subtree scope, a sub-account)."""
        self.ensure_one()
        return visibility.AccessContext(
            person_id=self.person_partner_id.id,
            sa_id=sa.id,
            sa_parent_path=sa.parent_path or "",
            membership_id=self.id,
            membership_sa_id=self.serviced_account_id.id,
            role_code=self.role_code,
            policy=self.effective_policy,
            hierarchy_scope=self.hierarchy_scope,
            sa_settings=sa._abs_capability_settings(),
        )

    def _abs_seat_contexts(self):
        """What the person of these memberships (all of theirs, in every state) sees through them
        at once, for the record rules of Odoo's own screens: one access context per live
        membership of an active account (a suspended, revoked or ended one gives none).

        :returns: the contexts, or None when there is no membership (the person never was a
            member of any account: Odoo's own rules alone then apply).
        """
        if not self:
            return None
        now = fields.Datetime.now()
        return [
            membership._abs_context_in(membership.serviced_account_id)
            for membership in self.sorted("id")
            if membership._abs_is_live_at(now) and membership.serviced_account_id.state == "active"
        ]

    @api.model
    def _abs_memberships_of(self, persons):
        """Every membership of ``persons`` (any state), with what :meth:`_abs_seat_contexts` reads
        of them and of their accounts put into the cache, in one query.

        :returns: the memberships, elevated, in id order.
        """
        model = self._abs_reader()
        if not persons:
            return model.browse()
        accounts = self.env["ov.serviced_account"]._abs_tree_reader()
        model.flush_model([*_SEAT_MEMBERSHIP_FIELDS[1:], "serviced_account_id"])
        accounts.flush_model(list(_SEAT_ACCOUNT_FIELDS[1:]))
        rows = self.env.execute_query(
            SQL(
                "SELECT %s, %s FROM ov_membership m JOIN ov_serviced_account sa"
                " ON sa.id = m.serviced_account_id WHERE m.person_partner_id IN %s ORDER BY m.id",
                SQL(", ").join(SQL.identifier("m", name) for name in _SEAT_MEMBERSHIP_FIELDS),
                SQL(", ").join(SQL.identifier("sa", name) for name in _SEAT_ACCOUNT_FIELDS),
                tuple(persons.ids),
            )
        )
        memberships = model.browse()
        width = len(_SEAT_MEMBERSHIP_FIELDS)
        for row in rows:
            cached_record(accounts, _SEAT_ACCOUNT_FIELDS, row[width:])
            memberships |= cached_record(model, _SEAT_MEMBERSHIP_FIELDS, row[:width])
        return memberships

    @api.model
    def _abs_is_or_was_member(self, person_partner, sa):
        """Whether ``person_partner`` holds or held a membership (any state) that concerns ``sa``:
        in ``sa`` itself, or on an ancestor with a scope over its sub-accounts. The only people
        the access explainer answers about: a member of a parent account who never had a say
        here is unknown, as a missing id, and is not named."""
        if not person_partner or not sa:
            return False
        sa = self.env["ov.serviced_account"]._abs_tree_reader().browse(sa.id)
        concerning = [
            "|",
            ("serviced_account_id", "=", sa.id),
            "&",
            ("serviced_account_id", "in", _ancestor_ids(sa)),
            ("hierarchy_scope", "=", "this_node_and_descendants"),
        ]
        return bool(
            self._abs_reader().search_count(
                [("person_partner_id", "=", person_partner.id), *concerning],
                limit=1,
            )
        )

    def _abs_reader(self):
        return elevate(self, "the caller's own authority, whatever user executes the request")

    @api.model
    def _abs_explain_no_membership(self, person_partner, sa):
        """Why ``person_partner`` has no authority in ``sa``, in one sentence."""
        latest = self._abs_reader().search(
            [("person_partner_id", "=", person_partner.id), ("serviced_account_id", "=", sa.id)],
            order="id desc",
            limit=1,
        )
        latest_state = latest.membership_state if latest else None
        return explainer.no_membership(
            person_partner.name, sa.name, sa.state == "active", latest_state, self.env._
        )

    @api.model
    def _abs_is_system_caller(self):
        """Whether the Odoo user may act for the system, without a governed actor: superuser
        code, Governance Managers and the API proxy (whose requests go through the lifecycle)."""
        user = self.env.user
        return (
            self.env.su
            or user.has_group("abs_connector.group_abs_governance_manager")
            or user.has_group("abs_connector.group_abs_api_proxy")
        )

    @api.model
    def _abs_check_system_caller(self):
        """Refuse a call without a governed actor unless the Odoo user may act for the system."""
        if not self._abs_is_system_caller():
            raise AccessError(_("Only governance managers may do this without acting as a member."))

    @api.model
    def _abs_system_actor(self):
        """The person recorded as actor of a back-office action (none for superuser/system code)."""
        if self.env.su or self.env.user.has_group("abs_connector.group_abs_api_proxy"):
            return self.env["res.partner"]
        return self.env.user.partner_id

    @api.model
    def _abs_back_office_actor(self):
        """Who a change made on Odoo's own screens acts as: nobody in particular (a
        system call, checked by group) for governance managers and system code, else
        the user's own person, whose memberships then decide."""
        user = self.env.user
        if self.env.su or user.has_group("abs_connector.group_abs_governance_manager"):
            return None
        if user.has_group("abs_connector.group_abs_api_proxy"):
            return None
        return user.partner_id

    def _abs_member_writer(self):
        # Once the member's authority in the account has been checked, the lifecycle method writes for them.
        return elevate(self, "a member's own Odoo user has no write rights on governance records")

    @api.model
    def _abs_recorded_actor(self, actor_partner):
        """Who to record as the actor: the governed actor, else the back-office user."""
        return actor_partner or self._abs_system_actor() or None

    @api.model
    def _abs_check_actor(self, actor_partner, sa, capability):
        """The actor's access context in ``sa``; raise unless it grants ``capability``.

        ``actor_partner`` None means a system call (API key, back office,
        migration): allowed only to governance managers, the API proxy and
        superuser code — an ordinary user calling the method over RPC is refused.
        """
        if not actor_partner:
            self._abs_check_system_caller()
            return None
        ctx = self._abs_access_context(actor_partner, sa)
        if ctx is None or not ctx.can(capability):
            raise AccessError(
                _("%(person)s may not do this in %(sa)s.", person=actor_partner.name, sa=sa.name)
            )
        return ctx

    # ---- lifecycle ----

    @api.model
    def _abs_enroll(self, sa, person_partner, role_code, actor_partner=None, **extra):
        """Make ``person_partner`` a member of ``sa`` (docs/customer-lifecycle.md, Stage 0d).

        Creates the person's abs.employee if missing.

        :param extra: scope_policy, hierarchy_scope, effective_from, effective_to, manager_member_id.
        :raise GovernanceConflict: the person already holds a membership in ``sa``.
        :raise AccessError: the actor may not manage members of ``sa`` or grant that role.
        :raise ValidationError: inactive account, unknown role, a company instead of a person.
        """
        allowed_extra = {
            "scope_policy",
            "hierarchy_scope",
            "effective_from",
            "effective_to",
            "manager_member_id",
        }
        unknown = set(extra) - allowed_extra
        if unknown:
            raise ValidationError(_("Unknown membership fields: %s", ", ".join(sorted(unknown))))
        if role_code not in visibility.ROLES:
            raise ValidationError(
                _(
                    "%(role)s is not a role; choose one of %(roles)s.",
                    role=role_code,
                    roles=", ".join(visibility.ROLES),
                )
            )
        if not sa or sa.state != "active":
            raise ValidationError(_("Members can only be enrolled in an active Service Account."))
        if not person_partner or person_partner.is_company:
            raise ValidationError(_("Only a person can be enrolled as a member."))
        ctx = self._abs_check_actor(actor_partner, sa, "manage_members")
        if ctx:
            self._abs_check_grant(ctx, role_code, extra.get("scope_policy"), extra.get("hierarchy_scope"))
        self._abs_lock_account(sa)
        candidate = self.new(
            {
                "serviced_account_id": sa.id,
                "person_partner_id": person_partner.id,
                "membership_state": "active",
                **extra,
            }
        )
        existing = candidate._abs_overlapping_memberships()
        if existing:
            raise GovernanceConflict(
                _("%(person)s is already a member of %(sa)s.", person=person_partner.name, sa=sa.name),
                details={"membership_id": existing[0].id},
            )
        membership = self.create(
            {
                "serviced_account_id": sa.id,
                "person_partner_id": person_partner.id,
                "role_code": role_code,
                **extra,
            }
        )
        self.env["abs.event.outbox"]._emit(
            "membership.enrolled",
            sa,
            membership,
            self._abs_recorded_actor(actor_partner),
            {
                "person_partner_id": person_partner.id,
                "employee_id": membership.employee_id.id,
                "role_code": role_code,
                "membership_state": membership.membership_state,
                "effective_policy": membership.effective_policy,
                "hierarchy_scope": membership.hierarchy_scope,
            },
        )
        return membership

    def _abs_serialize_with_lifecycle(self):
        """Order this transaction with any concurrent change of these memberships.

        A real write, not ``FOR UPDATE``: under REPEATABLE READ only a row *changed* by a
        concurrent transaction makes the other fail and be replayed on fresh data. A customer
        created for a member and the revocation of that member thus never both commit blind
        to each other.
        """
        if self:
            self.env.cr.execute(
                SQL("UPDATE ov_membership SET write_date = write_date WHERE id = ANY(%s)", self.ids)
            )

    def _abs_lock_account(self, sa):
        # Two enrollments of the same person racing each other: the second
        # waits for the first and then sees it.
        self.env.cr.execute(SQL("SELECT id FROM ov_serviced_account WHERE id = %s FOR UPDATE", sa.id))

    # ---- back-office buttons: the actor is the signed-in user, never an argument ----

    def action_suspend(self):
        """Suspend button of the membership form (Governance Managers: system authority)."""
        return self._abs_suspend()

    def action_reinstate(self):
        """Reinstate button of the membership form (Governance Managers: system authority)."""
        return self._abs_reinstate()

    # ---- lifecycle ----

    def _abs_suspend(self, actor_partner=None):
        """Suspend: the member keeps their customers but loses access until reinstated.

        :raise GovernanceConflict: it is the only manager of its account.
        :raise AccessError: the actor may not manage this member.
        """
        self._abs_check_transition(
            actor_partner, ("active",), _("Only an active membership can be suspended.")
        )
        self.with_context(abs_actor_partner=actor_partner or self.env["res.partner"]).write(
            {"membership_state": "suspended"}
        )
        return True

    def _abs_reinstate(self, actor_partner=None):
        """Reinstate a suspended membership."""
        self._abs_check_transition(
            actor_partner, ("suspended",), _("Only a suspended membership can be reinstated.")
        )
        self.write({"membership_state": "active"})
        return True

    def _abs_revoke(self, actor_partner=None):
        """Revoke (docs/customer-lifecycle.md, Stage 5): the person's customers in the account stay
        there, unassigned; V2 stamps naming the person are cleared.

        :returns: the number of customers that became unassigned.
        :raise GovernanceConflict: it is the only manager of its account.
        :raise AccessError: the actor may not manage this member.
        """
        self._abs_check_transition(
            actor_partner, ("active", "suspended"), _("This membership is already revoked.")
        )
        # first, so that a customer created for this member at the same moment is either
        # seen here (and released) or refused -- see _abs_serialize_with_lifecycle
        self._abs_serialize_with_lifecycle()
        count = sum(len(m._abs_assignments_to_release()) for m in self)
        self.with_context(abs_actor_partner=actor_partner or self.env["res.partner"]).write(
            {"membership_state": "revoked"}
        )
        return count

    def _abs_revoke_preview(self):
        """How many customers revoking this membership would leave unassigned."""
        self.ensure_one()
        return len(self._abs_assignments_to_release())

    def _abs_check_transition(self, actor_partner, from_states, message):
        for membership in self:
            if membership.membership_state not in from_states:
                raise UserError(message)
            ctx = self._abs_check_actor(actor_partner, membership.serviced_account_id, "manage_members")
            if ctx and not authority.may_manage_member(ctx.role_code, membership.role_code):
                raise AccessError(
                    _(
                        "You cannot change the membership of a %(role)s: that role ranks above yours.",
                        role=membership.role_code,
                    )
                )

    @api.model
    def _abs_check_grant(self, ctx, role_code, scope_policy=None, hierarchy_scope=None):
        """Refuse granting more than the actor (``ctx``) holds in that account.

        :raise AccessError: a role, visibility policy or hierarchy scope wider than the actor's.
        """
        refused = authority.grant_refusal(
            ctx.role_code, ctx.policy, ctx.hierarchy_scope, role_code, scope_policy, hierarchy_scope
        )
        if refused == "role":
            raise AccessError(
                _(
                    "You cannot grant the %(role)s role: it ranks above yours or has rights yours does not.",
                    role=role_code,
                )
            )
        if refused == "scope_policy":
            raise AccessError(
                _("You cannot grant a visibility wider than your own (%(policy)s).", policy=ctx.policy)
            )
        if refused == "hierarchy_scope":
            raise AccessError(
                _(
                    "You cannot grant a hierarchy scope wider than your own (%(scope)s).",
                    scope=ctx.hierarchy_scope,
                )
            )

    def _abs_hand_over_management(self):
        """Before a manager leaves, pass sa_manager_id to another live manager-role
        member; refuse when there is none (the account would be unmanaged)."""
        for membership in self:
            sa = membership.serviced_account_id
            if sa.sa_manager_id != membership:
                continue
            successor = self.search(
                [
                    ("serviced_account_id", "=", sa.id),
                    ("role_code", "in", visibility.MANAGER_ROLES),
                    ("id", "not in", self.ids),
                    *self._abs_live_domain(),
                ],
                order="id",
                limit=1,
            )
            if not successor:
                raise GovernanceConflict(
                    _(
                        "%(person)s is the only manager of %(sa)s; appoint another manager first.",
                        person=membership.person_partner_id.name,
                        sa=sa.name,
                    ),
                    details={"membership_id": membership.id, "serviced_account_id": sa.id},
                )
            sa._abs_tree_reader().sa_manager_id = successor

    def _abs_released_accounts(self):
        """The accounts where this (revoked, ended or downgraded) membership held customers:
        its own, plus sub-accounts it covered, except where the person holds another
        membership that has not ended (it keeps its customers there)."""
        self.ensure_one()
        sa = self.serviced_account_id
        accounts = sa
        if self.hierarchy_scope == "this_node_and_descendants":
            accounts = sa.search([("parent_path", "=like", f"{sa.parent_path}%")])
        kept = self.search(
            [
                ("person_partner_id", "=", self.person_partner_id.id),
                ("serviced_account_id", "in", accounts.ids),
                ("membership_state", "in", LIVE_STATES),
                ("id", "!=", self.id),
                "|",
                ("effective_to", "=", False),
                ("effective_to", ">=", fields.Datetime.now()),
            ]
        ).serviced_account_id
        return accounts - kept

    def _abs_assignments_to_release(self):
        self.ensure_one()
        return (
            self.env["ov.sa_customer_assignment"]
            ._abs_history_admin()
            .search(
                [
                    ("account_id", "in", self._abs_released_accounts().ids),
                    ("actor_id", "=", self.person_partner_id.id),
                    ("state", "=", "active"),
                ]
            )
        )

    def _abs_release_customers(self, reason, actor=False):
        """Stage 5 side effects (docs/customer-lifecycle.md), set-based: V2 stamps cleared on every
        governed model, V3 assignments kept active with no actor.

        Revocation, the end of a membership (``effective_to`` passed) and a role that holds
        no customers all release them the same way; ``reason`` says which in the events.

        :param actor: who to record; by default the actor in the context (or the back-office user).
        :returns: {membership id: number of customers that became unassigned}
        """
        if actor is False:
            actor = self._abs_context_actor()
        released = {}
        for membership in self:
            person = membership.person_partner_id
            accounts = membership._abs_released_accounts()
            assignments = membership._abs_assignments_to_release()
            self._abs_clear_stamps(accounts, person, membership.employee_id)
            assignments._abs_clear_actor()
            released[membership.id] = len(assignments)
            for assignment in assignments:
                self.env["abs.event.outbox"]._emit(
                    "customer.unassigned",
                    assignment.account_id,
                    assignment.partner_id,
                    actor,
                    {
                        "assignment_id": assignment.id,
                        "from_actor_id": person.id,
                        "reason": reason,
                        "membership_id": membership.id,
                    },
                )
        return released

    @api.model
    def _abs_release_lapsed_memberships(self):
        """Release the customers of memberships whose ``effective_to`` has passed.

        Run by a cron and at the start of every SA-scoped API request, so that other
        members see those customers as unassigned at once. Cheap when there is nothing to do:
        one indexed query. The released rows are what makes it idempotent.

        :returns: the number of customers released.
        """
        self.flush_model(
            [
                "membership_state",
                "effective_to",
                "hierarchy_scope",
                "person_partner_id",
                "serviced_account_id",
            ]
        )
        self.env["ov.sa_customer_assignment"].flush_model(["state", "actor_id", "account_id"])
        now = fields.Datetime.now()
        self.env.cr.execute(SQL("%s ORDER BY m.id", self._abs_lapsed_memberships_sql(now)))
        lapsed = (
            self._abs_reader()
            .browse([row[0] for row in self.env.cr.fetchall()])
            .filtered(lambda m: m._abs_assignments_to_release())
        )
        released = {}
        if lapsed:
            lapsed._abs_serialize_with_lifecycle()
            released = lapsed._abs_release_customers("membership_expired", actor=None)
        # every membership ended by now holds no customer any more: the gate can stop asking
        self.env.cr.execute(lapse_marker.settle_sql(now))
        return sum(released.values())

    @api.model
    def _abs_lapsed_memberships_sql(self, now=None):
        """The memberships whose ``effective_to`` has passed and that still hold customers.

        The release (cron, or a request whose gate found an ended membership not dealt with yet,
        see :mod:`..lapse_marker`) asks it in full. The assignment rows are probed in the SAs the
        membership covers (its own, or its whole subtree), a list the planner does not need to
        join to plan.
        """
        return SQL(
            """
            SELECT m.id FROM ov_membership m
             WHERE m.membership_state IN ('active', 'suspended')
               AND m.effective_to < %s
               AND EXISTS (
                    SELECT 1 FROM ov_sa_customer_assignment a
                     WHERE a.state = 'active' AND a.actor_id = m.person_partner_id
                       AND a.account_id = ANY (ARRAY(
                            SELECT s.id FROM ov_serviced_account s
                             WHERE s.id = m.serviced_account_id
                                OR (m.hierarchy_scope = 'this_node_and_descendants'
                                    AND s.parent_path LIKE (
                                        SELECT own.parent_path FROM ov_serviced_account own
                                         WHERE own.id = m.serviced_account_id) || %s))))
            """,
            now or fields.Datetime.now(),
            "%",
        )

    def init(self):
        cr = self.env.cr
        # An earlier build of this version asked through a PL/pgSQL function, whose plan Odoo's
        # pool discards with every connection it lends (DISCARD ALL): it cost more than the
        # question asked in the gate's own statement (docs/performance.md#single-record).
        cr.execute(SQL("DROP FUNCTION IF EXISTS %s(timestamp)", SQL.identifier(_OLD_LAPSED_FUNCTION)))
        lapse_marker.install_column(cr)
        lapse_marker.install_triggers(cr, self._table)

    @api.model
    def _abs_request_gate(self, sa_id, person_partner, sa_fields):
        """What an SA-scoped request checks first, read live in one query.

        Reads the SA ``sa_id`` (``sa_fields`` into the cache), the live membership of
        ``person_partner`` in it (into the cache, like :meth:`_get_live_membership`), and whether
        a membership has ended and was not dealt with since (:mod:`..lapse_marker`).

        :returns: ``(sa, membership, lapsed)``: the SA or empty, the membership or empty, a bool.
        """
        self.flush_model([*_ACCESS_CONTEXT_FIELDS, "membership_state", "effective_from", "effective_to"])
        accounts = self.env["ov.serviced_account"]._abs_tree_reader()
        accounts.flush_model(sa_fields)
        self.env["ov.sa_customer_assignment"].flush_model(["state", "actor_id", "account_id"])
        model = self._abs_reader()
        # compiled once per process (docs/adr/0014-compiled-sql-reused-rows-read-live.md); the
        # person, the SA and the moment are bound on every request
        compiled = self.env["ir.http"]._abs_compiled_query("request gate", tuple(sa_fields), _gate_query)
        values = (person_partner.id if person_partner else 0, sa_id, fields.Datetime.now())
        row = compiled.run(self.env, values)[0]
        sa_values, rest = row[: len(sa_fields) + 1], row[len(sa_fields) + 1 :]
        member_values, lapsed = rest[:-1], rest[-1]
        sa = cached_record(accounts, ["id", *sa_fields], sa_values)
        membership = cached_record(model, _GATE_MEMBERSHIP_FIELDS, member_values)
        return sa, membership, lapsed

    @api.model
    def _cron_release_lapsed_memberships(self):
        self._abs_release_lapsed_memberships()

    @api.model
    def _abs_clear_stamps(self, accounts, person, employee):
        """Clear ``x_actor_id`` = person on every governed model in ``accounts``.

        One UPDATE per model: stamps are a compatibility column with no business
        logic, and a posted invoice must not go through accounting write checks
        to lose a governance stamp.
        """
        cr = self.env.cr
        for model_name in self._abs_governed_models():
            model = self.env[model_name]
            cr.execute(
                SQL(
                    "UPDATE %s SET x_actor_id = NULL, write_date = now() AT TIME ZONE 'UTC', write_uid = %s "
                    "WHERE x_sa_id = ANY(%s) AND x_actor_id = %s",
                    SQL.identifier(model._table),
                    self.env.uid,
                    accounts.ids,
                    person.id,
                )
            )
            model.invalidate_model(["x_actor_id", "write_date", "write_uid"])
        if employee:
            cr.execute(
                SQL(
                    "UPDATE res_partner SET x_assigned_employee_id = NULL "
                    "WHERE x_sa_id = ANY(%s) AND x_assigned_employee_id = %s",
                    accounts.ids,
                    employee.id,
                )
            )
            self.env["res.partner"].invalidate_model(["x_assigned_employee_id"])

    @api.model
    def _abs_governed_models(self):
        """Every model carrying the V2 stamps (res.partner, sale.order, crm.lead,
        account.move, and any bridge added later)."""
        return sorted(
            name
            for name in self.env.registry.descendants(["abs.governed.mixin"], "_inherit")
            if name != "abs.governed.mixin" and not self.env[name]._abstract
        )


def _ancestor_ids(sa):
    """The ids of ``sa``'s ancestors, from the root down (``sa`` itself left out)."""
    return [int(i) for i in (sa.parent_path or "").split("/") if i][:-1]


def _gate_query(env, sa_fields):
    """The request gate's one statement (see ``_abs_request_gate``): the person in slot 0, the SA
    in slot 1, the moment in slot 2."""
    model = env["ov.membership"]._abs_reader()
    now = compiled_sql.time_slot(2)
    live = model._search(
        [
            ("person_partner_id", "=", compiled_sql.slot(0)),
            ("serviced_account_id", "=", compiled_sql.slot(1)),
            *model._abs_live_domain(now),
        ],
        order="id",
        limit=1,
    )
    member_columns = [SQL.identifier(live.table, name) for name in _GATE_MEMBERSHIP_FIELDS]
    return SQL(
        """
        SELECT %(sa_columns)s, live.*, EXISTS(%(lapsed)s)
          FROM (SELECT 1) AS gate
          LEFT JOIN ov_serviced_account sa ON sa.id = %(sa_id)s
          LEFT JOIN (%(live)s) AS live ON TRUE
        """,
        sa_columns=SQL(", ").join(SQL.identifier("sa", name) for name in ["id", *sa_fields]),
        lapsed=lapse_marker.unsettled_lapse_sql(now),
        sa_id=compiled_sql.slot(1),
        live=live.select(*member_columns),
    )
