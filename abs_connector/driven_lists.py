"""Lists driven from the assignment rows (docs/performance.md#lists-driven): the SQL of a page and
of its bounded count, compiled once per list.

Odoo compiles a search's domain and record rules into SQL on every ``_search``: for the API's
proxy user that is the multi-company rule's ``parent_of`` and a domain parse per model, a good
part of a list request's time. A list asks for its page and then its count from the same rows;
``DrivenCustomers`` compiles the partners' search and each branch's rows once and writes both
statements from them.
"""

import re

from odoo.tools import SQL
from odoo.tools.query import Query

from .customer_standing import PARTNER_COLUMNS

# Names in the SQL: the partner a row holds, once tested, and the row's customer id it is ordered by.
PROBED = "abs_probed"
DRIVING_ID = "abs_driving_id"
# Prefix of the driving row's own columns a page may carry next to its partner's (see query()).
ROW_PREFIX = "abs_row_"

# What a keyset bound may compare the rows' customer id with (see controllers' keyset_id_bound).
_BOUND_OPERATORS = {"<": SQL("<"), ">": SQL(">")}
# A count first gathers a quarter more rows of each branch than it counts: enough, unless more
# than one partner in five of them is one Odoo's search leaves out (archived, another company's).
_SPARE_SHARE = 4
# Rounds of gathered rows before the rest is read row by row: a list's statements stay bounded
# (docs/performance.md#queries-per-request) whatever share of its partners Odoo's search leaves out.
_GATHERED_ROUNDS = 2


