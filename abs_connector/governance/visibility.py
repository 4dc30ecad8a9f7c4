"""Who sees what inside a Service Account: the one visibility helper.

Every SA-scoped read or write (API, wizards, explainer) turns the caller's
membership into an ORM domain here, so the policy table of docs/customer-lifecycle.md lives in
exactly one place. Plain Python: no Odoo import, the domains are plain lists.

Policy table (docs/customer-lifecycle.md, "Visibility Policy Reference"):

============================  ======================================  ===================
policy                        customers seen                          default for roles
============================  ======================================  ===================
sa_wide                       every active assignment in the SA       staff, admin,
                                                                      finance, viewer
assigned_plus_unassigned      actor = me OR actor IS NULL             agent
assigned_only                 actor = me                              override only
============================  ======================================  ===================

``hierarchy_scope`` (docs/reference/terminology.md) widens the SA part: ``this_node_only`` looks at
the SA itself, ``this_node_and_descendants`` at the SA and its whole subtree
(``parent_path`` prefix, still a single SQL condition).
"""

import dataclasses
from dataclasses import dataclass

ROLES = ("staff", "agent", "admin", "finance", "viewer")
POLICIES = ("sa_wide", "assigned_plus_unassigned", "assigned_only")
HIERARCHY_SCOPES = ("this_node_only", "this_node_and_descendants")

# Labels of the codes above, in the same order: the model selections are built from them.
ROLE_LABELS = {"staff": "Staff", "agent": "Agent", "admin": "Admin", "finance": "Finance", "viewer": "Viewer"}
POLICY_LABELS = {
    "sa_wide": "Whole account",
    "assigned_plus_unassigned": "Own and unassigned customers",
    "assigned_only": "Own customers only",
}
HIERARCHY_SCOPE_LABELS = {
    "this_node_only": "This account only",
    "this_node_and_descendants": "This account and its sub-accounts",
}

# What each role may do in the SA it is a member of. Role semantics belong to
# the membership (docs/reference/terminology.md), never to the person.
ROLE_CAPABILITIES = {
    # Runs the SA day to day: its people and all its customers.
    "staff": frozenset(
        {
            "read_customers",
            "create_customers",
            "write_customers",
            "archive_customers",
            "assign_customers",
            "hold_customers",
            "manage_members",
            "read_products",
            "read_orders",
            "create_orders",
            "confirm_orders",
            "read_invoices",
            "create_invoices",
        }
    ),
    # Full account management: everything staff does plus the SA itself (branches, settings).
    "admin": frozenset(
        {
            "read_customers",
            "create_customers",
            "write_customers",
            "archive_customers",
            "assign_customers",
            "hold_customers",
            "manage_members",
            "manage_account",
            "read_products",
            "read_orders",
            "create_orders",
            "confirm_orders",
            "read_invoices",
            "create_invoices",
        }
    ),
    # Field agent: works the customers assigned to them (and picks up unassigned ones).
    "agent": frozenset(
        {
            "read_customers",
            "create_customers",
            "write_customers",
            "hold_customers",
            "read_products",
            "read_orders",
            "create_orders",
        }
    ),
    # Finance: reads customers, orders and invoices and turns confirmed orders into invoices.
    "finance": frozenset(
        {"read_customers", "read_products", "read_orders", "read_invoices", "create_invoices"}
    ),
    # Viewer: read-only.
    "viewer": frozenset({"read_customers", "read_products", "read_orders"}),
}

# Capabilities a Service Account may extend to a role through one of its settings:
# ``{setting: {role: capabilities}}``. A field agent confirms orders only where the SA
# trusts its agents to (the proxy still executes the confirmation, the agent is recorded).
SETTING_CAPABILITIES = {
    "agents_confirm_orders": {"agent": frozenset({"confirm_orders"})},
}

ROLE_DEFAULT_POLICY = {
    "staff": "sa_wide",
    "admin": "sa_wide",
    "finance": "sa_wide",
    "viewer": "sa_wide",
    "agent": "assigned_plus_unassigned",
}

# Roles that may be an SA's manager (sa_manager_id) — the ones that manage members.
MANAGER_ROLES = tuple(role for role in ROLES if "manage_members" in ROLE_CAPABILITIES[role])

