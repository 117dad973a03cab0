"""Loaded at start-up (through singer-compat.pth) in the target-csv virtualenv.

target-csv 0.3.0 and singer-python 2.x use the ABC aliases that the
collections module dropped in Python 3.10 (collections.MutableMapping, ...).
This puts them back, pointing at collections.abc, so that the unmaintained
program runs unchanged on Python 3.11.
"""

import collections
import collections.abc

for _name in ("Callable", "Iterable", "Mapping", "MutableMapping", "MutableSet",
              "MutableSequence", "Sequence", "Set"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))
