"""Response streaming on Lambda: a Runtime API client that sends the app's chunks as they come.

Lambda's Python runtime returns one result per invocation and cannot stream; AWS documents
streaming for other languages through "a custom runtime with a custom Runtime API
integration" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html).
This package is that runtime, standard library only, started in the managed Python runtime by
the wrapper script ``exec-wrapper`` beside this file (``AWS_LAMBDA_EXEC_WRAPPER``,
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html#runtime-wrapper): Lambda
hands the wrapper the interpreter and its arguments, and the wrapper runs
``python -m lambgate.streaming`` with that interpreter instead.

- :mod:`.prelude` — the HTTP integration prelude (status, headers, cookies) before the body;
- :mod:`.runtime_client` — the Runtime API calls, the streamed post and its error trailers;
- :mod:`.asgi_stream`, :mod:`.wsgi_stream` — the app's chunks to the stream as it sends them;
- :mod:`.invocation` — one invocation: which sources stream, and how failures end a stream;
- :mod:`.runtime` — the loop the wrapper starts.

Nothing here is imported by ``import lambgate``: a function that does not stream pays nothing.
"""
