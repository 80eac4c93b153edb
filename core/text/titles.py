"""Document titles as queries name them: 《全称》, and whether a named title is a document's."""

from __future__ import annotations

import re

# A 《title》 named in a query or question.
TITLE_RE = re.compile(r"《([^《》]{2,60})》")


def title_matches(want: str, title: str) -> bool:
    """A named title denotes a document: equal, a part of its title, or (for a title of
    six characters or more) its title is a part of what was named."""
    return bool(title) and (want == title or want in title or (len(title) >= 6 and title in want))
