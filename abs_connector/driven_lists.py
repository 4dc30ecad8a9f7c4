"""Lists driven from the assignment rows (docs/performance.md#lists-driven): the SQL of a page and
of its bounded count, compiled once per list.

Odoo compiles a search's domain and record rules into SQL on every ``_search``: for the API's
proxy user that is the multi-company rule's ``parent_of`` and a domain parse per model, a good
part of a list request's time. A list asks for its page and then its count from the same rows;
``DrivenCustomers`` compiles the partners' search and each branch's rows once and writes both
statements from them.
"""

from odoo.tools import SQL
from odoo.tools.query import Query

# Names in the SQL: the partner a row holds, once tested, and the row's customer id it is ordered by.
PROBED = "abs_probed"
DRIVING_ID = "abs_driving_id"
# Prefix of the driving row's own columns a page may carry next to its partner's (see query()).
ROW_PREFIX = "abs_row_"

# What a keyset bound may compare the rows' customer id with (see controllers' keyset_id_bound).
_BOUND_OPERATORS = {"<": SQL("<"), ">": SQL(">")}
# A count gathers a quarter more rows of each branch than it counts: a branch whose first rows
# hold more partners Odoo's search leaves out (archived, another company's) is counted row by row.
_SPARE_SHARE = 4


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

    def query(self, limit, descending=False, whole_rows=True, id_bound=None, row_fields=()):
        """An Odoo ``Query`` of partner ids whose ``res_partner`` alias is the partner's row, up
        to ``limit`` of them in each branch; the caller sets its limit and offset.

        :param whole_rows: whether each partner yields its every column (for ``_fetch_query``)
            or only its id (a count: a narrower probe costs about half as much per row).
        :param id_bound: ``(operator, id)``, e.g. ``(">", 41)``: only customers past that id, the
            bound put in each branch so that its index range starts there (a cursor page).
        :param row_fields: columns of the assignment row each partner is reached through, also
            yielded, each as ``abs_row_<name>`` (ROW_PREFIX): the row a list's answer names, read
            by the same query instead of a search of the page's rows afterwards.
        """
        if not self.branches:
            return self.partners.browse()._as_query()
        direction = SQL("DESC") if descending else SQL("ASC")
        probe = self._probe(whole_rows)
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

        The first rows of every branch, a few more than ``limit`` each, are gathered into one set
        of customers whose partners are then tested in id order, all branches together
        (docs/performance.md#lists-count): the probes land closer to each other than branch by
        branch, and no sub-select is run again per row. Only when so many of those partners fail
        Odoo's search (archived, another company's) that the set cannot decide, are the rows
        counted branch by branch as far as they go.
        """
        if not self.branches:
            return 0
        counted, complete = self._gathered_count(limit)
        if counted >= limit or complete:
            return counted
        return self._row_by_row_count(limit)

    def _gathered_count(self, limit):
        """(how many of the gathered rows' partners Odoo's search returns, up to ``limit``;
        whether the gathered rows are every row of every branch)."""
        span = limit + limit // _SPARE_SHARE
        names = [SQL.identifier(f"abs_rows_{index}") for index in range(len(self.branches))]
        gathered = SQL(", ").join(
            SQL("ARRAY(%s) AS %s", self._first_rows(rows, span + 1), name)
            for rows, name in zip(self.branches, names, strict=True)
        )
        table = self.partners._table
        conditions = [
            *([self.searched.where_clause] if self.searched.where_clause else []),
            SQL("%s = ANY(%s)", SQL.identifier(table, "id"), SQL(" || ").join(names)),
        ]
        tested = SQL(
            "SELECT count(*) FROM (SELECT 1 FROM %s WHERE %s LIMIT %s) AS counted",
            self.searched.from_clause,
            SQL(" AND ").join(conditions),
            limit,
        )
        complete = SQL(" AND ").join(SQL("cardinality(%s) <= %s", name, span) for name in names)
        # MATERIALIZED: each branch's rows are read once, not once per column that names them
        statement = SQL(
            "WITH abs_gathered AS MATERIALIZED (SELECT %s) SELECT (%s), %s FROM abs_gathered",
            gathered,
            tested,
            complete,
        )
        return self.partners.env.execute_query(statement)[0]

    def _first_rows(self, rows, limit):
        """The customers of a branch's first ``limit`` rows, in customer order."""
        return SQL(
            "SELECT %s FROM %s%s ORDER BY %s LIMIT %s",
            self.driving_id,
            rows.from_clause,
            SQL(" WHERE %s", rows.where_clause) if rows.where_clause else SQL(),
            self.driving_id,
            limit,
        )

    def _row_by_row_count(self, limit):
        """:meth:`count`, each row's partner tested as its branch is read."""
        query = self.query(limit, whole_rows=False)
        query.order, query.limit = None, limit
        counted = SQL("SELECT count(*) FROM (%s) AS counted", query.select(SQL("1")))
        return self.partners.env.execute_query(counted)[0][0]

    def _probe(self, whole_rows):
        """The test of one row's customer: Odoo's search of the partners, by primary key."""
        table = self.partners._table
        columns = SQL("%s.*", SQL.identifier(table)) if whole_rows else SQL.identifier(table, "id")
        conditions = [
            *([self.searched.where_clause] if self.searched.where_clause else []),
            SQL("%s = %s", SQL.identifier(table, "id"), self.driving_id),
        ]
        # OFFSET 0 keeps the test a probe per row: flattened into a join, PostgreSQL would plan
        # it as a walk of every partner again (with Odoo's multi-company sub-select in the rule).
        return SQL(
            "LATERAL (SELECT %s FROM %s WHERE %s OFFSET 0)",
            columns,
            self.searched.from_clause,
            SQL(" AND ").join(conditions),
        )

    def _branch_select(self, rows, probe, limit, direction, id_bound, row_fields):
        """One branch's rows with their probed customers, ordered and bounded in the branch, so
        that PostgreSQL merges the branches lazily (it does not merge a UNION ALL of unordered
        branches: it sorts all their rows)."""
        conditions = [*([rows.where_clause] if rows.where_clause else [])]
        if id_bound:
            operator, bound_id = id_bound
            conditions.append(SQL("%s %s %s", self.driving_id, _BOUND_OPERATORS[operator], int(bound_id)))
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
            SQL(" WHERE %s", SQL(" AND ").join(conditions)) if conditions else SQL(),
            self.driving_id,
            direction,
            limit,
        )
