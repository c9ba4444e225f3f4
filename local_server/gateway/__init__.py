"""The gateway: what API Gateway (REST and HTTP APIs), an ALB or a function URL does around a Lambda
function. It owns the way from an HTTP request to a function and back: the headers the front adds,
route matching by API Gateway's rules, the destination and its event (built by the event sources'
own ``request_to_event``), the integration timeout, the result read back with
``result_to_response``, AWS's own answers when no route matches or the function fails, and the
access log that says why. The HTTP front serves it; it calls functions through the Lambda service
and reads routes from the template's specs.
"""