# A domain that matches nothing (Odoo's FALSE_DOMAIN), for "no access".
NOTHING = [(0, "=", 1)]


def has_capability(role_code, capability, sa_settings=frozenset()):
    """Whether ``role_code`` grants ``capability`` (unknown roles grant nothing).

    :param sa_settings: the names of the :data:`SETTING_CAPABILITIES` the SA has switched on.
    """
    if capability in ROLE_CAPABILITIES.get(role_code, frozenset()):
        return True
    return any(
        capability in SETTING_CAPABILITIES.get(setting, {}).get(role_code, frozenset())
        for setting in sa_settings
    )


def effective_policy(role_code, scope_policy=None):
    """The policy that applies: the membership's override, else the role default.

    :raise ValueError: unknown role or policy (a programming error, not user input).
    """
    if scope_policy:
        if scope_policy not in POLICIES:
            raise ValueError(f"Unknown visibility policy {scope_policy!r}")
        return scope_policy
    if role_code not in ROLE_DEFAULT_POLICY:
        raise ValueError(f"Unknown role {role_code!r}")
    return ROLE_DEFAULT_POLICY[role_code]


@dataclass(frozen=True)
class AccessContext:
    """What a person may see in one SA, resolved from one live membership.

    ``sa_id``/``sa_parent_path`` name the SA the request is about; the
    membership may sit on an ancestor (``membership_sa_id``) when its
    hierarchy scope covers descendants.
    """

    person_id: int
    sa_id: int
    sa_parent_path: str
    membership_id: int
    membership_sa_id: int
    role_code: str
    policy: str
    hierarchy_scope: str = "this_node_only"
    # Settings of the SA that extend its roles (keys of SETTING_CAPABILITIES).
    sa_settings: frozenset = frozenset()

    def __post_init__(self):
        if self.role_code not in ROLES:
            raise ValueError(f"Unknown role {self.role_code!r}")
        if self.policy not in POLICIES:
            raise ValueError(f"Unknown visibility policy {self.policy!r}")
        if self.hierarchy_scope not in HIERARCHY_SCOPES:
            raise ValueError(f"Unknown hierarchy scope {self.hierarchy_scope!r}")
        if self.hierarchy_scope == "this_node_and_descendants" and not self.sa_parent_path:
            raise ValueError("A subtree scope needs the SA's parent_path")

    def can(self, capability):
        return has_capability(self.role_code, capability, self.sa_settings)

    @property
    def covers_descendants(self):
        return self.hierarchy_scope == "this_node_and_descendants"


def _sa_leaf(ctx, sa_field):
    """The SA part of a domain: the node itself, or its whole subtree."""
    if ctx.covers_descendants:
        # parent_path of the SA is a prefix of its own and every descendant's path.
        return [(f"{sa_field}.parent_path", "=like", f"{ctx.sa_parent_path}%")]
    return [(sa_field, "=", ctx.sa_id)]


def _actor_leaf(ctx, actor_field):
    """The actor part of a domain, per the policy table."""
    leaves = [leaf for alternative in _actor_alternatives(ctx, actor_field) for leaf in alternative]
    return ["|"] * (len(leaves) - 1) + leaves


def _actor_alternatives(ctx, actor_field):
    """The actor part of a domain as alternatives that exclude one another (one empty
    alternative: no actor condition)."""
    if ctx.policy == "sa_wide":
        return [[]]
    own = [(actor_field, "=", ctx.person_id)]
    if ctx.policy == "assigned_plus_unassigned":
        return [own, [(actor_field, "=", False)]]
    return [own]


def assignment_domain(ctx):
    """Domain on ``ov.sa_customer_assignment``: the active rows ``ctx`` sees."""
    if ctx is None or not ctx.can("read_customers"):
        return list(NOTHING)
    return [("state", "=", "active"), *_sa_leaf(ctx, "account_id"), *_actor_leaf(ctx, "actor_id")]


def scope_assignment_domain(ctx):
    """The active rows in ``ctx``'s SA (or subtree), whoever holds them: the policy set aside.

    The explainer and the API's assignment lookups use it to find a customer's row before
    deciding, with :func:`assignment_domain`, whether ``ctx`` sees it.
    """
    return assignment_domain(dataclasses.replace(ctx, policy="sa_wide"))


