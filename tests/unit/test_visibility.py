"""Policy -> domain, without Odoo: the policy table of docs/customer-lifecycle.md as code."""

import dataclasses

import pytest

from governance import visibility
from governance.visibility import AccessContext, customer_domain, effective_policy, stamp_domain

JEAN = 7
SA = 42


def ctx(role="agent", policy=None, scope="this_node_only", path="1/3/42/"):
    return AccessContext(
        person_id=JEAN,
        sa_id=SA,
        sa_parent_path=path,
        membership_id=5,
        membership_sa_id=SA,
        role_code=role,
        policy=effective_policy(role, policy),
        hierarchy_scope=scope,
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("agent", "assigned_plus_unassigned"),
        ("staff", "sa_wide"),
        ("admin", "sa_wide"),
        ("finance", "sa_wide"),
        ("viewer", "sa_wide"),
    ],
)
def test_role_default_policy(role, expected):
    assert effective_policy(role) == expected
    assert effective_policy(role, None) == expected


def test_override_wins_over_role_default():
    assert effective_policy("staff", "assigned_only") == "assigned_only"
    assert effective_policy("agent", "sa_wide") == "sa_wide"


def test_unknown_role_or_policy_is_refused():
    with pytest.raises(ValueError, match="Unknown role"):
        effective_policy("owner")
    with pytest.raises(ValueError, match="Unknown visibility policy"):
        effective_policy("agent", "everything")
    with pytest.raises(ValueError, match="Unknown hierarchy scope"):
        ctx(scope="whole_world")


def test_agent_domain_is_own_or_unassigned_active_assignments_in_the_sa():
    assert customer_domain(ctx("agent")) == [
        (
            "assignment_ids",
            "any",
            [
                ("state", "=", "active"),
                ("account_id", "=", SA),
                "|",
                ("actor_id", "=", JEAN),
                ("actor_id", "=", False),
            ],
        )
    ]


def test_staff_domain_is_the_whole_sa():
    assert customer_domain(ctx("staff")) == [
        (
            "assignment_ids",
            "any",
            [
                ("state", "=", "active"),
                ("account_id", "=", SA),
            ],
        )
    ]


def test_assigned_only_domain_is_own_customers():
    assert customer_domain(ctx("agent", "assigned_only")) == [
        (
            "assignment_ids",
            "any",
            [
                ("state", "=", "active"),
                ("account_id", "=", SA),
                ("actor_id", "=", JEAN),
            ],
        )
    ]


def test_descendants_scope_matches_the_subtree_by_parent_path():
    domain = customer_domain(ctx("staff", scope="this_node_and_descendants"))
    assert domain == [
        (
            "assignment_ids",
            "any",
            [
                ("state", "=", "active"),
                ("account_id.parent_path", "=like", "1/3/42/%"),
            ],
        )
    ]


def test_customer_domain_never_lists_ids():
    for role in visibility.ROLES:
        for policy in (None, *visibility.POLICIES):
            domain = customer_domain(ctx(role, policy))
            assert all(leaf[1] not in ("in", "not in") for leaf in _leaves(domain))


def test_no_context_or_no_read_right_sees_nothing():
    assert customer_domain(None) == visibility.NOTHING
    assert stamp_domain(None) == visibility.NOTHING
    assert stamp_domain(ctx("viewer"), "read_invoices") == visibility.NOTHING


def test_stamp_domain_uses_the_v2_stamps():
    assert stamp_domain(ctx("agent")) == [
        ("x_sa_id", "=", SA),
        "|",
        ("x_actor_id", "=", JEAN),
        ("x_actor_id", "=", False),
    ]
    assert stamp_domain(ctx("finance"), "read_invoices") == [("x_sa_id", "=", SA)]
    assert stamp_domain(ctx("staff", scope="this_node_and_descendants")) == [
        ("x_sa_id.parent_path", "=like", "1/3/42/%"),
    ]


