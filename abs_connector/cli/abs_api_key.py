"""``odoo-bin abs_api_key``: create, revoke and list the API keys of the system endpoints.

    odoo-bin --addons-path=... abs_api_key -c odoo.conf -d DB create --name NAME [--expires-in-days N]
    odoo-bin --addons-path=... abs_api_key -c odoo.conf -d DB revoke --name NAME
    odoo-bin --addons-path=... abs_api_key -c odoo.conf -d DB list

``create`` prints only the key on stdout (logs go to stderr), so it can be captured by a script:
it is the only time the key is shown.
"""

import argparse
import sys
from datetime import timedelta

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.cli import Command
from odoo.exceptions import UserError
from odoo.modules.registry import Registry

SUBCOMMANDS = ("create", "revoke", "list")


def _split(args):
    """Odoo server options come first, then the subcommand and its own options."""
    for index, arg in enumerate(args):
        if arg in SUBCOMMANDS:
            return args[:index], args[index:]
    return args, []


def _parser():
    parser = argparse.ArgumentParser(prog="odoo-bin abs_api_key", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="create a key and print it (shown only once)")
    create.add_argument("--name", required=True, help="who or what uses the key")
    create.add_argument(
        "--expires-in-days", type=_positive_days, default=None, help="days until the key expires"
    )
    revoke = sub.add_parser("revoke", help="revoke the live key with this name")
    revoke.add_argument("--name", required=True)
    sub.add_parser("list", help="list keys (never their secret)")
    return parser


def _positive_days(text):
    """argparse type: a whole number of days above zero."""
    try:
        days = int(text)
    except ValueError:
        days = 0
    if days <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of days")
    return days


def _write(line):
    """A line of this command's output (stdout is the interface, not a log)."""
    sys.stdout.write(f"{line}\n")


class AbsApiKey(Command):
    """Create, revoke or list abs_connector API keys"""

    name = "abs_api_key"

    def run(self, cmdargs):
        odoo_args, own_args = _split(cmdargs)
        options = _parser().parse_args(own_args)
        odoo.tools.config.parse_config(odoo_args, setup_logging=True)
        dbname = odoo.tools.config["db_name"]
        if not dbname:
            sys.exit("abs_api_key needs a database: -d DB")
        dbname = dbname.split(",")[0]
        registry = Registry(dbname)
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                if "abs.api_key" not in env:
                    sys.exit(f"abs_connector is not installed in database {dbname}.")
                getattr(self, f"_{options.action}")(env, options)
        except UserError as exc:  # includes ValidationError: a sentence for the operator
            sys.exit(f"abs_api_key: {exc.args[0]}")

    def _create(self, env, options):
        expires_at = (
            fields.Datetime.now() + timedelta(days=options.expires_in_days)
            if options.expires_in_days
            else False
        )
        _key, clear = env["abs.api_key"]._generate(options.name, expires_at)
        _write(clear)  # the key is this command's only output

    def _revoke(self, env, options):
        keys = env["abs.api_key"].search([("name", "=", options.name), ("revoked_at", "=", False)])
        if not keys:
            raise UserError(env._("No live API key is named %r.", options.name))
        keys.action_revoke()
        sys.stderr.write(f"revoked {options.name}\n")

    def _list(self, env, options):
        for key in env["abs.api_key"].search([], order="name, id"):
            _write(
                "\t".join(
                    [  # listing is this command's output
                        key.name,
                        key.key_hint or "",
                        key.state,
                        fields.Datetime.to_string(key.create_date) or "",
                        fields.Datetime.to_string(key.expires_at) or "never",
                    ]
                )
            )
