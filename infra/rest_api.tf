# Optional REST API (payload format 1.0): ANY on / and on /{proxy+}, both proxied to the
# function, deployed to the stage var.rest_api_stage_name. Binary bodies need
# binary_media_types (F15 in AWS_FACTS.md).
# https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html

locals {
  rest_api_count = var.rest_api ? 1 : 0
}

resource "aws_api_gateway_rest_api" "this" {
  count = local.rest_api_count

  name               = "${var.name}-rest"
  binary_media_types = var.binary_media_types
  tags               = var.tags

  endpoint_configuration {
    # Regional: no CloudFront distribution that the caller did not ask for.
    types = ["REGIONAL"]
  }

  lifecycle {
    # A replaced API gets a new id, hence a new URL: serve the old one until the new exists.
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "proxy" {
  count = local.rest_api_count

  rest_api_id = aws_api_gateway_rest_api.this[0].id
  parent_id   = aws_api_gateway_rest_api.this[0].root_resource_id
  path_part   = "{proxy+}"
}

resource "aws_api_gateway_method" "root" {
  #checkov:skip=CKV_AWS_59:The method fronts a web application that authenticates its own users; an authorizer is an add-on the caller can attach.
  #checkov:skip=CKV2_AWS_53:Request validation belongs to the application, which sees the whole request; a gateway model would have to duplicate every route's schema.
  count = local.rest_api_count

  rest_api_id   = aws_api_gateway_rest_api.this[0].id
  resource_id   = aws_api_gateway_rest_api.this[0].root_resource_id
  http_method   = "ANY"
  authorization = "NONE"
}

resource "aws_api_gateway_method" "proxy" {
  #checkov:skip=CKV_AWS_59:The method fronts a web application that authenticates its own users; an authorizer is an add-on the caller can attach.
  #checkov:skip=CKV2_AWS_53:Request validation belongs to the application, which sees the whole request; a gateway model would have to duplicate every route's schema.
  count = local.rest_api_count

  rest_api_id   = aws_api_gateway_rest_api.this[0].id
  resource_id   = aws_api_gateway_resource.proxy[0].id
  http_method   = "ANY"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "root" {
  count = local.rest_api_count

  rest_api_id = aws_api_gateway_rest_api.this[0].id
  resource_id = aws_api_gateway_method.root[0].resource_id
  http_method = aws_api_gateway_method.root[0].http_method
  type        = "AWS_PROXY"
  # Lambda's Invoke API is always POST, whatever the client's method.
  integration_http_method = "POST"
  uri                     = aws_lambda_function.this.invoke_arn
}

resource "aws_api_gateway_integration" "proxy" {
  count = local.rest_api_count

  rest_api_id             = aws_api_gateway_rest_api.this[0].id
  resource_id             = aws_api_gateway_method.proxy[0].resource_id
  http_method             = aws_api_gateway_method.proxy[0].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.this.invoke_arn
}

resource "aws_api_gateway_deployment" "this" {
  count = local.rest_api_count

  rest_api_id = aws_api_gateway_rest_api.this[0].id

  # A deployment is a snapshot: take a new one whenever the routes or settings change.
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_rest_api.this[0].binary_media_types,
      aws_api_gateway_resource.proxy[0].id,
      aws_api_gateway_method.root[0].id,
      aws_api_gateway_method.proxy[0].id,
      aws_api_gateway_integration.root[0].id,
      aws_api_gateway_integration.proxy[0].id,
    ]))
  }

  lifecycle {
    # The stage points at the old deployment until the new one exists.
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_76:REST API access logging needs the account-wide API Gateway CloudWatch role (aws_api_gateway_account), which one module must not set for a whole account; the HTTP API logs access.
  #checkov:skip=CKV_AWS_73:X-Ray tracing is off for the same reason as on the function (CKV_AWS_50).
  #checkov:skip=CKV_AWS_120:Responses of a dynamic application must not be cached by the gateway by default.
  #checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to an HTTP backend; the backend here is Lambda, reached through IAM.
  #checkov:skip=CKV2_AWS_29:A WAF web ACL is an account-level, priced resource the caller associates with the stage if wanted.
  #checkov:skip=CKV2_AWS_4:Execution logging needs the same account-wide CloudWatch role as CKV_AWS_76.
  count = local.rest_api_count

  rest_api_id   = aws_api_gateway_rest_api.this[0].id
  deployment_id = aws_api_gateway_deployment.this[0].id
  stage_name    = var.rest_api_stage_name
  tags          = var.tags
}

resource "aws_lambda_permission" "rest_api" {
  count = local.rest_api_count

  statement_id  = "AllowRestApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "apigateway.amazonaws.com"
  # Only this API: arn:...:execute-api:<region>:<account>:<api-id>/<stage>/<method>/<path>
  source_arn = "${aws_api_gateway_rest_api.this[0].execution_arn}/*"
}
