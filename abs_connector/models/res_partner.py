import dataclasses
import logging

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.modules.db import FunctionStatus
from odoo.osv import expression
from odoo.tools import SQL, email_normalize, escape_psql
from odoo.tools.query import Query
from odoo.tools.sql import create_index

from ..driven_lists import DRIVING_ID as _ABS_DRIVING_ID
from ..driven_lists import PROBED as _ABS_PROBED
from ..driven_lists import DrivenCustomers
from ..elevation import elevate
from ..exceptions import GovernanceConflict
from ..governance import visibility

_logger = logging.getLogger(__name__)

NAME_TRIGRAM_INDEX = "res_partner__name_abs_trigram_index"
# The partners without a Service Account in the order of Odoo's contact lists: the part of a seat
# member's page they make is read from it (see _abs_seat_page_query).
UNGOVERNED_NAMES_INDEX = "res_partner_abs_ungoverned_names"
# The context keys that add a partner's address, e-mail or tax id to its name (Odoo's
# res.partner._compute_display_name)
DISPLAY_NAME_DETAIL_KEYS = ("show_address", "show_email", "show_vat")

# Creating, finding and archiving users is an administrator's right; every caller
# has already checked the actor's authority over the customer.
ADMIN_ONLY_USERS = "users are an administrator's; the actor's authority was checked"

PORTAL_GRANTED = "granted"
PORTAL_ALREADY = "already"
PORTAL_SKIPPED_NO_EMAIL = "skipped_no_email"
PORTAL_SKIPPED_INTERNAL_EMAIL = "skipped_internal_email"

PORTAL_STATUSES = [
    (PORTAL_GRANTED, "Invited"),
    (PORTAL_ALREADY, "Already Had Access"),
    (PORTAL_SKIPPED_NO_EMAIL, "Skipped: No E-mail"),
    (PORTAL_SKIPPED_INTERNAL_EMAIL, "Skipped: E-mail of an Internal User"),
]

# What identifies a person on a partner: cleared by the right to erasure.
_ERASED_FIELDS = (
    "email", "phone", "mobile", "street", "street2", "city", "zip", "state_id", "country_id",
    "function", "comment", "website", "vat", "title", "image_1920", "ref", "signup_type",
)  # fmt: skip

# Up to how many visible customers a seat member's rule is one set joined to the partners,
# beyond which it is a test of each partner (see _abs_seat_domain).
_ABS_SEAT_FEW = 5000
# Below this share of all partners, a seat member's count goes through the set too.
_ABS_SEAT_COUNT_SHARE = 0.3

# Names in the SQL of a list driven from the assignment rows (driven_lists: the partner a row
# holds, once tested, and the row's customer id it is ordered by) and, in a seat member's
# name-ordered page (see _abs_seat_page_query), the name it is ordered by.
_ABS_SORT_KEY = "abs_sort_key"

# Governance fields only the lifecycle methods below may set.
_GOVERNANCE_FIELDS = frozenset(
    {
        "x_sa_id",
        "x_actor_id",
        "x_assigned_employee_id",
        "assignment_ids",
        "active",
        "user_ids",
    }
)


def _select_one(query, *conditions):
    """``SELECT 1`` from ``query``'s tables, under its conditions and ``conditions``."""
    return _select(query, SQL("1"), *conditions)


def _select(query, columns, *conditions):
    """``SELECT columns`` from ``query``'s tables, under its conditions and ``conditions``."""
    where = [condition for condition in (query.where_clause, *conditions) if condition]
    return SQL("SELECT %s FROM %s WHERE %s", columns, query.from_clause, SQL(" AND ").join(where))


