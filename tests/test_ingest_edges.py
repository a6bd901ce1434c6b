"""EdgeScan: staging skips the per-cell trim test only for a file proven to have no cell that starts
or ends with a blank; the proof must hold across the reader's chunk boundaries."""
from __future__ import annotations

import pytest

from orchestration.feeds import limits
from orchestration.feeds.reader import EdgeScan

CLEAN = 'id,name,amount\n1,"a,b",3\n4,a b,5\n2,中文名,4.5\n3,,\n'


def _maybe(text: str, cut: int | None = None) -> bool:
    data = text.encode()
    chunks = [data] if cut is None else [data[:cut], data[cut:]]
    scan, lines = EdgeScan(), limits.LineMeter()
    for c in chunks:
        lines.feed(c)
        scan.feed(c)
    lines.finish()
    return scan.finish(lines)


def test_a_file_without_blank_cell_edges_skips_the_trim_test():
    assert not _maybe(CLEAN)


@pytest.mark.parametrize("text", [
    "id,name\n1, a\n",            # after a comma
    "id,name\n1,a \n",            # before the newline
    "id,name\n1,a\t,2\n",         # before a comma
    'id,name\n1," a"\n',          # inside the quotes
    "id,name\n1,a\n2,b ",         # the last byte of the file
    "id,name\r\n1,a\r\n",         # CR (CRLF): tested cell by cell
    "id,name\n1,a\u00a0\n",       # no-break space
    "id,name\n1,\u3000a\n",       # ideographic space
    'id,name\n1,"a\nb"\n',        # newline inside a quoted field
])
def test_any_possible_blank_edge_means_the_cells_are_tested(text):
    assert _maybe(text)
    for cut in range(1, len(text.encode())):   # every chunk boundary
        assert _maybe(text, cut), (text, cut)


def test_clean_at_every_chunk_boundary():
    for cut in range(1, len(CLEAN.encode())):
        assert not _maybe(CLEAN, cut), cut
