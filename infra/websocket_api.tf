# Optional WebSocket API (var.websocket_api): $connect, $disconnect, $default and the custom
# route keys of var.websocket_route_keys, each a Lambda proxy integration of the function, on
# an auto-deployed stage. An ASGI app's WebSocket route (Starlette's WebSocketRoute, FastAPI's
# @app.websocket) then runs behind it through lambgate, one invocation per event, and its
# sends go back through the stage's @connections API, which the role may call.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api.html

locals {
  websocket_api_count = var.websocket_api ? 1 : 0
  # The routes API Gateway predefines, then the app's own; none when the API is off.
  websocket_route_keys = var.websocket_api ? toset(concat(["$connect", "$disconnect", "$default"], var.websocket_route_keys)) : toset([])
}

resource "aws_apigatewayv2_api" "websocket" {
  count = local.websocket_api_count

  name                       = "${var.name}-websocket"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = var.websocket_route_selection_expression
  tags                       = var.tags
}

resource "aws_apigatewayv2_integration" "websocket" {
  count = local.websocket_api_count

  api_id           = aws_apigatewayv2_api.websocket[0].id
  integration_type = "AWS_PROXY"
  # Lambda is always invoked with POST, whatever the event.
  integration_method = "POST"
  integration_uri    = aws_lambda_function.this.invoke_arn
  # The most a WebSocket API waits for an integration (50 ms to 29 s).
  # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
  timeout_milliseconds = 29000
}

resource "aws_apigatewayv2_route" "websocket" {
  #checkov:skip=CKV_AWS_309:The routes front a web application that authenticates its own users at $connect (a token in the query or a cookie); an API Gateway authorizer is an add-on the caller can attach to the $connect route.
  for_each = local.websocket_route_keys

  api_id    = aws_apigatewayv2_api.websocket[0].id
  route_key = each.value
  target    = "integrations/${aws_apigatewayv2_integration.websocket[0].id}"
}

# Access logs go to their own group: the function's role may write only to the function's.
resource "aws_cloudwatch_log_group" "websocket_api_access" {
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_in_days, the caller's choice (see the function's log group).
  #checkov:skip=CKV_AWS_158:Encrypted at rest by CloudWatch Logs; a customer-managed key is opt-in through var.kms_key_arn.
  count = local.websocket_api_count

  name              = "/aws/apigateway/${var.name}-websocket"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "websocket" {
  #checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to an HTTP backend; the backend here is Lambda, reached through IAM.
  count = local.websocket_api_count

  api_id = aws_apigatewayv2_api.websocket[0].id
  name   = var.websocket_api_stage_name
  # A WebSocket stage serves only what was deployed to it: without auto_deploy, a new route
  # or integration would answer 403 until someone deploys (hashicorp/terraform-provider-aws#17955).
  # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-set-up-websocket-deployment.html
  auto_deploy = true
  tags        = var.tags

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.websocket_api_access[0].arn
    # $context variables: https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-logging.html
    format = jsonencode({
      requestId          = "$context.requestId"
      ip                 = "$context.identity.sourceIp"
      requestTime        = "$context.requestTime"
      eventType          = "$context.eventType"
      routeKey           = "$context.routeKey"
      connectionId       = "$context.connectionId"
      status             = "$context.status"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
    })
  }
}

resource "aws_lambda_permission" "websocket_api" {
  count = local.websocket_api_count

  statement_id  = "AllowWebSocketApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "apigateway.amazonaws.com"
  # Only this API, any stage and route: arn:...:execute-api:<region>:<account>:<api-id>/*
  source_arn = "${aws_apigatewayv2_api.websocket[0].execution_arn}/*"
}

# What the app sends is post_to_connection on this stage (its close, delete_connection): the
# role may manage this stage's connections and no other API's.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html
data "aws_iam_policy_document" "manage_connections" {
  count = local.websocket_api_count

  statement {
    sid       = "ManageOwnConnections"
    actions   = ["execute-api:ManageConnections"]
    resources = ["${aws_apigatewayv2_stage.websocket[0].execution_arn}/*/@connections/*"]
  }
}

resource "aws_iam_role_policy" "manage_connections" {
  count = local.websocket_api_count

  name   = "${var.name}-manage-connections"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.manage_connections[0].json
}