@pytest.mark.parametrize(
    ("role", "capability", "granted"),
    [
        ("agent", "create_customers", True),
        ("agent", "assign_customers", False),
        ("agent", "manage_members", False),
        ("staff", "manage_members", True),
        ("staff", "manage_account", False),
        ("admin", "manage_account", True),
        ("finance", "read_invoices", True),
        ("finance", "write_customers", False),
        ("viewer", "read_customers", True),
        ("viewer", "write_customers", False),
        ("nobody", "read_customers", False),
        # field sales
        ("viewer", "read_products", True),
        ("agent", "create_orders", True),
        ("viewer", "create_orders", False),
        ("finance", "create_orders", False),
        ("staff", "confirm_orders", True),
        ("admin", "confirm_orders", True),
        ("agent", "confirm_orders", False),
        ("finance", "confirm_orders", False),
        ("finance", "create_invoices", True),
        ("staff", "create_invoices", True),
        ("agent", "create_invoices", False),
        ("agent", "read_invoices", False),
    ],
)
def test_role_capabilities(role, capability, granted):
    assert visibility.has_capability(role, capability) is granted


def test_an_sa_setting_lets_its_agents_confirm_orders_and_nobody_else_gains_anything():
    setting = frozenset({"agents_confirm_orders"})
    assert visibility.has_capability("agent", "confirm_orders", setting)
    assert not visibility.has_capability("viewer", "confirm_orders", setting)
    assert not visibility.has_capability("finance", "confirm_orders", setting)
    assert not visibility.has_capability("agent", "create_invoices", setting)
    agent = AccessContext(1, 2, "1/2/", 3, 2, "agent", "assigned_plus_unassigned", sa_settings=setting)
    assert agent.can("confirm_orders")
    assert not AccessContext(1, 2, "1/2/", 3, 2, "agent", "assigned_plus_unassigned").can("confirm_orders")


def test_managers_are_the_roles_that_manage_members():
    assert set(visibility.MANAGER_ROLES) == {"staff", "admin"}


def test_every_role_has_capabilities_and_a_default_policy():
    assert set(visibility.ROLE_CAPABILITIES) == set(visibility.ROLES) == set(visibility.ROLE_DEFAULT_POLICY)


def _leaves(domain):
    for leaf in domain:
        if isinstance(leaf, tuple):
            yield leaf
            if leaf[1] == "any":
                yield from _leaves(leaf[2])


def test_agent_change_domain_is_rows_where_they_saw_the_customer_before_or_after():
    assert visibility.change_domain(ctx("agent")) == [
        ("account_id", "=", SA),
        "|",
        "&",
        ("old_visible", "=", True),
        "|",
        ("old_actor_id", "=", JEAN),
        ("old_actor_id", "=", False),
        "&",
        ("new_visible", "=", True),
        "|",
        ("new_actor_id", "=", JEAN),
        ("new_actor_id", "=", False),
    ]


def test_staff_change_domain_is_every_row_of_the_sa_in_the_set_on_either_side():
    assert visibility.change_domain(ctx("staff")) == [
        ("account_id", "=", SA),
        "|",
        ("old_visible", "=", True),
        ("new_visible", "=", True),
    ]


def test_subtree_change_domain_follows_the_parent_path():
    domain = visibility.change_domain(ctx("staff", scope="this_node_and_descendants"))
    assert domain[0] == ("account_id.parent_path", "=like", "1/3/42/%")


def test_no_read_right_no_change():
    assert visibility.change_domain(None) == visibility.NOTHING


def test_every_role_policy_and_scope_has_a_label_in_the_core_order():
    assert tuple(visibility.ROLE_LABELS) == visibility.ROLES
    assert tuple(visibility.POLICY_LABELS) == visibility.POLICIES
    assert tuple(visibility.HIERARCHY_SCOPE_LABELS) == visibility.HIERARCHY_SCOPES


def test_account_customer_domain_is_a_sub_select_on_the_active_rows_of_one_sa():
    assert visibility.account_customer_domain(7) == [
        ("assignment_ids", "any", [("account_id", "=", 7), ("state", "=", "active")])
    ]


def test_scope_assignment_domain_ignores_the_policy_but_keeps_the_sa():
    ctx = AccessContext(
        person_id=5,
        sa_id=7,
        sa_parent_path="1/7/",
        membership_id=3,
        membership_sa_id=7,
        role_code="agent",
        policy="assigned_only",
    )
    assert visibility.scope_assignment_domain(ctx) == [("state", "=", "active"), ("account_id", "=", 7)]
    assert ("actor_id", "=", 5) in visibility.assignment_domain(ctx)


# ---- seat users: the union of several memberships ----


