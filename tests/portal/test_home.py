"""Each role's home page."""

import re


def test_it_titles_the_clients_home_without_markup(cast, open_minor, login):
    body = login(cast.client).get("/").content.decode()
    title = re.search(r"<title>(.*?)</title>", body, re.S).group(1)
    assert title == "Home · Certdesk"
    # The table of NCRs is in the page once, in its body, and without the client's own name in a column.
    assert body.count(f">{open_minor.number}</a>") == 1
    ncr_table = body.split('id="ncrs"')[1].split("</table>")[0]
    assert open_minor.number in ncr_table
    assert ">Organisation</th>" not in ncr_table
    assert "Nordkontakt AB" not in ncr_table
