# The HTTP API (on by default): one $default route that sends every method and path to the
# function with payload format 2.0, on an auto-deployed $default stage (no stage prefix in
# the URL).
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html

locals {
  http_api_count = var.http_api ? 1 : 0
}

resource "aws_apigatewayv2_api" "http" {
  count = local.http_api_count

  name          = var.name
  protocol_type = "HTTP"
  tags          = var.tags
}

resource "aws_apigatewayv2_integration" "lambda" {
  count = local.http_api_count

  api_id                 = aws_apigatewayv2_api.http[0].id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.this.invoke_arn
  payload_format_version = "2.0"
  # The most HTTP APIs allow (F5 in AWS_FACTS.md); Lambda's own timeout may be longer.
  timeout_milliseconds = 30000
}

resource "aws_apigatewayv2_route" "default" {
  #checkov:skip=CKV_AWS_309:The route fronts a web application that authenticates its own users (sessions, tokens); an API Gateway authorizer is an add-on the caller can attach to this route.
  count = local.http_api_count

  api_id    = aws_apigatewayv2_api.http[0].id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.lambda[0].id}"
}

# Access logs go to their own group: the function's role may write only to the function's.
resource "aws_cloudwatch_log_group" "http_api_access" {
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_in_days, the caller's choice (see the function's log group).
  #checkov:skip=CKV_AWS_158:Encrypted at rest by CloudWatch Logs; a customer-managed key is opt-in through var.kms_key_arn.
  count = local.http_api_count

  name              = "/aws/apigateway/${var.name}-http"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "default" {
  count = local.http_api_count

  api_id      = aws_apigatewayv2_api.http[0].id
  name        = "$default"
  auto_deploy = true
  tags        = var.tags

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.http_api_access[0].arn
    # $context variables: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
    format = jsonencode({
      requestId          = "$context.requestId"
      ip                 = "$context.identity.sourceIp"
      requestTime        = "$context.requestTime"
      httpMethod         = "$context.httpMethod"
      path               = "$context.path"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
    })
  }
}

resource "aws_lambda_permission" "http_api" {
  count = local.http_api_count

  statement_id  = "AllowHttpApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "apigateway.amazonaws.com"
  # Only this API, any stage and route: arn:...:execute-api:<region>:<account>:<api-id>/*
  source_arn = "${aws_apigatewayv2_api.http[0].execution_arn}/*"
}