class ResPartner(models.Model):
    """Customers as governed entities: V2 stamps plus the V3 assignment history,
    and their portal onboarding (docs/sales-workflow.md; docs/customer-lifecycle.md, Stages 1 and 6).

    One function, ``_abs_grant_portal_access``, decides and performs the portal
    grant for every path: customer creation, first confirmed order and the
    back-office wizard. It relies on Odoo's own portal wizard and signup flow.
    """

    _name = "res.partner"
    _inherit = ["res.partner", "abs.governed.mixin"]

    x_assigned_employee_id = fields.Many2one(
        "abs.employee",
        string="Assigned Employee",
        index=True,
        ondelete="set null",
        groups="base.group_user",
        copy=False,
        help="The employee working this customer (their operational assignment).",
    )
    assignment_ids = fields.One2many(
        "ov.sa_customer_assignment",
        "partner_id",
        string="Assignment History",
        groups="base.group_user",
    )
    abs_assignment_count = fields.Integer(compute="_compute_abs_assignment_count")

    # Governance is internal: a portal customer reading their own contact (JSON-RPC)
    # must not learn their Service Account, agent stamps or assignment history.
    # (The stamps come from the mixin; here they only gain their group.)
    x_sa_id = fields.Many2one(groups="base.group_user")
    x_actor_id = fields.Many2one(groups="base.group_user")

    abs_portal_status = fields.Selection(
        PORTAL_STATUSES,
        string="Portal Onboarding",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="Outcome of the last attempt to give this customer portal access.",
    )
    abs_portal_user_id = fields.Many2one(
        "res.users",
        string="Portal User",
        readonly=True,
        copy=False,
        ondelete="set null",
        groups="base.group_user",
        help="The portal user this customer signs in with: their own, or an existing "
        "portal user with the same e-mail address.",
    )
    # The users archived together with the customer (docs/customer-lifecycle.md, Stage 6), so that
    # un-archiving restores exactly those and not an access someone revoked on purpose.
    abs_archived_portal_user_ids = fields.Many2many(
        "res.users",
        "abs_partner_archived_portal_user_rel",
        "partner_id",
        "user_id",
        string="Portal Users Archived With Customer",
        readonly=True,
        copy=False,
        groups="base.group_system",
        context={"active_test": False},
    )

    # The API's search (docs/agent/start-here.md, Step 4) matches these with ilike '%...%': trigram
    # indexes serve it at any table size. Odoo builds them on install and on -u.
    email = fields.Char(index="trigram")
    phone = fields.Char(index="trigram")
    city = fields.Char(index="trigram")

    def init(self):
        result = super().init()
        # `name` too; but base already gives it a btree index under the conventional name (the
        # one ordering by name uses), so its trigram index is named apart.
        registry = self.env.registry
        if registry.has_trigram:
            column = '"name"'
            if registry.has_unaccent == FunctionStatus.INDEXABLE:
                column = registry.unaccent(column)
            create_index(self.env.cr, NAME_TRIGRAM_INDEX, self._table, [f"{column} gin_trgm_ops"], "gin")
        # small: only the partners without a Service Account (companies, vendors, users...)
        create_index(
            self.env.cr,
            UNGOVERNED_NAMES_INDEX,
            self._table,
            ["complete_name", "id DESC"],
            where="x_sa_id IS NULL",
        )
        return result

    def _compute_same_vat_partner_id(self):
        # Odoo looks for a partner with the same tax id or registry number as superuser, in every
        # company, and names it on the form: a seat member is told only of one they may read
        result = super()._compute_same_vat_partner_id()
        for field_name in ("same_vat_partner_id", "same_company_registry_partner_id"):
            hidden = self[field_name]._abs_hidden_from_seat_member()
            for partner in self:
                if partner[field_name] & hidden:
                    partner[field_name] = False
        return result

    def _compute_display_name(self):
        # Odoo names a record's many2one as superuser, in the caller's context, whose keys add the
        # partner's address, e-mail and tax id to its name: a seat member is given only the name
        # of a partner they may not read, as a many2one always shows it
        result = super()._compute_display_name()
        if any(self.env.context.get(key) for key in DISPLAY_NAME_DETAIL_KEYS):
            # the name Odoo gives without those keys (not read through the field, which is being
            # computed for these records whatever the context)
            for partner in self._abs_hidden_from_seat_member():
                partner.display_name = partner.with_context(lang=self.env.lang)._get_complete_name().strip()
        return result

    def _compute_abs_assignment_count(self):
        counts = dict(
            self.env["ov.sa_customer_assignment"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.abs_assignment_count = counts.get(partner, 0)

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        # A seat member's page in the contact lists' order, driven from their assignment rows when
        # it can be (see _abs_seat_page_query); the Query returned is then read as Odoo reads its own.
        page = self._abs_seat_page_query(domain, offset, limit, order)
        if page is not None:
            return page
        return super()._search(domain, offset=offset, limit=limit, order=order)

    @api.model
    def search_count(self, domain, limit=None):
        # A seat member's bounded count, driven from their assignment rows when it can be (see
        # _abs_seat_count_sql); otherwise tells the seat-member rule that this search is a count
        # (see _abs_seat_domain).
        driven = self._abs_seat_count_sql(domain, limit)
        if driven is not None:
            return self.env.execute_query(driven)[0][0]
        return super(ResPartner, self.with_context(abs_seat_counting=True)).search_count(domain, limit=limit)

    def write(self, vals):
        # Odoo's rights first: the checks below read users and employees as superuser and name
        # them, and archiving a governed customer does not reach super().write()
        self.check_access("write")
        self._abs_check_company_kept(vals)
        first_email = self.browse()
        previous_emails = {}
        if "email" in vals:
            self._abs_check_member_login_not_redirected(vals["email"])
            self._abs_check_employee_login_free(vals["email"])
            changed_by_owner = self._abs_check_portal_login_not_redirected(vals["email"])
            previous_emails = {user: user.email for user in changed_by_owner}
            first_email = self._abs_governed_without_email()
        flipping = self._abs_governed_active_flips(vals)
        result = self._abs_write_archiving_governed(vals, flipping) if flipping else super().write(vals)
        if first_email:
            first_email._abs_invite_on_first_email()
        for user, old_email in previous_emails.items():
            user._abs_notify_previous_email(old_email)
        return result

    def _abs_governed_without_email(self):
        # Whoever edits the e-mail (API proxy, salesperson) was already allowed to write this customer.
        return self.browse(
            elevate(self, "the stamps are internal fields")
            .filtered(lambda partner: partner.x_sa_id and partner.active and not partner.email_normalized)
            .ids
        )

    def _abs_invite_on_first_email(self):
        """A governed customer created without e-mail is invited when they first get one,
        as they would have been at creation (the "on creation" setting of their account)."""
        for customer in self:
            if not elevate(customer, "the invitation needs the address, whoever set it").email_normalized:
                continue
            if customer._abs_portal_onboarding_enabled("on_create") and not customer._abs_own_users():
                customer._abs_grant_portal_access()

    def _abs_write_archiving_governed(self, vals, flipping):
        # Archiving or restoring a governed customer from any screen or RPC call goes
        # through the same lifecycle as the API: authority, portal users, event.
        if self - flipping:
            super(ResPartner, self - flipping).write(vals)
        rest = {fname: value for fname, value in vals.items() if fname != "active"}
        if rest:
            super(ResPartner, flipping).write(rest)
        flipping._abs_set_governed_active(bool(vals["active"]))
        return True

    def _abs_governed_active_flips(self, vals):
        """The governed customers in ``self`` whose archived state ``vals`` changes."""
        # the lifecycle's own write, elevated once its checks passed; an RPC caller's context
        # could carry the flag too, so it counts only for superuser code
        lifecycle = self.env.su and self.env.context.get("abs_lifecycle_write")
        if "active" not in vals or lifecycle or not self.ids:
            return self.browse()
        governed = (
            self._abs_assignment_admin()
            .search([("partner_id", "in", self.ids), ("state", "=", "active")])
            .partner_id
        )
        return self.filtered(lambda partner: partner in governed and partner.active != bool(vals["active"]))

    def _abs_set_governed_active(self, active):
        actor = self.env["ov.membership"]._abs_back_office_actor()
        for customer in self._abs_known_to_back_office_user():
            sa = customer._abs_home_account()
            if active:
                customer._abs_unarchive_governed_customer(sa, actor)
            else:
                customer._abs_archive_governed_customer(sa, actor)

    def _abs_known_to_back_office_user(self):
        """These contacts, for a lifecycle change made from Odoo's own screens or over RPC, once
        the user may know of them: a refusal then names nothing the user could not read
        (the customer's account, whether the contact exists).

        :raise AccessError: a portal or public user, whatever the contacts: no back-office
            change is theirs to make.
        :raise MissingError: a contact that does not exist, or that Odoo's own rules do not let
            the user read: the same answer for both.
        """
        if self.env.su:
            return self
        if self.env.user.share:
            raise AccessError(_("Only internal users change customers from the back office."))
        if set(self.exists()._filtered_access("read").ids) != set(self.ids):
            raise MissingError(_("Customer not found."))
        return self

    def _abs_home_account(self):
        """The account a back-office change of this customer belongs to: its V2 account
        when it is still governed there, else its oldest active assignment's."""
        self.ensure_one()
        rows = self._abs_assignment_admin().search(
            [("partner_id", "=", self.id), ("state", "=", "active")], order="date_from, id"
        )
        v2_account = elevate(self, "the stamps are internal fields").x_sa_id
        stamped = rows.filtered(lambda row: row.account_id == v2_account)
        return (stamped or rows)[:1].account_id

    def _abs_portal_users_changing_email(self, email):
        """The active portal users of these partners whose address ``email`` would change."""
        new = email_normalize(email or "", strict=True) or False
        partners = elevate(self, "whoever edits the address may not read users").filtered(
            lambda partner: partner.email_normalized != new
        )
        return partners.user_ids.filtered(lambda user: user.active and user.share and not user._is_public())

    def _abs_check_portal_login_not_redirected(self, email):
        """A customer's portal account is reached through their e-mail (password reset, sign-in
        notices): only the customer changes it, from their portal account.

        :returns: the portal users changing their own address (their old one is told).
        :raise GovernanceConflict: anyone else changes the address of a customer with portal access.
        """
        users = self._abs_portal_users_changing_email(email)
        if not users:
            return users
        others = users.filtered(lambda user: user != self.env.user)
        if others:
            customer = others[0].partner_id
            raise GovernanceConflict(
                _(
                    "%(name)s signs in to the customer portal with this e-mail address, so only they "
                    "can change it, from their portal account (My Account). Nothing was changed.",
                    name=customer.name,
                ),
                details={"field": "email", "reason": "portal_login"},
            )
        return users

    @api.model
    def _abs_stamp_fields(self):
        return (*super()._abs_stamp_fields(), "x_assigned_employee_id")

    def _abs_check_company_kept(self, vals):
        """A governed customer belongs to its account's company: Odoo's multi-company rule then
        keeps other companies' users out. Only governance moves it (or a Governance Manager).

        :raise AccessError: another company (or none) for a customer with an active assignment.
        """
        if "company_id" not in vals or self._abs_may_set_governance():
            return
        rows = self._abs_assignment_admin().search([("partner_id", "in", self.ids), ("state", "=", "active")])
        if any(row.account_id.company_id.id != vals["company_id"] for row in rows):
            raise AccessError(
                _(
                    "A customer of a Service Account belongs to the account's company; only a "
                    "Governance Manager moves it to another one. Nothing was changed."
                )
            )

    def _abs_check_member_login_not_redirected(self, email):
        """A member's e-mail is their sign-in to the API (and where their activation and
        federated sign-in lead): only a Governance Manager changes it. Anyone else who may edit
        the contact (an agent or staff over the API, a salesperson on its form) would otherwise
        point someone else's identity at an address they own.

        :raise GovernanceConflict: the address of a person with an identity changes, by anyone
            but a Governance Manager or the system.
        """
        if self.env.su or self.env.user.has_group("abs_connector.group_abs_governance_manager"):
            return
        new = email_normalize(email or "", strict=True) or False
        changing = elevate(self, "whoever edits the address may not read identities").filtered(
            lambda partner: partner.email_normalized != new
        )
        Employee = self.env["abs.employee"]._abs_employee_admin()
        if changing and Employee.search_count([("partner_id", "in", changing.ids)], limit=1):
            raise GovernanceConflict(
                _(
                    "This contact's e-mail address is also a member's sign-in, so only a Governance "
                    "Manager can change it. Nothing was changed."
                ),
                details={"field": "email", "reason": "member_login"},
            )

    def _abs_check_employee_login_free(self, email):
        """A person's e-mail is their sign-in: refuse one another employee signs in with."""
        login = email_normalize(email or "", strict=True)
        if not login:
            return
        Employee = self.env["abs.employee"]._abs_employee_admin()
        mine = Employee.search([("partner_id", "in", self.ids)])
        if not mine:
            return
        other = Employee.search([("login", "=", login), ("id", "not in", mine.ids)], limit=1)
        if other:
            # names nobody: the caller may not know who signs in with this address
            raise ValidationError(
                _(
                    "%(email)s is already someone else's sign-in address; two people cannot share one.",
                    email=login,
                )
            )

    # ---- helpers ----

    @api.model
    def _abs_check_governance_vals(self, vals):
        forbidden = sorted(set(vals) & _GOVERNANCE_FIELDS)
        if forbidden:
            raise ValidationError(
                _("These fields are set by governance, not directly: %s", ", ".join(forbidden))
            )

    @api.model
    def _abs_seat_domain(self, contexts):
        """The partners a seat member with ``contexts`` sees on Odoo's own screens: every
        partner without a Service Account (companies, vendors, users, contacts), their own, and
        the governed customers one of their memberships shows through the API -- one sub-select
        on the assignment table, built by the visibility helper, never a list of ids.

        Its SQL shape follows how many customers the member sees, so that PostgreSQL can drive
        the query from the smaller side (docs/performance.md, "Seat users on Odoo's own screens").
        """
        shown = self._abs_assignment_admin()._where_calc(
            visibility.seat_assignment_domain(contexts), active_test=False
        )
        own = self.env.user.partner_id.id
        few = self._abs_seat_sees_few(contexts)
        if not few and self.env.context.get("abs_seat_counting"):
            # a count must test every row it counts: through the set, unless the member sees
            # so large a share of the partners that the count stops early anyway
            few = self._abs_seat_estimated_share(shown) < _ABS_SEAT_COUNT_SHARE
        if few:
            return [("id", "in", self._abs_seat_union(shown, own, contexts))]
        return [("id", "in", self._abs_seat_filter(shown, own, contexts))]

    @api.depends(
        "x_sa_id",
        "assignment_ids.state",
        "assignment_ids.actor_id",
        "assignment_ids.account_id",
        "commercial_partner_id.x_sa_id",
        "commercial_partner_id.assignment_ids.state",
        "commercial_partner_id.assignment_ids.actor_id",
        "commercial_partner_id.assignment_ids.account_id",
    )
    @api.depends_context("uid")
    def _compute_abs_seat_visible(self):
        # Odoo's access check reads this field on every partner a screen reads (a page, a form):
        # one query on the assignment rows of the governed ones among them (and of the customers
        # of the contacts among them), not the rule's search
        contexts = self.env.user._abs_seat_contexts()
        partners = elevate(self, "the user's other record rules are not what this field tells")
        customers = {partner: partner._abs_seat_customer() for partner in partners}
        shown = self._abs_seat_shown_customer_ids(contexts, customers.values())
        for partner, elevated in zip(self, partners, strict=True):
            customer = customers[elevated]
            hidden = contexts is not None and bool(customer) and customer.id not in shown
            partner.abs_seat_visible = bool(partner._origin.id) and not hidden

    @api.model
    def _abs_seat_shown_customer_ids(self, contexts, customers):
        """The ids of ``customers`` whose rows the memberships ``contexts`` show (one query)."""
        asked = [customer.id for customer in customers if customer.id]
        if contexts is None or not asked:
            return set()
        rows = expression.AND([[("partner_id", "in", asked)], visibility.seat_assignment_domain(contexts)])
        return set(self._abs_assignment_admin().search_fetch(rows, ["partner_id"]).partner_id.ids)

    def _abs_seat_customer(self):
        """The governed customer whose assignment rows decide whether a seat member sees this
        partner (see _abs_seat_ungoverned_sql): itself when governed, its commercial partner when
        it is a contact or an address of a governed customer; none for the member's own partner
        and the partners no Service Account concerns."""
        if self._origin.id == self.env.user.partner_id.id:
            return self.browse()
        if self.x_sa_id:
            return self._origin
        commercial = self.commercial_partner_id
        if commercial and commercial._origin != self._origin and commercial.x_sa_id:
            return commercial._origin
        return self.browse()

    @api.model
    def _abs_seat_sees_few(self, contexts):
        """Whether the assignment rows ``contexts`` see are fewer than _ABS_SEAT_FEW: a bounded
        count, range after range of the index (a row two memberships see counts twice)."""
        ranges = [rows.select("1") for rows in self._abs_seat_row_queries(contexts)]
        if not ranges:
            return True
        bounded = SQL(
            "SELECT count(*) FROM (SELECT 1 FROM (%s) AS abs_seat_rows LIMIT %s) AS few",
            SQL(" UNION ALL ").join(ranges),
            _ABS_SEAT_FEW,
        )
        return self.env.execute_query(bounded)[0][0] < _ABS_SEAT_FEW

    @api.model
    def _abs_seat_estimated_share(self, shown):
        """PostgreSQL's estimate of the assignment rows of ``shown``, as a share of the partners
        (planner statistics: no row is read)."""
        return self._abs_estimated_rows(shown.select("1")) / self._abs_estimated_partners()

    @api.model
    def _abs_estimated_rows(self, select):
        """How many rows PostgreSQL expects ``select`` to return (its plan: no row is read)."""
        plan = self.env.execute_query(SQL("EXPLAIN (FORMAT JSON) %s", select))[0][0]
        return plan[0]["Plan"]["Plan Rows"]

    @api.model
    def _abs_estimated_partners(self):
        """How many partners there are, by PostgreSQL's statistics (at least one)."""
        partners = self.env.execute_query(
            SQL("SELECT reltuples FROM pg_class WHERE oid = 'res_partner'::regclass")
        )
        return max(partners[0][0], 1)

    @api.model
    def _abs_seat_union(self, shown, own, contexts):
        """Few customers: ``ungoverned UNION ALL shown UNION ALL own``, a set PostgreSQL builds
        first and joins to, instead of scanning every partner."""
        alias = SQL.identifier("abs_seat_ungoverned")
        ungoverned = SQL(
            "SELECT %s.id FROM res_partner AS %s WHERE %s",
            alias,
            alias,
            self._abs_seat_ungoverned_sql(alias, own, contexts),
        )
        partner_ids = shown.subselect(SQL.identifier(shown.table, "partner_id"))
        return SQL("(%s UNION ALL %s UNION ALL SELECT %s)", ungoverned, partner_ids, own)

    @api.model
    def _abs_seat_filter(self, shown, own, contexts):
        """Many customers: a test of each partner (no Service Account, their own, or an
        assignment row ``shown`` holds for it, found by index), so that a list stops after its
        page and a read of a few partners looks at those only."""
        alias = SQL.identifier("abs_seat_partner")
        shown.add_where(SQL("%s = %s", SQL.identifier(shown.table, "partner_id"), SQL("%s.id", alias)))
        return SQL(
            "(SELECT %(p)s.id FROM res_partner AS %(p)s"
            " WHERE %(ungoverned)s OR %(p)s.id = %(own)s OR EXISTS %(shown)s)",
            p=alias,
            ungoverned=self._abs_seat_ungoverned_sql(alias, own, contexts),
            own=own,
            shown=shown.subselect("1"),
        )

    @api.model
    def _abs_seat_ungoverned_sql(self, alias, own, contexts):
        """Whether the partner ``alias`` (the SQL alias of its row) is one without a Service
        Account that a seat member sees: not a contact or an address of a governed customer
        (they carry no Service Account of their own, and their name is their customer's), or
        one of a customer their memberships show, or their own partner. One test of the partner's
        own columns for most partners; a probe of its commercial partner, then of the member's
        assignment rows, for a contact of a governed customer only."""
        # raw columns below: what the ORM still holds for them must be in the table first
        self.flush_model(["x_sa_id", "commercial_partner_id"])
        commercial = SQL("%s.commercial_partner_id", alias)
        shown = self._abs_assignment_admin()._where_calc(
            visibility.seat_assignment_domain(contexts), active_test=False
        )
        shown.add_where(SQL("%s = %s", SQL.identifier(shown.table, "partner_id"), commercial))
        # OFFSET 0 keeps each test a probe of the one contact's customer: without it, PostgreSQL
        # may hash every row the member sees (a whole account's) before the first partner
        return SQL(
            "(%(p)s.x_sa_id IS NULL AND (%(c)s = %(p)s.id OR %(c)s IS NULL OR %(p)s.id = %(own)s"
            " OR NOT EXISTS (SELECT 1 FROM res_partner AS abs_commercial"
            " WHERE abs_commercial.id = %(c)s AND abs_commercial.x_sa_id IS NOT NULL OFFSET 0)"
            " OR EXISTS (%(shown)s OFFSET 0)))",
            p=alias,
            c=commercial,
            own=own,
            shown=shown.select("1"),
        )

    @api.model
    def _abs_seat_count_sql(self, domain, limit):
        """A seat member's count of the partners matching ``domain``, up to ``limit``, that never
        builds their whole visible set: disjoint parts read one after the other until the bound
        -- the partners without a Service Account, the member's assignment rows (index ranges,
        each row's partner checked by its primary key against ``domain`` and Odoo's other
        rules), their own partner. Only when no customer can have two of the rows the member
        sees (one membership that reads customers, in its account only): rows then count
        customers (docs/performance.md, "Seat users on Odoo's own screens").

        :returns: the SQL, or None when Odoo's own count applies (no bound, not a seat member,
            memberships whose rows may overlap, a seat rule changed by hand).
        """
        if not limit or self.env.su:
            return None
        contexts = self.env.user._abs_seat_contexts()
        if contexts is None or not visibility.seat_rows_are_distinct(contexts):
            return None
        self.browse().check_access("read")
        query = self._where_calc(domain)
        if not self._abs_apply_rules_but_seat(query):
            return None
        from_rows = self._abs_seat_count_reads_rows_first(domain, query, limit)
        parts = self._abs_seat_count_parts(query, self._abs_seat_row_queries(contexts), from_rows, contexts)
        return SQL(
            "SELECT count(*) FROM (SELECT 1 FROM (%s) AS abs_seat_parts LIMIT %s) AS abs_seat_bounded",
            SQL(" UNION ALL ").join(parts),
            limit,
        )

    @api.model
    def _abs_apply_rules_but_seat(self, query):
        """Odoo's record rules on ``query``, as ``_apply_ir_rules`` applies them, except the
        seat-member condition, whose caller applies it in another form.

        :returns: False, with nothing applied, when that condition is not one of the terms the
            rules AND together (a rule changed by hand).
        """
        domain = list(self.env["ir.rule"]._compute_domain(self._name, "read"))
        seat_terms = [
            i for i in visibility.and_term_positions(domain) if visibility.is_seat_rule_term(domain[i])
        ]
        if len(seat_terms) != 1:
            return False
        domain[seat_terms[0]] = expression.TRUE_LEAF
        rules_model = elevate(self, "rule domains are evaluated as superuser, as _apply_ir_rules does")
        expression.expression(domain, rules_model, self._table, query)
        return True

    @api.model
    def _abs_seat_count_reads_rows_first(self, domain, query, limit):
        """Whether a seat member's count reads their assignment rows first, each partner then
        probed by its primary key, rather than the partners ``query`` (the caller's ``domain``
        under Odoo's other rules) matches first.

        Rows first reads about ``limit`` x partners / matching rows before it reaches the bound;
        partners first reads the matching partners (through the index of the caller's filter).
        The first is fewer when matching x matching >= limit x partners: an unfiltered list (no
        estimate asked), or a filter most partners pass; a selective search goes the other way."""
        if not domain:
            return True
        matching = self._abs_estimated_rows(_select_one(query))
        return matching * matching >= limit * self._abs_estimated_partners()

    @api.model
    def _abs_seat_count_parts(self, query, row_queries, from_rows, contexts):
        """The disjoint selects whose rows a seat member's count adds up: the rows of each of
        ``row_queries`` whose partner ``query`` matches (a governed partner, not their own); their
        own partner, if governed; ``query``'s partners without a Service Account that they see.

        :param from_rows: read the rows first (see _abs_seat_count_reads_rows_first); otherwise
            PostgreSQL joins them as it plans best.
        """
        own = self.env.user.partner_id.id
        partner_id = SQL.identifier(query.table, "id")
        sa_id = self._field_to_sql(query.table, "x_sa_id", query)
        governed = SQL("%s IS NOT NULL", sa_id)
        # OFFSET 0 keeps the probe per row: PostgreSQL can then neither hash every partner the
        # caller's filter matches nor read them first
        fence = SQL(" OFFSET 0") if from_rows else SQL()
        for rows in row_queries:
            probe = _select_one(
                query,
                governed,
                SQL("%s <> %s", partner_id, own),
                SQL("%s = %s", partner_id, SQL.identifier(rows.table, "partner_id")),
            )
            rows.add_where(SQL("EXISTS (%s%s)", probe, fence))
        ungoverned = self._abs_seat_ungoverned_sql(SQL.identifier(query.table), own, contexts)
        # the rows first: a member who sees as many customers as the bound never reads the
        # partners without a Service Account, among which the contacts of customers they do not
        # see each need a test
        return [
            *(rows.select("1") for rows in row_queries),
            _select_one(query, governed, SQL("%s = %s", partner_id, own)),
            _select_one(query, ungoverned),
        ]

    @api.model
    def _abs_seat_page_query(self, domain, offset, limit, order):
        """A seat member's page of the partners matching ``domain`` in the model's order
        (``complete_name``, then id descending), read without walking every partner they may see:
        a merge, in that order, of the partners without a Service Account (from their own index),
        the member's assignment rows (each index range in name order, by the sort name the rows
        carry; each row's partner probed by primary key under ``domain`` and Odoo's other rules)
        and their own partner; each part stops after ``offset + limit`` rows. Only when no
        customer can have two of the rows the member sees, as for the bounded count (see
        _abs_seat_count_sql); the rows and their order are those of Odoo's own search
        (docs/performance.md, "Seat users on Odoo's own screens").

        :returns: a ``Query`` of the page, whose ``res_partner`` alias is the partner's row, or
            None when Odoo's own search applies (no limit, another order, not a seat member,
            memberships whose rows may overlap, a seat rule changed by hand, a selective filter).
        """
        if not limit or self.env.su or order != self._order:
            return None
        contexts = self.env.user._abs_seat_contexts()
        if contexts is None or not visibility.seat_rows_are_distinct(contexts):
            return None
        self.browse().check_access("read")
        if expression.is_false(self, domain):
            return None
        query = self._where_calc(domain)
        if not self._abs_apply_rules_but_seat(query):
            return None
        bound = (offset or 0) + limit
        # a search that keeps few partners: Odoo's own query reads those first, through its index
        if not self._abs_seat_count_reads_rows_first(domain, query, bound):
            return None
        parts = self._abs_seat_page_parts(query, self._abs_seat_row_queries(contexts), bound, contexts)
        page = Query(self.env, self._table, SQL("(%s)", SQL(" UNION ALL ").join(parts)))
        # the order of each part, so that PostgreSQL merges them as they come (no sort of them all)
        page.order = SQL(
            "%s, %s DESC",
            SQL.identifier(self._table, _ABS_SORT_KEY),
            SQL.identifier(self._table, _ABS_DRIVING_ID),
        )
        page.limit, page.offset = limit, offset
        return page

    @api.model
    def _abs_seat_page_parts(self, query, row_queries, bound, contexts):
        """The disjoint parts of a seat member's name-ordered page (those of the bounded count:
        see _abs_seat_count_parts), each a select of ``(sort key, partner id, the partner's row)``
        in the page's order, up to ``bound`` rows."""
        own = self.env.user.partner_id.id
        partner_id = SQL.identifier(query.table, "id")
        # through the ORM, so that a rename not yet written is written (and passed to the rows'
        # sort names) before the page is read, as Odoo's own ORDER BY does
        complete_name = self._field_to_sql(query.table, "complete_name", query)
        sa_id = self._field_to_sql(query.table, "x_sa_id", query)
        governed = SQL("%s IS NOT NULL", sa_id)
        whole_row = SQL("%s.*", SQL.identifier(query.table))
        Assignment = self.env["ov.sa_customer_assignment"]

        def page_row(sort_key, driving_id, row):
            return SQL(
                "%s AS %s, %s AS %s, %s",
                sort_key,
                SQL.identifier(_ABS_SORT_KEY),
                driving_id,
                SQL.identifier(_ABS_DRIVING_ID),
                row,
            )

        def partners(*conditions):
            select = _select(query, page_row(complete_name, partner_id, whole_row), *conditions)
            return SQL("(%s ORDER BY %s, %s DESC LIMIT %s)", select, complete_name, partner_id, bound)

        selects = [partners(self._abs_seat_ungoverned_sql(SQL.identifier(query.table), own, contexts))]
        for rows in row_queries:
            sort_name = SQL.identifier(rows.table, "abs_sort_name")  # the database writes it, not the ORM
            customer = Assignment._field_to_sql(rows.table, "partner_id", rows)
            probe = _select(
                query,
                whole_row,
                governed,
                SQL("%s <> %s", partner_id, own),
                SQL("%s = %s", partner_id, customer),
            )
            # OFFSET 0 keeps the probe per row, in the rows' order (see _abs_seat_count_parts)
            rows.add_join("JOIN", _ABS_PROBED, SQL("LATERAL (%s OFFSET 0)", probe), SQL("TRUE"))
            rows.order = SQL("%s, %s DESC", sort_name, customer)
            rows.limit = bound
            probed = SQL("%s.*", SQL.identifier(_ABS_PROBED))
            selects.append(SQL("(%s)", rows.select(page_row(sort_name, customer, probed))))
        selects.append(partners(governed, SQL("%s = %s", partner_id, own)))
        return selects

    @api.model
    def _abs_seat_row_queries(self, contexts):
        """One query per index range of the assignment rows ``contexts`` see."""
        assignments = self._abs_assignment_admin()
        return [
            assignments._where_calc(rows, active_test=False)
            for rows in visibility.seat_assignment_ranges(contexts)
        ]

    def _abs_assignment_admin(self):
        return self.env["ov.sa_customer_assignment"]._abs_history_admin()

    def _abs_partner_reader(self):
        return elevate(self, "the governance domain decides visibility, not the API proxy's rights")

    @api.model
    def _abs_visible_customers(self, sa, actor_partner, capability, ids, include_archived=False):
        """The customers among ``ids`` that ``actor_partner`` may act on in ``sa``.

        A system call (no actor) sees every customer with an active assignment in ``sa``.
        :raise AccessError: the actor's role does not grant ``capability``.
        """
        ctx = self.env["ov.membership"]._abs_check_actor(actor_partner, sa, capability)
        domain = visibility.customer_domain(ctx) if ctx else visibility.account_customer_domain(sa.id)
        found = (
            self._abs_partner_reader()
            .with_context(active_test=not include_archived)
            .search([("id", "in", list(ids)), *domain])
        )
        return self.browse(found.ids)

    # ---- lists driven from the assignment rows (docs/performance.md#lists) ----

    @api.model
    def _abs_customers_from_assignments(self, branches, limit, descending=False):
        """A query of the partners an active row of ``branches`` holds, among those Odoo's own
        search would return (active test, record rules), in id order -- driven from the rows.

        ``branches`` are domains on ``ov.sa_customer_assignment`` that never share a customer
        (``visibility.disjoint_assignment_domains``). Each is read in customer order from its own
        index, each of its customers tested by primary key, up to ``limit`` of them; the branches
        are then merged in order. A page so stops after its rows instead of walking every partner
        to find the few the caller sees. The rows and their order are those of
        ``search([("assignment_ids", "any", any_of(branches))], order="id")``, up to ``limit``.

        :param limit: how many partners the caller may read at most (a page's offset and rows):
            each branch stops there. A bounded count is ``DrivenCustomers.count``.
        :returns: an Odoo ``Query`` of partner ids whose ``res_partner`` alias is the partner's
            row; the caller sets its limit and offset.
        """
        return self._abs_driven_customers(branches).query(limit, descending)

    @api.model
    def _abs_driven_customers(self, branches):
        """:meth:`_abs_customers_from_assignments`, compiled once for the page and the count of
        one list (see ``DrivenCustomers``)."""
        return DrivenCustomers(self, branches)

    def _abs_ensure_visible(self, sa, actor_partner, capability, include_archived=False):
        """Check the actor sees this customer, then that their role grants ``capability``.

        Visibility comes first: a customer the actor cannot see answers exactly like a
        missing one, whatever their role may or may not do to it.

        :raise MissingError: the actor cannot see it.
        :raise AccessError: the actor sees it, but their role does not grant ``capability``.
        """
        self.ensure_one()
        if not self._abs_visible_customers(sa, actor_partner, "read_customers", self.ids, include_archived):
            # the same answer as a customer that does not exist (docs/adr/0004-one-visibility-helper.md)
            raise MissingError(_("Customer not found."))
        self.env["ov.membership"]._abs_check_actor(actor_partner, sa, capability)

    def _abs_duplicate_details(self, sa, actor_partner):
        """What a duplicate-e-mail answer may say about the duplicate: its id only when the
        actor sees it (a hidden customer is never named or numbered)."""
        if not self or not self._abs_visible_customers(sa, actor_partner, "read_customers", self.ids):
            return {}
        return {"partner_id": self.id}

    def _abs_home_assignment(self, sa, actor_partner, capability):
        """The active assignment through which the actor reaches this customer from ``sa``.

        It is the row in ``sa`` itself, or -- for a member whose hierarchy scope covers
        sub-accounts -- the row of the sub-account the customer belongs to: changes, history
        rows and events then belong to that sub-account, as if made from there.

        :raise MissingError: the actor does not see this customer from ``sa``.
        """
        self.ensure_one()
        ctx = self.env["ov.membership"]._abs_check_actor(actor_partner, sa, capability)
        domain = visibility.assignment_domain(ctx) if ctx else visibility.account_assignment_domain(sa.id)
        rows = self._abs_assignment_admin().search([("partner_id", "=", self.id), *domain], order="id")
        if not rows:
            raise MissingError(_("Customer not found."))
        return rows.sorted(lambda row: row.account_id != sa)[:1]

    def _abs_active_assignment_in(self, sa, ctx):
        """The customer's active assignment in ``sa`` -- or, for a member whose scope covers
        sub-accounts, in the sub-account that holds the customer."""
        self.ensure_one()
        if ctx is None:
            scope = [("account_id", "=", sa.id), ("state", "=", "active")]
        else:
            scope = visibility.assignment_domain(dataclasses.replace(ctx, policy="sa_wide"))
        return self._abs_assignment_admin().search([("partner_id", "=", self.id), *scope], limit=1)

    @api.model
    def _abs_find_customer_by_email(self, sa, email):
        normalized = email_normalize(email or "")
        if not normalized:
            return self.browse()
        return self._abs_partner_reader().search(
            [
                ("email_normalized", "=", normalized),
                *visibility.account_customer_domain(sa.id),
            ],
            limit=1,
        )

    def _abs_check_email_free(self, sa, email, actor_partner=None):
        """Refuse an e-mail another customer of ``sa`` has -- also against a request creating
        that customer at this very moment: both write the same serialization key, so the
        database lets one commit and replays the other, which then finds the first's customer.

        :raise GovernanceConflict: another customer of ``sa`` has this e-mail (its id only
            when ``actor_partner`` sees it).
        """
        normalized = email_normalize(email or "")
        if not normalized:
            return
        self.env["abs.serialization_key"]._abs_serialize_on(f"customer-email:{sa.id}:{normalized}")
        duplicate = self._abs_find_customer_by_email(sa, normalized)
        if duplicate and duplicate not in self:
            raise GovernanceConflict(
                _("A customer with this e-mail already exists in %(sa)s.", sa=sa.name),
                details=duplicate._abs_duplicate_details(sa, actor_partner),
            )

    # ---- lifecycle (docs/customer-lifecycle.md, Stages 1, 3, 6) ----

    @api.model
    def _abs_create_governed_customer(self, sa, vals, actor_partner, portal_access=True):
        """Create a customer in ``sa``: V2 stamps and the V3 assignment, in one transaction.

        The creator is the actor (docs/customer-lifecycle.md, Stage 1) when their role holds
        customers; otherwise (finance, system call) the customer starts unassigned.
        With ``portal_access``, the Service Account / company setting decides whether
        the customer is invited to the portal.

        :raise GovernanceConflict: a customer with that e-mail is already in ``sa``.
        :raise AccessError: the actor may not create customers in ``sa``.
        :raise ValidationError: inactive account, governance fields in ``vals``.
        """
        self._abs_check_governance_vals(vals)
        if not sa or sa.state != "active":
            raise ValidationError(_("Customers can only be created in an active Service Account."))
        ctx = self.env["ov.membership"]._abs_check_actor(actor_partner, sa, "create_customers")
        self._abs_check_email_free(sa, vals.get("email"), actor_partner)
        recorded = self.env["ov.membership"]._abs_recorded_actor(actor_partner)
        holder, employee = self._abs_first_holder(ctx, actor_partner)
        customer = self.create(
            {
                **vals,
                # Customers belong to their account's company: Odoo's multi-company
                # rule on contacts keeps other companies' users out.
                "company_id": sa.company_id.id,
                "x_sa_id": sa.id,
                "x_actor_id": holder.id or False,
                "x_assigned_employee_id": employee.id or False,
            }
        )
        assignment = self._abs_assignment_admin().create(
            {
                "account_id": sa.id,
                "partner_id": customer.id,
                "actor_id": holder.id or False,
                "state": "active",
                "date_from": fields.Datetime.now(),
                "assigned_by_id": recorded.id if recorded else False,
            }
        )
        customer._abs_emit_created(sa, recorded, assignment, holder)
        if portal_access and sa._abs_portal_trigger_enabled("on_create"):
            customer._abs_grant_portal_access()
        return customer

    @api.model
    def _abs_first_holder(self, ctx, actor_partner):
        """``(holder partner, their employee)`` of a new customer: the creator when their role
        holds customers, else nobody (both empty)."""
        if not (ctx and ctx.can("hold_customers")):
            return self.browse(), self.env["abs.employee"]
        membership = self.env["ov.membership"]._abs_reader().browse(ctx.membership_id)
        # A revocation of the holder running at the same moment either sees this customer
        # and releases it, or makes this request replay and be refused.
        membership._abs_serialize_with_lifecycle()
        return actor_partner, membership.employee_id

    def _abs_emit_created(self, sa, recorded, assignment, holder):
        self.env["abs.event.outbox"]._emit(
            "customer.created",
            sa,
            self,
            recorded,
            {
                "name": self.name,
                "email": self.email or None,
                "phone": self.phone or None,
                "assignment_id": assignment.id,
                "actor_id": holder.id or None,
            },
        )

    def _abs_update_governed_customer(self, vals, sa, actor_partner):
        """Update a customer the actor can see in ``sa`` (docs/customer-lifecycle.md, Stage 3).

        :raise MissingError: the actor cannot see it (answers like a missing one).
        :raise ValidationError: governance fields in ``vals``.
        """
        self.ensure_one()
        self._abs_check_governance_vals(vals)
        self._abs_ensure_visible(sa, actor_partner, "write_customers")
        sa = self._abs_home_assignment(sa, actor_partner, "write_customers").account_id
        if "email" in vals and email_normalize(vals["email"] or "") != self.email_normalized:
            self._abs_check_email_free(sa, vals["email"], actor_partner)
        self.write(vals)
        changed = {fname: self._abs_event_value(fname) for fname in vals}
        recorded = self.env["ov.membership"]._abs_recorded_actor(actor_partner)
        self.env["abs.event.outbox"]._emit("customer.updated", sa, self, recorded, {"changed": changed})
        return True

    def _abs_event_value(self, fname):
        value = self[fname]
        field = self._fields[fname]
        if field.type == "many2one":
            return value.id or None
        if field.type in ("one2many", "many2many"):
            return value.ids
        if field.type in ("date", "datetime"):
            return fields.Datetime.to_string(value) if value else None
        return value if value is not False or field.type == "boolean" else None

    def _abs_archive_governed_customer(self, sa, actor_partner):
        """Archive a customer (docs/customer-lifecycle.md, Stage 6): its portal users first, then
        the partner; the assignment row stays as history."""
        self.ensure_one()
        self._abs_ensure_visible(sa, actor_partner, "archive_customers")
        assignment = self._abs_home_assignment(sa, actor_partner, "archive_customers")
        sa = assignment.account_id
        self._abs_archive_portal_users()
        self._abs_lifecycle_write({"active": False})
        recorded = self.env["ov.membership"]._abs_recorded_actor(actor_partner)
        self.env["abs.event.outbox"]._emit(
            "customer.archived",
            sa,
            self,
            recorded,
            {
                "assignment_id": assignment.id or None,
            },
        )
        return True

    def _abs_unarchive_governed_customer(self, sa, actor_partner):
        """Bring an archived customer back, with the portal users archived with it."""
        self.ensure_one()
        self._abs_ensure_visible(sa, actor_partner, "archive_customers", include_archived=True)
        sa = self._abs_home_assignment(sa, actor_partner, "archive_customers").account_id
        if self.active:
            raise UserError(_("%(name)s is not archived.", name=self.name))
        self._abs_lifecycle_write({"active": True})
        self.env["abs.event.outbox"]._emit(
            "customer.updated",
            sa,
            self,
            self.env["ov.membership"]._abs_recorded_actor(actor_partner),
            {"changed": {"active": True}},
        )
        self._abs_restore_portal_users()
        return True

    def _abs_lifecycle_write(self, vals):
        """The lifecycle's own write of a customer, once it checked the actor's authority: as
        superuser (the actor may not write every field it clears), and not through the archiving
        lifecycle again (see _abs_governed_active_flips)."""
        elevate(self, "the lifecycle checked the actor's authority").with_context(
            abs_lifecycle_write=True
        ).write(vals)

    def _abs_erase_governed_customer(self, sa, actor_partner):
        """Right to erasure: scrub this customer's personal data, keep its history.

        Personal fields are cleared and the name replaced; its portal users are
        anonymised and archived; the events about it not yet published lose their
        personal values; the customer is archived; assignment rows stay, pointing at
        the anonymised partner. Publishes customer.erased (no personal data).

        :raise MissingError: the actor does not see this customer (answers like a missing one).
        :raise AccessError: the actor's role may not archive customers.
        """
        self.ensure_one()
        self._abs_ensure_visible(sa, actor_partner, "archive_customers", include_archived=True)
        assignment = self._abs_home_assignment(sa, actor_partner, "archive_customers")
        erased_name = _("Erased customer %(id)s", id=self.id)
        self._abs_anonymise_portal_users(erased_name)
        self.env["abs.event.outbox"]._abs_scrub_personal_data(self, erased_name)
        vals = {fname: False for fname in _ERASED_FIELDS if fname in self._fields}
        self._abs_lifecycle_write({**vals, "name": erased_name, "active": False})
        self.env["abs.event.outbox"]._emit(
            "customer.erased",
            assignment.account_id,
            self,
            self.env["ov.membership"]._abs_recorded_actor(actor_partner),
            {"assignment_id": assignment.id},
        )
        return True

    def action_abs_erase(self):
        """Erase Personal Data button (Contacts form): the same lifecycle as the API, acting
        as the back-office user (Governance Managers: a system call)."""
        actor = self.env["ov.membership"]._abs_back_office_actor()
        for customer in self._abs_known_to_back_office_user():
            sa = customer._abs_home_account()
            if not sa:
                # only a governed customer is erased here, as over the API
                raise MissingError(_("Customer not found."))
            customer._abs_erase_governed_customer(sa, actor)
        return True

    # ---- portal users: small sudo helpers ----

    def _abs_anonymise_portal_users(self, erased_name):
        # The caller's authority over the customer was checked.
        for user in self._abs_own_users().filtered("share"):
            user.write({"active": False, "name": erased_name, "login": f"erased-{user.id}@erased.invalid"})
        elevate(self, ADMIN_ONLY_USERS).abs_archived_portal_user_ids = [Command.clear()]

    def _abs_archive_portal_users(self):
        users = self._abs_own_users().filtered(lambda user: user.share and user.active)
        if users:
            users.write({"active": False})
        archived = [Command.link(user.id) for user in users]
        elevate(self, ADMIN_ONLY_USERS).abs_archived_portal_user_ids = archived

    # ---- the one portal grant function ----

    def _abs_grant_portal_access(self):
        """Give this customer portal access, the way every onboarding path does.

        :return: 'granted' (user created or reactivated, invitation queued),
            'already' (has a portal user, or an existing portal user with the
            same e-mail was linked), 'skipped_no_email' or 'skipped_internal_email'
            (the address belongs to an internal user: no user is created).
        """
        self.ensure_one()
        status, user = self._abs_portal_decide()
        if status == PORTAL_GRANTED:
            user = self._abs_invite_portal_user()
        self._abs_record_portal_outcome(status, user)
        return status

    def _abs_portal_decide(self):
        """(status, user) for this customer, without changing anything."""
        own_users = self._abs_own_users()
        if own_users.filtered(lambda user: not user.share):
            return PORTAL_SKIPPED_INTERNAL_EMAIL, own_users.browse()
        active_portal = own_users.filtered(lambda user: user.active and user._is_portal())
        if active_portal:
            return PORTAL_ALREADY, active_portal[:1]
        email = email_normalize(self.email or "")
        if not email:
            return PORTAL_SKIPPED_NO_EMAIL, own_users.browse()
        others = self._abs_users_with_email(email) - own_users
        if others.filtered(lambda user: not user.share):
            return PORTAL_SKIPPED_INTERNAL_EMAIL, own_users.browse()
        if others:
            # Same address, same person: link the existing portal user rather
            # than creating a second user (logins are unique).
            return PORTAL_ALREADY, others.sorted(lambda user: (not user.active, user.id))[:1]
        return PORTAL_GRANTED, own_users.browse()

    def _abs_has_portal_access(self):
        self.ensure_one()
        status, user = self._abs_portal_decide()
        return status == PORTAL_ALREADY and user.active

    @api.model
    def _abs_portal_message(self, status, email=None):
        """A sentence a back-office user understands, for a grant outcome."""
        return {
            PORTAL_GRANTED: _("Portal access granted; the invitation to choose a password is queued."),
            PORTAL_ALREADY: _("This customer already has portal access."),
            PORTAL_SKIPPED_NO_EMAIL: _("No portal access: the customer has no valid e-mail address."),
            PORTAL_SKIPPED_INTERNAL_EMAIL: _(
                "No portal access: the e-mail address %(email)s belongs to an internal user. "
                "Give the customer their own address to invite them.",
                email=email or "",
            ),
        }[status]

    def _abs_portal_onboarding_enabled(self, trigger, company=None):
        """Whether ``trigger`` ('on_create' / 'on_first_order') applies to this customer:
        their Service Account's choice, else the company's setting."""
        self.ensure_one()
        sa = self._abs_portal_service_account()
        if sa:
            return sa._abs_portal_trigger_enabled(trigger)
        company = company or self._abs_portal_company()
        # A contact no Service Account governs is invited only where the company asked for it.
        if trigger == "on_first_order" and not company.abs_portal_first_order_all_contacts:
            return False
        return bool(company[f"abs_portal_{trigger}"])

    # ---- small sudo helpers: creating users needs admin rights; every caller
    # ---- has already checked the actor's authority over the customer ----

    def _abs_own_users(self):
        return elevate(self, ADMIN_ONLY_USERS).with_context(active_test=False).user_ids

    @api.model
    def _abs_users_with_email(self, email):
        return (
            elevate(self.env["res.users"], ADMIN_ONLY_USERS)
            .with_context(active_test=False)
            .search(
                [
                    "|",
                    ("login", "=ilike", escape_psql(email)),
                    ("partner_id.email_normalized", "=", email),
                ]
            )
        )

    def _abs_portal_service_account(self):
        partner = elevate(self, "a portal customer cannot read their own stamps")
        return partner.x_sa_id or partner.commercial_partner_id.x_sa_id

    def _abs_portal_company(self):
        partner = elevate(self, "a portal customer cannot read their own stamps")
        return partner.company_id or partner.x_sa_id.company_id or self.env.company

    def _abs_invite_portal_user(self):
        """Create (or reactivate) the portal user with Odoo's portal wizard, in the
        customer's company, and queue the signup invitation."""
        company = self._abs_portal_company()
        partner = elevate(self, ADMIN_ONLY_USERS)
        archived_portal = partner._abs_own_users().filtered(
            lambda user: not user.active and user._is_portal()
        )
        # The portal wizard refuses a user that is still in the portal group even
        # when archived: bring it back first, then re-invite it.
        archived_portal[:1].write({"active": True})
        partner.abs_archived_portal_user_ids = [Command.unlink(user.id) for user in archived_portal[:1]]
        wizard = (
            elevate(self.env["portal.wizard"], ADMIN_ONLY_USERS)
            .with_company(company)
            .with_context(
                abs_queue_portal_invitation=True,
                active_ids=None,
                active_model=None,
            )
            .create({"partner_ids": [Command.set(partner.ids)]})
        )
        wizard_user = wizard.user_ids.filtered(lambda line: line.partner_id == partner)
        if archived_portal:
            wizard_user.action_invite_again()
        else:
            wizard_user.action_grant_access()
        return partner._abs_own_users().filtered(lambda user: user.active)[:1]

    def _abs_record_portal_outcome(self, status, user):
        partner = elevate(self, "the onboarding outcome is recorded whoever triggered it")
        values = {"abs_portal_status": status}
        if user:
            values["abs_portal_user_id"] = user.id
        partner.write(values)
        linked = status == PORTAL_ALREADY and user.partner_id != partner
        if status == PORTAL_SKIPPED_INTERNAL_EMAIL or linked:
            note = self._abs_portal_message(status, email_normalize(partner.email or ""))
            if status == PORTAL_ALREADY:
                note = _(
                    "Portal access: linked to the existing portal user %(login)s, who has the same "
                    "e-mail address. No second user was created.",
                    login=user.login,
                )
            partner.message_post(body=note, subtype_xmlid="mail.mt_note")
            _logger.info("abs_connector: portal onboarding of partner %s: %s", partner.id, status)

    def _abs_restore_portal_users(self):
        partner = elevate(self, ADMIN_ONLY_USERS)
        users = partner.abs_archived_portal_user_ids.filtered(
            lambda user: not user.active and user.partner_id == partner
        )
        users.write({"active": True})
        partner.abs_archived_portal_user_ids = [Command.clear()]

    # ---- portal home (/my): who serves this customer ----

    def _abs_portal_service_contact(self):
        """Name, phone and e-mail of the agent serving this customer, for their portal home.

        Only what a customer may know about the person who serves them: nothing
        about the Service Account, the membership or other customers.
        :return: dict(name, phone, email) or None when the customer is unassigned.
        """
        self.ensure_one()
        agent = self._abs_serving_agent()
        if not agent:
            return None
        return {
            "name": agent.name,
            "phone": agent.phone or agent.mobile or "",
            "email": agent.email or "",
        }

    def _abs_serving_agent(self):
        # Reads the active assignment of the customer (or of its company) on their behalf.
        partner = elevate(self, "the customer cannot read governance records")
        for customer in partner | partner.commercial_partner_id:
            rows = customer.assignment_ids.filtered(lambda row: row.state == "active" and row.actor_id)
            own_sa = rows.filtered(lambda row, sa=customer.x_sa_id: row.account_id == sa)
            row = (own_sa or rows.sorted("date_from", reverse=True))[:1]
            if row:
                return row.actor_id
        return partner.browse()