def matches(domain, record):
    """Evaluate a prefix-notation domain of plain leaves (=, =like) on a dict, as the ORM would."""
    domain = visibility._explicit(domain)

    def term(position):
        item = domain[position]
        if item == "!":
            value, end = term(position + 1)
            return not value, end
        if item in ("&", "|"):
            left, middle = term(position + 1)
            right, end = term(middle)
            return (left and right if item == "&" else left or right), end
        field, operator, value = item
        actual = field if isinstance(field, int) else record.get(field)
        if operator == "=like":
            return str(actual).startswith(value.rstrip("%")), position + 1
        return (actual == value if value is not False else not actual), position + 1

    value, end = term(0)
    assert end == len(domain), "a combined domain is one term"
    return value


def row(account_id, actor_id, state="active", path="1/3/42/"):
    return {"state": state, "account_id": account_id, "actor_id": actor_id, "account_id.parent_path": path}


def test_seat_assignment_domain_is_the_union_of_each_membership():
    agent_here = ctx("agent", "assigned_only")  # SA 42, person 7
    staff_there = dataclasses.replace(ctx("staff"), sa_id=99, sa_parent_path="1/3/99/", membership_id=6)
    domain = visibility.seat_assignment_domain([agent_here, staff_there])
    assert matches(domain, row(42, 7))
    assert not matches(domain, row(42, 8)), "another agent's customer in the agent's SA"
    assert not matches(domain, row(42, False)), "assigned_only: no unassigned customer"
    assert matches(domain, row(99, 8)) and matches(domain, row(99, False)), "staff: the whole SA"
    assert not matches(domain, row(99, 8, state="expired"))
    assert not matches(domain, row(5, 7)), "no membership in SA 5"


def membership(person_id, account_id, path="1/3/42/"):
    return {
        "person_partner_id": person_id,
        "serviced_account_id": account_id,
        "serviced_account_id.parent_path": path,
    }


def test_seat_membership_domain_shows_own_memberships_and_those_of_accounts_the_member_manages():
    agent_here = ctx("agent")  # SA 42, person 7
    staff_there = dataclasses.replace(ctx("staff"), sa_id=99, sa_parent_path="1/3/99/", membership_id=6)
    domain = visibility.seat_membership_domain([agent_here, staff_there], JEAN)
    assert matches(domain, membership(JEAN, 5, "1/5/")), "their own, in any account"
    assert not matches(domain, membership(8, 42)), "a colleague where they only sell"
    assert matches(domain, membership(8, 99, "1/3/99/")), "a member where they manage members"
    assert not matches(domain, membership(8, 100, "1/3/99/100/")), "this node only"
    subtree = dataclasses.replace(staff_there, hierarchy_scope="this_node_and_descendants")
    domain = visibility.seat_membership_domain([subtree], JEAN)
    assert matches(domain, membership(8, 100, "1/3/99/100/")), "a sub-account of a subtree scope"
    assert not matches(domain, membership(8, 42)), "outside the subtree"
    assert visibility.seat_membership_domain([], JEAN) == [("person_partner_id", "=", JEAN)]


def test_seat_domains_of_no_membership_match_nothing():
    assert visibility.seat_assignment_domain([]) == visibility.NOTHING
    assert visibility.seat_stamp_domain([]) == visibility.NOTHING


def test_seat_stamp_domain_needs_the_capability_in_each_membership():
    staff_there = dataclasses.replace(ctx("staff"), sa_id=99, sa_parent_path="1/3/99/")
    domain = visibility.seat_stamp_domain([ctx("agent"), staff_there], "read_invoices")
    assert matches(domain, {"x_sa_id": 99, "x_actor_id": 8})
    assert not matches(domain, {"x_sa_id": 42, "x_actor_id": 7}), "an agent reads no invoice"


def test_any_of_makes_implicit_ands_explicit():
    assert visibility.any_of([[("a", "=", 1), ("b", "=", 2)], [("c", "=", 3)]]) == [
        "|",
        "&",
        ("a", "=", 1),
        ("b", "=", 2),
        ("c", "=", 3),
    ]
    assert visibility.any_of([["|", ("a", "=", 1), ("b", "=", 2), ("c", "=", 3)]]) == [
        "&",
        "|",
        ("a", "=", 1),
        ("b", "=", 2),
        ("c", "=", 3),
    ]


def test_a_keyset_bound_goes_inside_the_sub_select():
    domain = customer_domain(ctx("agent"), (">", 41))
    assert domain == [
        ("assignment_ids", "any", [*customer_domain(ctx("agent"))[0][2], ("partner_id", ">", 41)])
    ]


ROWS = [row(account, actor) for account in (42, 99) for actor in (7, 8, False)] + [row(42, 7, "expired")]


