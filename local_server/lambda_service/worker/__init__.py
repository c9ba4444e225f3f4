"""What runs inside an execution environment's worker process, never in the emulator's own.
``bootstrap`` is lambgate's lean Runtime API client, run as a script so that nothing of lambgate is
imported before the function's code; ``app_handler`` is the Lambda handler that serves
``lambgate serve APP`` through ``lambgate.make_handler``; ``import_check`` (imports AWS would
not have: warned, or failed with ``--isolated``) and ``debugger`` (``breakpoint()`` on the
terminal, debugpy on ``--debug-port``) are standard-library modules ``bootstrap`` loads from
their files when asked for. This file and the ``__init__`` files above it import nothing, so a
worker importing ``app_handler`` loads lambgate's Lambda side and no part of the emulator.
"""
