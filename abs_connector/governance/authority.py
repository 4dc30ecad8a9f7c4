"""Who may hand out or take away what: the ranking of roles, policies and hierarchy scopes.

Nobody grants more than they hold, and nobody suspends, revokes or edits a member whose
role ranks above their own. Plain Python, no Odoo import; documented in
docs/customer-lifecycle.md, "Nobody hands out more than they hold" (its table is
generated from this module).

Ranks (higher = more authority):

======  =======================  ============================  ===========================
rank    role                     visibility policy             hierarchy scope
======  =======================  ============================  ===========================
4       admin
3       staff                    sa_wide
2       agent, finance           assigned_plus_unassigned      this_node_and_descendants
1       viewer                   assigned_only                 this_node_only
======  =======================  ============================  ===========================

Agent and finance share a rank: neither is a subset of the other, so besides the rank a
granted role's capabilities must be a subset of the grantor's.
"""

from .visibility import ROLE_CAPABILITIES, effective_policy

ROLE_RANK = {"admin": 4, "staff": 3, "agent": 2, "finance": 2, "viewer": 1}
POLICY_WIDTH = {"sa_wide": 3, "assigned_plus_unassigned": 2, "assigned_only": 1}
HIERARCHY_WIDTH = {"this_node_and_descendants": 2, "this_node_only": 1}


def outranks(role_a, role_b):
    """Whether ``role_a`` ranks strictly above ``role_b``."""
    return ROLE_RANK[role_a] > ROLE_RANK[role_b]


def may_grant_role(actor_role, role):
    """A role no higher than the actor's, whose rights the actor all holds."""
    return not outranks(role, actor_role) and ROLE_CAPABILITIES[role] <= ROLE_CAPABILITIES[actor_role]


def grant_refusal(actor_role, actor_policy, actor_hierarchy, role, scope_policy=None, hierarchy_scope=None):
    """Why an actor holding (role, policy, hierarchy scope) may not grant these, or None.

    :param scope_policy: the override asked for (None: the granted role's default applies).
    :param hierarchy_scope: the scope asked for (None: this_node_only).
    :returns: ``"role"``, ``"scope_policy"``, ``"hierarchy_scope"`` or None when allowed.
    """
    if not may_grant_role(actor_role, role):
        return "role"
    granted_policy = effective_policy(role, scope_policy)
    if POLICY_WIDTH[granted_policy] > POLICY_WIDTH[actor_policy]:
        return "scope_policy"
    if HIERARCHY_WIDTH[hierarchy_scope or "this_node_only"] > HIERARCHY_WIDTH[actor_hierarchy]:
        return "hierarchy_scope"
    return None


def may_manage_member(actor_role, target_role):
    """Whether an actor may suspend, reinstate, revoke or edit a member holding ``target_role``."""
    return not outranks(target_role, actor_role)