@pytest.mark.parametrize(
    ("role", "policy"), [("staff", None), ("agent", None), ("agent", "assigned_only"), ("viewer", None)]
)
def test_seat_assignment_ranges_match_the_seat_domains_rows_each_once(role, policy):
    membership = ctx(role, policy)
    ranges = visibility.seat_assignment_ranges([membership])
    domain = visibility.seat_assignment_domain([membership])
    for record in ROWS:
        assert sum(matches(each, record) for each in ranges) == int(matches(domain, record)), record


def test_an_agents_ranges_read_own_rows_apart_from_unassigned_ones():
    assert visibility.seat_assignment_ranges([ctx("agent")]) == [
        [("state", "=", "active"), ("account_id", "=", SA), ("actor_id", "=", JEAN)],
        [("state", "=", "active"), ("account_id", "=", SA), ("actor_id", "=", False)],
    ]


def test_no_membership_has_no_range():
    assert visibility.seat_assignment_ranges([]) == []


def test_rows_are_distinct_for_one_account_only():
    staff_there = dataclasses.replace(ctx("staff"), sa_id=99, sa_parent_path="1/3/99/", membership_id=6)
    assert visibility.seat_rows_are_distinct([])
    assert visibility.seat_rows_are_distinct([ctx("agent")])
    assert not visibility.seat_rows_are_distinct([ctx("agent"), staff_there]), "two accounts"
    assert not visibility.seat_rows_are_distinct([ctx("staff", scope="this_node_and_descendants")])


# ---- the branches a list is driven from (docs/performance.md#lists) ----

ACTIVE_IN_SA = [("state", "=", "active"), ("account_id", "=", SA)]


@pytest.mark.parametrize(
    ("role", "policy", "actors"),
    [
        ("agent", None, [[("actor_id", "=", JEAN)], [("actor_id", "=", False)]]),
        ("agent", "assigned_only", [[("actor_id", "=", JEAN)]]),
        ("staff", None, [[]]),
        ("viewer", None, [[]]),
        ("staff", "assigned_plus_unassigned", [[("actor_id", "=", JEAN)], [("actor_id", "=", False)]]),
    ],
)
def test_disjoint_branches_split_the_sas_active_rows_by_actor(role, policy, actors):
    assert visibility.disjoint_assignment_domains(ctx(role, policy)) == [
        [*ACTIVE_IN_SA, *actor] for actor in actors
    ]


def test_disjoint_branches_carry_the_keyset_bound_each():
    branches = visibility.disjoint_assignment_domains(ctx("agent"), ("<", 41))
    assert all(branch[-1] == ("partner_id", "<", 41) for branch in branches)
    assert len(branches) == 2


def test_no_disjoint_branches_for_a_subtree_scope_whose_sas_may_share_a_customer():
    assert visibility.disjoint_assignment_domains(ctx("staff", scope="this_node_and_descendants")) is None
    assert visibility.disjoint_assignment_domains(ctx("agent", scope="this_node_and_descendants")) is None
    assert visibility.disjoint_assignment_domains(None) is None


def test_the_assignment_domain_is_still_the_branches_or_ed():
    assert visibility.assignment_domain(ctx("agent")) == [
        *ACTIVE_IN_SA,
        "|",
        ("actor_id", "=", JEAN),
        ("actor_id", "=", False),
    ]
    assert visibility.assignment_domain(ctx("staff")) == ACTIVE_IN_SA


SEAT = ("abs_seat_visible", "=", True)
COMPANY = ("company_id", "in", [1])


@pytest.mark.parametrize(
    "rules",
    [
        [SEAT],
        [list(SEAT)],
        ["&", COMPANY, SEAT],
        ["&", "&", COMPANY, ("active", "=", True), SEAT],
        ["&", "|", COMPANY, ("company_id", "=", False), SEAT],
    ],
)
def test_a_rule_domain_that_ands_the_seat_condition_requires_it(rules):
    assert visibility.requires_seat_rule(rules)


@pytest.mark.parametrize(
    "rules",
    [
        [],
        [COMPANY],
        ["|", COMPANY, SEAT],
        ["!", SEAT],
        ["&", COMPANY, "|", SEAT, ("user_id", "=", 2)],
    ],
)
def test_a_rule_domain_that_does_not_and_the_seat_condition_does_not_require_it(rules):
    assert not visibility.requires_seat_rule(rules)
