"""The file digests a no-change re-run reuses (orchestration/unchanged_run.FileDigests): a file is
read again whenever it may have been rewritten, even with its size and modification time kept."""
from __future__ import annotations

import hashlib
import os

from orchestration.unchanged_run import FileDigests


def test_a_rewrite_that_keeps_size_and_mtime_is_read_again(tmp_path):
    home, feed = tmp_path / "home", tmp_path / "tax_payments.csv"
    home.mkdir()
    feed.write_bytes(b"record_id,amount\n1,100\n")
    digests = FileDigests(home)
    first = digests.sha256(feed)
    digests.save()                         # the next run starts from this digest
    assert first == hashlib.sha256(feed.read_bytes()).hexdigest()
    st = feed.stat()
    with feed.open("r+b") as f:            # same size, in place (same inode)
        f.write(b"record_id,amount\n1,900\n")
    os.utime(feed, ns=(st.st_atime_ns, st.st_mtime_ns))   # modification time set back
    assert (feed.stat().st_size, feed.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    again = FileDigests(home)
    assert str(feed) in again.known
    assert again.sha256(feed) == hashlib.sha256(b"record_id,amount\n1,900\n").hexdigest() != first
    assert again.changed                   # read again, not taken from the kept digest


def test_digests_are_kept_for_the_next_run_and_a_replaced_file_is_read(tmp_path):
    home, feed = tmp_path / "home", tmp_path / "energy_monthly.csv"
    home.mkdir()
    feed.write_bytes(b"a\n1\n")
    digests = FileDigests(home)
    digests.sha256(feed)
    digests.save()
    kept = FileDigests(home)
    assert str(feed) in kept.known and not kept.changed
    assert kept.sha256(feed) == hashlib.sha256(b"a\n1\n").hexdigest() and not kept.changed   # no read
    replacement = tmp_path / "new.csv"
    replacement.write_bytes(b"a\n2\n")
    replacement.replace(feed)                                  # a re-delivery: another inode
    assert kept.sha256(feed) == hashlib.sha256(b"a\n2\n").hexdigest() and kept.changed
