"""The ``lambgate`` command line."""
