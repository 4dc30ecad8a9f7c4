"""The access explainer's sentences, without Odoo."""

from governance import explainer

ANA_IN_NORTH = explainer.Membership(person="Ana", sa="North", role="agent", policy="assigned_only")


def _assignment(**overrides):
    values = {
        "assignment_id": 12,
        "account": "North",
        "actor": "Ana",
        "actor_is_the_person": True,
        "visible": True,
        "archived": False,
    }
    return explainer.Assignment(**{**values, **overrides})


def test_inactive_account_grants_nobody_access():
    sentence = explainer.no_membership("Ana", "North", False, "active")
    assert sentence == "North is inactive: it grants nobody access."


def test_person_without_any_membership():
    assert explainer.no_membership("Ana", "North", True, None) == "Ana has no membership in North."


def test_suspended_membership_is_named():
    sentence = explainer.no_membership("Ana", "North", True, "suspended")
    assert sentence == "Ana's membership in North is suspended."


def test_active_membership_outside_its_dates():
    assert (
        explainer.no_membership("Ana", "North", True, "active")
        == "Ana's membership in North is outside its effective dates."
    )


def test_who_names_the_ancestor_whose_membership_covers_the_sub_account():
    member = explainer.Membership(person="Ana", sa="South", role="staff", policy="sa_wide", ancestor="North")
    assert explainer.who(member) == (
        "Ana is staff of South (through their membership in North, which covers its sub-accounts)"
        " with the sa_wide policy"
    )


def test_role_that_reads_no_customers():
    assert explainer.role_reads_no_customers(ANA_IN_NORTH) == (
        "Ana is agent of North with the assigned_only policy; that role does not read customers."
    )


def test_customer_without_assignment_in_the_subtree():
    assert explainer.no_assignment_in_scope(ANA_IN_NORTH, "Marie", True) == (
        "Ana is agent of North with the assigned_only policy, but Marie has no active assignment"
        " in this account or its sub-accounts."
    )


def test_customer_assigned_to_the_person_is_visible():
    assert explainer.assignment_verdict(ANA_IN_NORTH, "Marie", _assignment()) == (
        "Ana is agent of North with the assigned_only policy; Marie is assigned to them"
        " (assignment 12 in North), so it is visible."
    )


def test_customer_assigned_to_someone_else_is_not_visible_under_assigned_only():
    found = _assignment(actor="Kwame", actor_is_the_person=False, visible=False)
    assert explainer.assignment_verdict(ANA_IN_NORTH, "Marie", found).endswith(
        "Marie is assigned to Kwame (assignment 12 in North), so it is not visible."
    )


def test_unassigned_customer():
    found = _assignment(actor=None, actor_is_the_person=False)
    assert "Marie is unassigned (assignment 12 in North)" in explainer.assignment_verdict(
        ANA_IN_NORTH, "Marie", found
    )


def test_archived_customer_in_scope_is_explained_as_archived():
    found = _assignment(archived=True)
    assert explainer.assignment_verdict(ANA_IN_NORTH, "Marie", found).endswith(
        "; Marie is assigned to them (assignment 12) but is archived."
    )


def test_translation_function_receives_every_sentence():
    seen = []

    def spy(source, **params):
        seen.append(source)
        return explainer.untranslated(source, **params)

    explainer.assignment_verdict(ANA_IN_NORTH, "Marie", _assignment(), spy)
    assert "is assigned to them" in seen and "visible" in seen


def test_customer_of_a_covered_sub_account_says_where_the_member_acts_on_it():
    found = _assignment(account="South", in_sub_account=True)
    assert explainer.assignment_verdict(ANA_IN_NORTH, "Marie", found).endswith(
        "so it is visible. Marie belongs to the sub-account South, which their hierarchy scope covers:"
        " from North they act on it there (assignments and events are in South)."
    )
