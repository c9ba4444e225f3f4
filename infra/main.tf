# The function, its role and its log group. The gateways in front of it live in http_api.tf,
# function_url.tf and rest_api.tf.

locals {
  log_group_name = "/aws/lambda/${var.name}"
}

# ------------------------------------------------------------------------------ logs

# Created here rather than by Lambda on first invocation, so retention and encryption are ours
# and `terraform destroy` removes it.
resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_in_days (default 14 days); a year-long default would bill every preview stack for logs nobody reads. Set 365+ where policy demands it.
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts every log group at rest; a customer-managed key is opt-in through var.kms_key_arn because its key policy must be written for the logs service first.
  name              = local.log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# ------------------------------------------------------------------------------ IAM

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = "${var.name}-lambda"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
  tags               = var.tags
}

# Least privilege: the function may write to its own log group and nothing else. No
# logs:CreateLogGroup, since the group above already exists; no AWSLambdaBasicExecutionRole,
# which grants both on every log group in the account.
data "aws_iam_policy_document" "function" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  # Lambda decrypts a customer-managed-key environment with the function's own role.
  # https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptEnvironment"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "${var.name}-logs"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

# ------------------------------------------------------------------------------ the function

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_50:X-Ray active tracing would need xray:PutTraceSegments on "*" in the role; API Gateway's request id already correlates requests with the logs.
  #checkov:skip=CKV_AWS_115:Reserved concurrency carves capacity out of the account's shared pool; how much is the account owner's call, not a module default.
  #checkov:skip=CKV_AWS_116:A dead-letter queue only receives failed asynchronous invocations; API Gateway and Function URLs invoke synchronously and return the error to the client.
  #checkov:skip=CKV_AWS_117:The function calls no private resources, and a VPC would add ENI cold starts and a NAT gateway for its internet access.
  #checkov:skip=CKV_AWS_173:The environment holds configuration, not secrets, and Lambda encrypts it at rest with an AWS-managed key; var.kms_key_arn switches to a customer-managed one.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile and a signing step in the build; `lambgate package` produces an unsigned zip whose sha256 Terraform pins in source_code_hash.
  function_name = var.name
  role          = aws_iam_role.function.arn

  filename = var.filename
  # A new zip (another sha256) is what makes Terraform upload new code.
  source_code_hash = filebase64sha256(var.filename)

  handler       = var.handler
  runtime       = var.runtime
  architectures = [var.architecture]
  memory_size   = var.memory_size
  timeout       = var.timeout
  kms_key_arn   = var.kms_key_arn

  environment {
    variables = merge(var.environment, local.streaming_environment, { LAMBGATE_APP = var.app })
  }

  tags = var.tags

  # The log group and the permission to write to it must exist before the first invocation,
  # or Lambda creates an unmanaged group with infinite retention.
  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}
