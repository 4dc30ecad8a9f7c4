"""The access explainer's wording: plain facts in, one sentence out.

The model (``ov.serviced_account._abs_explain_access``) gathers the facts --
names, the live membership, the customer's active assignment, the verdict of
the visibility domain -- and these functions put them into words. Nothing
here reads a database, so every sentence is unit-tested.

Every function takes ``_``, the translation function (Odoo's ``env._``): the
sentences stay in this file, where the translation export finds them.
"""

from dataclasses import dataclass


def untranslated(source, **params):
    """The ``_`` of plain Python callers: format, do not translate."""
    return source % params if params else source


@dataclass(frozen=True)
class Membership:
    """Who the person is in the SA: their live membership, as names."""

    person: str
    sa: str
    role: str
    policy: str
    ancestor: str | None = None  # the SA holding the membership, when it is an ancestor


@dataclass(frozen=True)
class Assignment:
    """The customer's active assignment in the membership's scope, as names."""

    assignment_id: int
    account: str
    actor: str | None  # None: unassigned
    actor_is_the_person: bool
    visible: bool
    archived: bool
    in_sub_account: bool = False  # the row is in a sub-account the membership's scope covers


def no_membership(person, sa, sa_active, latest_state, _=untranslated):
    """Why ``person`` has no authority in ``sa``.

    :param latest_state: state of their latest membership there, ``None`` when they never held one.
    """
    if not sa_active:
        return _("%(sa)s is inactive: it grants nobody access.", sa=sa)
    if latest_state is None:
        return _("%(person)s has no membership in %(sa)s.", person=person, sa=sa)
    if latest_state != "active":
        return _("%(person)s's membership in %(sa)s is %(state)s.", person=person, sa=sa, state=latest_state)
    return _("%(person)s's membership in %(sa)s is outside its effective dates.", person=person, sa=sa)


def who(member, _=untranslated):
    """``Ana is agent of North with the assigned_only policy`` (and through which ancestor)."""
    via = ""
    if member.ancestor:
        via = _(
            " (through their membership in %(ancestor)s, which covers its sub-accounts)",
            ancestor=member.ancestor,
        )
    return _(
        "%(person)s is %(role)s of %(sa)s%(via)s with the %(policy)s policy",
        person=member.person,
        role=member.role,
        sa=member.sa,
        via=via,
        policy=member.policy,
    )


def role_reads_no_customers(member, _=untranslated):
    return _("%(who)s; that role does not read customers.", who=who(member, _))


def no_assignment_in_scope(member, customer, covers_descendants, _=untranslated):
    scope = _("this account or its sub-accounts") if covers_descendants else _("this account")
    return _(
        "%(who)s, but %(customer)s has no active assignment in %(scope)s.",
        who=who(member, _),
        customer=customer,
        scope=scope,
    )


def _holder(assignment, _):
    if assignment.actor_is_the_person:
        return _("is assigned to them")
    if assignment.actor:
        return _("is assigned to %(actor)s", actor=assignment.actor)
    return _("is unassigned")


def assignment_verdict(member, customer, assignment, _=untranslated):
    """The sentence for a customer with an active assignment in scope: visible or not, and why."""
    if assignment.visible and assignment.archived:
        verdict = _(
            "%(who)s; %(customer)s %(holder)s (assignment %(aid)s) but is archived.",
            who=who(member, _),
            customer=customer,
            holder=_holder(assignment, _),
            aid=assignment.assignment_id,
        )
    else:
        verdict = _(
            "%(who)s; %(customer)s %(holder)s (assignment %(aid)s in %(asa)s), so it is %(verdict)s.",
            who=who(member, _),
            customer=customer,
            holder=_holder(assignment, _),
            aid=assignment.assignment_id,
            asa=assignment.account,
            verdict=_("visible") if assignment.visible else _("not visible"),
        )
    if assignment.visible and assignment.in_sub_account:
        verdict += " " + _sub_account_note(member, customer, assignment, _)
    return verdict


def _sub_account_note(member, customer, assignment, _):
    return _(
        "%(customer)s belongs to the sub-account %(asa)s, which their hierarchy scope covers: "
        "from %(sa)s they act on it there (assignments and events are in %(asa)s).",
        customer=customer,
        asa=assignment.account,
        sa=member.sa,
    )
