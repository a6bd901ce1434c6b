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


def test_an_ascii_chunk_after_a_cut_character_is_still_decoded(tmp_path, monkeypatch):
    """inspect_file skips decoding an ASCII chunk only when no multi-byte sequence is pending: a lead
    byte ending one chunk, an ASCII chunk, then the character's continuation bytes starting the next
    is not UTF-8 (nor GB18030), although each chunk boundary alone could hide it."""
    from orchestration.feeds import reader
    from orchestration.feeds.errors import FileProblem

    monkeypatch.setattr(reader, "CHUNK", 8)
    name = "名".encode()                                   # e5 90 8d
    path = tmp_path / "registry_enterprises.csv"
    path.write_bytes(b"ab,cd\nx" + name[:1] + b",1\n2,3\n4" + name[1:] + b",5\n")   # chunks of 8 bytes
    with pytest.raises(FileProblem, match="cannot decode"):
        reader.inspect_file(path)
    path.write_bytes(b"ab,cd\nx" + name + b",1\n2,3\n4,5\n")                        # the same, whole
    assert reader.inspect_file(path).encoding == "utf-8"
