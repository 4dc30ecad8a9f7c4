"""Role ranking without Odoo: nobody grants or manages above their own rank."""

import itertools

import pytest

from governance import authority
from governance.visibility import HIERARCHY_SCOPES, POLICIES, ROLES

# (actor role, granted role) pairs that are allowed; every other pair is refused.
GRANTABLE = {
    ("admin", "admin"),
    ("admin", "staff"),
    ("admin", "agent"),
    ("admin", "finance"),
    ("admin", "viewer"),
    ("staff", "staff"),
    ("staff", "agent"),
    ("staff", "finance"),
    ("staff", "viewer"),
    ("agent", "agent"),
    ("agent", "viewer"),
    ("finance", "finance"),
    ("finance", "viewer"),
    ("viewer", "viewer"),
}
# (actor role, target role) pairs where the target outranks the actor.
OUTRANKED = {
    ("staff", "admin"),
    ("agent", "admin"),
    ("agent", "staff"),
    ("finance", "admin"),
    ("finance", "staff"),
    ("viewer", "admin"),
    ("viewer", "staff"),
    ("viewer", "agent"),
    ("viewer", "finance"),
}


@pytest.mark.parametrize(("actor", "role"), list(itertools.product(ROLES, ROLES)))
def test_a_role_is_granted_only_by_an_equal_or_higher_role_holding_all_its_rights(actor, role):
    assert authority.may_grant_role(actor, role) == ((actor, role) in GRANTABLE)


@pytest.mark.parametrize(("actor", "target"), list(itertools.product(ROLES, ROLES)))
def test_a_member_is_managed_only_by_an_equal_or_higher_role(actor, target):
    assert authority.may_manage_member(actor, target) == ((actor, target) not in OUTRANKED)


def test_agent_and_finance_rank_alike_but_neither_grants_the_other():
    assert not authority.outranks("agent", "finance")
    assert not authority.outranks("finance", "agent")
    assert not authority.may_grant_role("agent", "finance")
    assert not authority.may_grant_role("finance", "agent")


def test_staff_cannot_make_an_admin():
    assert authority.grant_refusal("staff", "sa_wide", "this_node_and_descendants", "admin") == "role"


def test_a_policy_wider_than_the_grantors_is_refused():
    assert (
        authority.grant_refusal("staff", "assigned_only", "this_node_only", "staff", "sa_wide")
        == "scope_policy"
    )
    # No override: the granted role's default (agent: own and unassigned) is what counts.
    assert authority.grant_refusal("staff", "assigned_only", "this_node_only", "agent") == "scope_policy"
    assert (
        authority.grant_refusal("staff", "assigned_only", "this_node_only", "agent", "assigned_only") is None
    )


def test_a_hierarchy_scope_wider_than_the_grantors_is_refused():
    refused = authority.grant_refusal(
        "staff", "sa_wide", "this_node_only", "agent", None, "this_node_and_descendants"
    )
    assert refused == "hierarchy_scope"
    assert (
        authority.grant_refusal(
            "staff", "sa_wide", "this_node_and_descendants", "agent", None, "this_node_and_descendants"
        )
        is None
    )


@pytest.mark.parametrize(("actor_policy", "granted"), list(itertools.product(POLICIES, POLICIES)))
def test_every_policy_pair(actor_policy, granted):
    refused = authority.grant_refusal("admin", actor_policy, "this_node_only", "staff", granted)
    wider = authority.POLICY_WIDTH[granted] > authority.POLICY_WIDTH[actor_policy]
    assert (refused == "scope_policy") == wider


@pytest.mark.parametrize(
    ("actor_scope", "granted"), list(itertools.product(HIERARCHY_SCOPES, HIERARCHY_SCOPES))
)
def test_every_hierarchy_pair(actor_scope, granted):
    refused = authority.grant_refusal("admin", "sa_wide", actor_scope, "staff", None, granted)
    assert (refused == "hierarchy_scope") == (
        actor_scope == "this_node_only" and granted == "this_node_and_descendants"
    )


def test_every_role_policy_and_scope_is_ranked():
    assert set(authority.ROLE_RANK) == set(ROLES)
    assert set(authority.POLICY_WIDTH) == set(POLICIES)
    assert set(authority.HIERARCHY_WIDTH) == set(HIERARCHY_SCOPES)