def account_assignment_domain(sa_id):
    """Domain on ``ov.sa_customer_assignment``: one SA's active rows (a system call, no membership)."""
    return [("account_id", "=", sa_id), ("state", "=", "active")]


def account_customer_domain(sa_id):
    """Domain on ``res.partner``: the customers with an active assignment in one SA (system call)."""
    return [("assignment_ids", "any", account_assignment_domain(sa_id))]


def customer_domain(ctx, id_bound=None):
    """Domain on ``res.partner``: the customers ``ctx`` sees.

    It compiles to ``id IN (SELECT partner_id FROM ov_sa_customer_assignment
    WHERE ...)`` — a sub-select, never a list of ids — so it stays one query
    whatever the number of customers.

    :param id_bound: ``(operator, id)``, e.g. ``(">", 41)``: only customers past that id, bounded
        inside the sub-select too, where the assignment index starts its range there (a keyset
        page deep in the list then reads no row before it).
    """
    if ctx is None or not ctx.can("read_customers"):
        return list(NOTHING)
    bound = [("partner_id", *id_bound)] if id_bound else []
    return [("assignment_ids", "any", [*assignment_domain(ctx), *bound])]


def disjoint_assignment_domains(ctx, id_bound=None):
    """The active rows ``ctx`` sees as domains on ``ov.sa_customer_assignment`` that never share a
    customer, or None when that cannot be promised.

    Within one SA a customer has one active row (the one-active index), and the branches split
    those rows by actor (mine, unassigned; :func:`seat_assignment_ranges`), so the customers of
    :func:`customer_domain` are exactly those of the branches' rows, each reached once. A list can
    then be driven from the rows, each branch walked in customer order by its own index, instead
    of walking every partner to test it (docs/performance.md#lists-driven). A subtree scope
    reaches a customer through the rows of several SAs: None, as for a caller who may not read
    customers.

    :param id_bound: as in :func:`customer_domain`, put in each branch.
    """
    if ctx is None or not ctx.can("read_customers") or not seat_rows_are_distinct([ctx]):
        return None
    bound = [("partner_id", *id_bound)] if id_bound else []
    return [[*branch, *bound] for branch in seat_assignment_ranges([ctx])]


def stamp_domain(ctx, capability="read_orders"):
    """Domain on a V2-stamped model (``x_sa_id`` / ``x_actor_id``).

    Used for orders, leads and invoices until their V3 assignment tables exist
    (docs/customer-lifecycle.md, "Roadmap"). ``capability`` is what reading that model requires
    (``read_orders`` for sale.order/crm.lead, ``read_invoices`` for account.move).
    """
    if ctx is None or not ctx.can(capability):
        return list(NOTHING)
    return [*_sa_leaf(ctx, "x_sa_id"), *_actor_leaf(ctx, "x_actor_id")]


def change_domain(ctx):
    """Domain on ``abs.contact.change``: the logged changes that concern ``ctx``.

    A change row records, for one customer in one SA, whether the customer was in that SA's set
    (active assignment, customer active) and who worked it, before and after the change. It
    concerns the caller when the caller would have seen the customer on either side, under the
    same rules as :func:`customer_domain` -- so a delta never names a customer the caller was
    never allowed to see.
    """
    if ctx is None or not ctx.can("read_customers"):
        return list(NOTHING)
    return [
        *_sa_leaf(ctx, "account_id"),
        "|",
        *_seen(ctx, "old_visible", "old_actor_id"),
        *_seen(ctx, "new_visible", "new_actor_id"),
    ]


def _seen(ctx, visible_field, actor_field):
    """One domain term: the row's side (before or after) is in the set and the caller sees it."""
    actor = _actor_leaf(ctx, actor_field)  # no term, or exactly one (a leaf or an "|" of two)
    if not actor:
        return [(visible_field, "=", True)]
    return ["&", (visible_field, "=", True), *actor]


# ---- seat users: everything their memberships show, at once ----
#
# An internal Odoo user who is a member of Service Accounts sees, on Odoo's own screens, the
# union of what each of their live memberships shows through the API
# (docs/operations/back-office.md, "Seat users"). The record rules take these domains.


