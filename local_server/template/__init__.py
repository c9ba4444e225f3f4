"""Template loading: a SAM template, and the CloudFormation under it, read into what is served. It
owns everything between the YAML file and the frozen specs the other parts read (``specs``:
functions, APIs, routes, function URLs): CloudFormation's short-form tags, parameters and
``--parameter-overrides``, intrinsic functions and conditions, the resources SAM adds, ``Globals``,
which properties are read, ignored or refused, ``Api``/``HttpApi`` events, CORS, and each function's
environment variables with ``--env-vars``. Pure: no sockets, no processes, and every
``TemplateError`` names its place in the template. It imports no other part of the emulator.
"""
