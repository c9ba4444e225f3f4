"""The ``lambgate`` command line: the top of the emulator, where the other parts are put together.
It owns ``main`` (one table row per subcommand), ``serve`` (``plan`` decides what runs from a
template or an ``APP``; ``serve`` starts the fronts, their gateways, the functions and the Invoke
API), ``invoke`` (one invocation, as ``sam local invoke``), ``event`` (the event a service sends
for a request), ``reload`` (``--reload``'s code watcher) and ``workers`` (the flags for the
functions' workers: ``--isolated``, ``--manifest``, ``--debug-port``). It is the only part that
imports every other one, and no part imports it: only lambgate's ``__main__`` and the console
script do.
"""
