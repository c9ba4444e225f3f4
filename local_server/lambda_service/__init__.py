"""The Lambda service: functions run as Lambda runs them, each in its own execution environments. It
owns each function's pool of environments (one worker process each: cold and warm starts, one
invocation at a time, timeouts, crashes, ``REPORT`` lines), the Runtime API that drives every
worker, the Invoke API on its own port (``sam local start-lambda``), the error documents Lambda
answers with, and what the emulator adds to a worker (``worker_options``: the import check and
``--isolated`` after ``import_policy``, the terminal ``breakpoint()`` gets, ``--debug-port``);
``worker/`` holds what runs inside the worker process. It knows functions, not routes or
templates, and stands on the HTTP front alone.
"""
