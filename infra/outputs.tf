output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the function's execution role, for attaching further policies."
  value       = aws_iam_role.function.arn
}

output "http_api_url" {
  description = "Base URL of the HTTP API ($default stage, so no stage segment), or null when var.http_api is false."
  value       = one(aws_apigatewayv2_stage.default[*].invoke_url)
}

output "function_url" {
  description = "The Function URL, or null when var.function_url is false."
  value       = one(aws_lambda_function_url.this[*].function_url)
}

output "rest_api_url" {
  description = "Base URL of the REST API's stage, or null when var.rest_api is false."
  value       = one(aws_api_gateway_stage.this[*].invoke_url)
}

output "log_group_name" {
  description = "CloudWatch log group the function writes to."
  value       = aws_cloudwatch_log_group.function.name
}

output "websocket_api_url" {
  description = "wss:// URL of the WebSocket API's stage, or null when var.websocket_api is false."
  value       = one(aws_apigatewayv2_stage.websocket[*].invoke_url)
}