class DrivenCustomers:
    """The partners the active rows of ``branches`` hold, among those Odoo's own search of
    ``partners`` returns (active test, record rules), in id order (see
    ``res.partner._abs_customers_from_assignments``).

    :param partners: an empty ``res.partner`` recordset in the caller's environment: its user's
        record rules and its context's active test apply to every statement.
    :param branches: domains on ``ov.sa_customer_assignment`` that never share a customer
        (``visibility.disjoint_assignment_domains``).
    """

    def __init__(self, partners, branches):
        self.partners = partners
        assignments = partners.env["ov.sa_customer_assignment"]
        self.driving_id = SQL.identifier(assignments._table, "partner_id")
        self.branches = [assignments._search(branch) for branch in branches]
        self.searched = partners._search([]) if branches else None

    def query(self, limit, descending=False, id_bound=None, row_fields=()):
        """An Odoo ``Query`` of partner ids whose ``res_partner`` alias is the partner's row (its
        every column, for ``_fetch_query``), up to ``limit`` of them in each branch; the caller
        sets its limit and offset.

        :param id_bound: ``(operator, id)``, e.g. ``(">", 41)``: only customers past that id, the
            bound put in each branch so that its index range starts there (a cursor page).
        :param row_fields: columns of the assignment row each partner is reached through, also
            yielded, each as ``abs_row_<name>`` (ROW_PREFIX): the row a list's answer names, read
            by the same query instead of a search of the page's rows afterwards.
        """
        if not self.branches:
            return self.partners.browse()._as_query()
        direction = SQL("DESC") if descending else SQL("ASC")
        probe = self._probe(whole_rows=True)
        selects = [
            self._branch_select(rows, probe, limit, direction, id_bound, row_fields) for rows in self.branches
        ]
        table = self.partners._table
        query = Query(self.partners.env, table, SQL("(%s)", SQL(" UNION ALL ").join(selects)))
        query.order = SQL("%s %s", SQL.identifier(table, DRIVING_ID), direction)
        return query

    def page_query(self, offset, limit, descending, id_bound=None, row_fields=()):
        """:meth:`query` of one page: ``limit`` partners after the first ``offset``."""
        query = self.query(offset + limit, descending, id_bound=id_bound, row_fields=row_fields)
        query.offset, query.limit = offset, limit
        return query

    def count(self, limit):
        """How many partners there are, counted up to ``limit``.

        When Odoo's search of the partners tests only what each row carries of its customer (the
        active test and the multi-company rule, as for the API's proxy user: see
        :meth:`_copies_suffice`), the rows alone are counted, from the index they are read from:
        one statement, no partner read (docs/performance.md#lists-count).

        Otherwise the customers of every branch's first rows, a quarter more than ``limit``, are gathered
        into one set whose partners are tested in id order, all branches together
        (docs/performance.md#lists-count): the probes land closer to each other than branch by
        branch, and no sub-plan runs again per row. When the partners Odoo's search leaves out
        (archived, another company's) keep the count short of ``limit``, the next rows of the
        branches that go on are gathered, twice as many; after that, the rest of them are read
        with a probe per row, as far as the count needs. Every row is tested once, in at most
        three statements.
        """
        if self._copies_suffice():
            return self.partners.env.execute_query(self._copied_count_sql(limit))[0][0]
        counted, (branches, span) = 0, self._first_round(limit)
        for _round in range(_GATHERED_ROUNDS):
            if not branches or counted >= limit:
                return counted
            statement = self._gathered_count_sql(branches, span, limit - counted)
            found, *ends = self.partners.env.execute_query(statement)[0]
            counted += found
            branches = [(rows, end) for (rows, _after), end in zip(branches, ends, strict=True) if end]
            span *= 2
        if branches and counted < limit:
            counted += self._row_by_row_count(branches, limit - counted)
        return counted

    def count_sql(self, limit):
        """The statement of :meth:`count` (of its first round, when it tests the partners
        themselves), None without branches: what the benchmark explains."""
        if not self.branches:
            return None
        if self._copies_suffice():
            return self._copied_count_sql(limit)
        return self._gathered_count_sql(*self._first_round(limit), limit)

    def _copies_suffice(self):
        """Whether Odoo's search of the partners reads nothing of a partner but what each row
        carries of its customer (``customer_standing.PARTNER_COLUMNS``): one table, conditions on
        those columns only. Any other record rule or search condition makes the count test the
        partners themselves."""
        if not self.branches or self.searched.from_clause.code != f'"{self.partners._table}"':
            return False
        code = self.searched.where_clause.code if self.searched.where_clause else ""
        table = re.escape(self.partners._table)
        if re.search(rf'(?<!")\b{table}\b(?!")', code):  # an unquoted mention: unknown shape
            return False
        return set(re.findall(rf'"{table}"\."([^"]+)"', code)) <= PARTNER_COLUMNS.keys()

    def _copied_count_sql(self, limit):
        """How many rows of the branches, up to ``limit``, carry a customer that Odoo's search of
        the partners returns: its conditions applied to the row's copies, named as the partner's
        columns. Each branch stops at ``limit``; they never share a customer."""
        counts = [
            SQL(
                "(SELECT count(*) FROM (SELECT 1 FROM %s CROSS JOIN LATERAL (SELECT %s) AS %s%s LIMIT %s)"
                " AS counted)",
                rows.from_clause,
                SQL(", ").join(
                    SQL("%s AS %s", SQL.identifier(rows.table, row_column), SQL.identifier(column))
                    for column, row_column in PARTNER_COLUMNS.items()
                ),
                SQL.identifier(self.partners._table),
                self._rows_where(rows, None, self.searched.where_clause),
                limit,
            )
            for rows in self.branches
        ]
        return SQL("SELECT LEAST(%s, %s)", SQL(" + ").join(counts), limit)

    def _first_round(self, limit):
        """The branches as a count's first round reads them (from their first rows) and how
        many rows it gathers of each."""
        return [(rows, None) for rows in self.branches], limit + limit // _SPARE_SHARE

    def _gathered_count_sql(self, branches, span, limit):
        """The statement that answers how many partners of the next ``span`` rows of each branch
        Odoo's search returns, up to ``limit``; and, for each branch, the customer its gathered
        rows end at when more may follow (``span`` rows gathered), else None.

        :param branches: ``(rows, after)``: a branch's rows, and the customer id its rows start
            after (None: from its first row).
        """
        names = [SQL.identifier(f"abs_rows_{index}") for index in range(len(branches))]
        gathered = SQL(", ").join(
            SQL("ARRAY(%s) AS %s", self._next_rows(rows, after, span), name)
            for (rows, after), name in zip(branches, names, strict=True)
        )
        tested = SQL(
            "SELECT count(*) FROM (SELECT 1 FROM %s WHERE %s LIMIT %s) AS counted",
            self.searched.from_clause,
            self._searched_where(SQL("= ANY(%s)", SQL(" || ").join(names))),
            limit,
        )
        ends = SQL(", ").join(
            SQL("CASE WHEN cardinality(%s) = %s THEN %s[%s] END", name, span, name, span) for name in names
        )
        # MATERIALIZED: each branch's rows are read once, not once per column that names them
        return SQL(
            "WITH abs_gathered AS MATERIALIZED (SELECT %s) SELECT (%s), %s FROM abs_gathered",
            gathered,
            tested,
            ends,
        )

    def _next_rows(self, rows, after, limit):
        """The customers of a branch's first ``limit`` rows after customer ``after`` (None: from
        its first row), in customer order."""
        return SQL(
            "SELECT %s FROM %s%s ORDER BY %s LIMIT %s",
            self.driving_id,
            rows.from_clause,
            self._rows_where(rows, _after(after)),
            self.driving_id,
            limit,
        )

    def _row_by_row_count(self, branches, limit):
        """How many partners of the rows of ``branches`` (``(rows, after)``, as for
        :meth:`_gathered_count_sql`) Odoo's search returns, up to ``limit``: each row's partner
        tested as its branch is read, the branches one after the other."""
        probe = self._probe(whole_rows=False)
        selects = [
            self._branch_select(rows, probe, limit, SQL("ASC"), _after(after), ()) for rows, after in branches
        ]
        counted = SQL(
            "SELECT count(*) FROM (SELECT 1 FROM (%s) AS abs_rows LIMIT %s) AS counted",
            SQL(" UNION ALL ").join(selects),
            limit,
        )
        return self.partners.env.execute_query(counted)[0][0]

    def _probe(self, whole_rows):
        """The test of one row's customer: Odoo's search of the partners, by primary key."""
        table = self.partners._table
        columns = SQL("%s.*", SQL.identifier(table)) if whole_rows else SQL.identifier(table, "id")
        # OFFSET 0 keeps the test a probe per row: flattened into a join, PostgreSQL would plan
        # it as a walk of every partner again (with Odoo's multi-company sub-select in the rule).
        return SQL(
            "LATERAL (SELECT %s FROM %s WHERE %s OFFSET 0)",
            columns,
            self.searched.from_clause,
            self._searched_where(SQL("= %s", self.driving_id)),
        )

    def _searched_where(self, id_test):
        """Odoo's conditions of the partners' search, and ``id_test`` on the partner's id (what
        follows ``id``, e.g. ``= ANY(...)``)."""
        table = self.partners._table
        conditions = [
            *([self.searched.where_clause] if self.searched.where_clause else []),
            SQL("%s %s", SQL.identifier(table, "id"), id_test),
        ]
        return SQL(" AND ").join(conditions)

    def _rows_where(self, rows, id_bound, *more):
        """`` WHERE`` and a branch's conditions, with the keyset bound ``id_bound`` (``(operator,
        id)``, None: none) on the rows' customer and any of ``more``; empty when there is none."""
        conditions = [condition for condition in (rows.where_clause, *more) if condition]
        if id_bound:
            operator, bound_id = id_bound
            conditions.append(SQL("%s %s %s", self.driving_id, _BOUND_OPERATORS[operator], int(bound_id)))
        return SQL(" WHERE %s", SQL(" AND ").join(conditions)) if conditions else SQL()

    def _branch_select(self, rows, probe, limit, direction, id_bound, row_fields):
        """One branch's rows with their probed customers, ordered and bounded in the branch, so
        that PostgreSQL merges the branches lazily (it does not merge a UNION ALL of unordered
        branches: it sorts all their rows)."""
        assignments = self.partners.env["ov.sa_customer_assignment"]
        columns = [
            SQL(
                "%s AS %s",
                assignments._field_to_sql(rows.table, name, rows),
                SQL.identifier(ROW_PREFIX + name),
            )
            for name in row_fields
        ]
        return SQL(
            "(SELECT %s AS %s, %s%s.* FROM %s JOIN %s AS %s ON TRUE%s ORDER BY %s %s LIMIT %s)",
            self.driving_id,
            SQL.identifier(DRIVING_ID),
            SQL("").join(SQL("%s, ", column) for column in columns),
            SQL.identifier(PROBED),
            rows.from_clause,
            probe,
            SQL.identifier(PROBED),
            self._rows_where(rows, id_bound),
            self.driving_id,
            direction,
            limit,
        )


def _after(customer_id):
    """The keyset bound of the rows after ``customer_id`` (None: from the first row)."""
    return (">", customer_id) if customer_id is not None else None
