# Optional Function URL: the same 2.0 payload as the HTTP API, without API Gateway.
# https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html

locals {
  function_url_public = var.function_url && var.function_url_auth_type == "NONE"
  # RESPONSE_STREAM: the managed Python runtime starts lambgate's streaming runtime through
  # its wrapper-script hook (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html).
  function_url_streams = var.function_url && var.function_url_invoke_mode == "RESPONSE_STREAM"
  streaming_environment = local.function_url_streams ? {
    AWS_LAMBDA_EXEC_WRAPPER = "/var/task/lambgate/streaming/exec-wrapper"
  } : {}
}

resource "aws_lambda_function_url" "this" {
  #checkov:skip=CKV_AWS_258:The auth type is var.function_url_auth_type (default AWS_IAM); NONE is how a public website is served, and the application then authenticates its own users.
  count = var.function_url ? 1 : 0

  function_name      = aws_lambda_function.this.function_name
  authorization_type = var.function_url_auth_type
  # RESPONSE_STREAM invokes with InvokeWithResponseStream: the app's chunks reach the client
  # as it sends them (https://docs.aws.amazon.com/lambda/latest/dg/config-rs-invoke-furls.html).
  invoke_mode = var.function_url_invoke_mode
}

# A public URL needs both statements since October 2025: InvokeFunctionUrl limited to URLs
# whose auth type is NONE, and InvokeFunction limited to calls that arrive through the URL,
# so the function itself does not become publicly invokable through the Lambda API.
# https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html#urls-auth-none
# The statement ids differ from the console's (FunctionURLAllowPublicAccess, ...) because
# the provider adds statements under those ids itself when it creates a NONE URL, outside
# Terraform's state (hashicorp/terraform-provider-aws#38260); equal ids would collide.
resource "aws_lambda_permission" "function_url_public" {
  #checkov:skip=CKV_AWS_301:Public on purpose and only when var.function_url_auth_type is NONE: the statement is limited to Function URLs whose auth type is NONE.
  count = local.function_url_public ? 1 : 0

  statement_id           = "AllowPublicFunctionUrl"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.this.function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}

resource "aws_lambda_permission" "function_url_public_invoke" {
  #checkov:skip=CKV_AWS_301:Public on purpose and only when var.function_url_auth_type is NONE: invoked_via_function_url limits it to calls through the URL, not the Lambda Invoke API.
  count = local.function_url_public ? 1 : 0

  statement_id             = "AllowInvokeViaFunctionUrl"
  action                   = "lambda:InvokeFunction"
  function_name            = aws_lambda_function.this.function_name
  principal                = "*"
  invoked_via_function_url = true
}
