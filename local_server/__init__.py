"""lambgate's local emulator of API Gateway, ALB, function URLs and the Lambda service. Five parts,
one subpackage each, importing one way only: ``cli`` uses ``gateway``, which uses
``lambda_service``, which uses ``front``; ``template`` and ``front`` are at the bottom and use no
other part. Each ``__init__`` says what its part owns; none re-exports anything, so a name is
imported from the module that defines it. ``tests/local_server/test_layout.py`` holds the parts
to that order.
"""