def any_of(domains):
    """One domain matching what any of ``domains`` matches (:data:`NOTHING` for none)."""
    domains = [_explicit(domain) for domain in domains]
    if not domains:
        return list(NOTHING)
    return ["|"] * (len(domains) - 1) + [token for domain in domains for token in domain]


def _explicit(domain):
    """``domain`` with its implicit ANDs written out, so that it can be OR-ed with others."""
    if not domain:
        return [(1, "=", 1)]
    result, missing = [], 1  # how many terms the prefix operators still wait for
    for item in domain:
        if missing == 0:  # a further term at the top level: AND it with the previous ones
            result.insert(0, "&")
            missing = 1
        result.append(item)
        missing += ARITY_CHANGE.get(item, -1) if isinstance(item, str) else -1
    return result


# How an operator changes the number of terms still awaited: "&" and "|" take two (one more), "!" one.
ARITY_CHANGE = {"&": 1, "|": 1, "!": 0}

# The condition of the seat-member record rules (security/<model>_security.xml).
SEAT_RULE_TERM = ("abs_seat_visible", "=", True)


def is_seat_rule_term(term):
    """Whether a domain ``term`` is the seat-member rules' condition."""
    return isinstance(term, list | tuple) and tuple(term) == SEAT_RULE_TERM


def and_term_positions(domain, start=0):
    """The positions of the terms a normalized prefix ``domain`` ANDs at its top level (from
    ``start``); an OR or a NOT is one term."""
    if not domain:
        return []
    if domain[start] != "&":
        return [start]
    right = subdomain_end(domain, start + 1)
    return and_term_positions(domain, start + 1) + and_term_positions(domain, right)


def subdomain_end(domain, start):
    """Where the sub-domain that starts at ``start`` of a normalized prefix domain ends."""
    awaited, position = 1, start
    while awaited:
        term = domain[position]
        awaited += ARITY_CHANGE.get(term, -1) if isinstance(term, str) else -1
        position += 1
    return position


def requires_seat_rule(domain):
    """Whether every record a normalized ``domain`` lets through meets the seat-member rules'
    condition: the condition is one of the terms the domain ANDs at its top level."""
    return any(is_seat_rule_term(domain[position]) for position in and_term_positions(domain))


def seat_assignment_domain(contexts):
    """Domain on ``ov.sa_customer_assignment``: the active rows any of ``contexts`` sees.

    OR-ed inside one domain, so that the customers behind them are one sub-select whatever
    the number of memberships.
    """
    return any_of(assignment_domain(ctx) for ctx in contexts)


def seat_membership_domain(contexts, person_id):
    """Domain on ``ov.membership``: the memberships a seat member sees on the governance screens,
    as the API lets them act on them: their own, and those of the accounts (or subtrees) where one
    of ``contexts`` manages members."""
    managed = [_sa_leaf(ctx, "serviced_account_id") for ctx in contexts if ctx.can("manage_members")]
    return any_of([[("person_partner_id", "=", person_id)], *managed])


def seat_stamp_domain(contexts, capability="read_orders"):
    """Domain on a V2-stamped model: the records any of ``contexts`` sees (see :func:`stamp_domain`)."""
    return any_of(stamp_domain(ctx, capability) for ctx in contexts)


def seat_assignment_ranges(contexts):
    """The rows :func:`seat_assignment_domain` matches, as domains that each read one range of
    the assignment index by account, then actor: an agent's own rows apart from the unassigned
    ones, so that a scan which stops early (a bounded count) reads only rows it keeps. They
    exclude one another within one membership."""
    return [
        [("state", "=", "active"), *_sa_leaf(ctx, "account_id"), *alternative]
        for ctx in contexts
        if ctx.can("read_customers")
        for alternative in _actor_alternatives(ctx, "actor_id")
    ]


def seat_rows_are_distinct(contexts):
    """Whether no customer has two of the assignment rows ``contexts`` see together: at most one
    of them reads customers, in its account only (one active row per customer and account).
    Counting those rows then counts customers, without de-duplicating them first."""
    readers = [ctx for ctx in contexts if ctx.can("read_customers")]
    return len(readers) <= 1 and not any(ctx.covers_descendants for ctx in readers)
