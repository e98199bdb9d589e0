"""Nightly rebuilds: stable entity and ring ids, build-to-build changes (``changes.csv``,
``changes.json``), newly listed sanctions matches and the settings check of a diff.

``ids`` derives ids from content and carries ring ids over from a previous build;
``view`` reads what a diff needs from a build folder or a fresh build; ``diff`` compares
two builds into ``changes.Changes``; ``listdiff`` compares two versions of a sanctions
list. (Submodules are imported where used: ``ids`` is imported by resolution and rings.)
"""
