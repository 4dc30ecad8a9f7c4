"""The shipped translation template is what Odoo's own export produces today."""

import io
import re

from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_open
from odoo.tools.translate import trans_export

# The export stamps the time it ran; nothing else in the file may differ.
_DATES = re.compile(r'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"$', re.MULTILINE)


def _without_dates(text):
    return _DATES.sub("", text)


@tagged("post_install", "-at_install", "abs_i18n")
class TestTranslationTemplate(TransactionCase):
    def test_pot_file_matches_odoos_export_run_dev_pot_to_regenerate_it(self):
        buffer = io.BytesIO()
        trans_export(False, ["abs_connector"], buffer, "po", self.env.cr)
        exported = buffer.getvalue().decode()
        with file_open("abs_connector/i18n/abs_connector.pot") as shipped:
            self.assertEqual(
                _without_dates(shipped.read()),
                _without_dates(exported),
                "abs_connector/i18n/abs_connector.pot is stale: run ./dev pot and commit it",
            )
