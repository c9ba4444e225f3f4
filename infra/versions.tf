terraform {
  # Nothing here needs a newer language feature; validations only ever look at their own
  # variable (cross-variable validation would need 1.9).
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.28 is the first release we found with `invoked_via_function_url` on
      # aws_lambda_permission: since October 2025 a public (auth NONE) Function URL needs a
      # lambda:InvokeFunction statement conditioned on lambda:InvokedViaFunctionUrl, and 5.x
      # cannot express that condition (hashicorp/terraform-provider-aws#44829).
      # https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
      version = ">= 6.28, < 7.0"
    }
  }
}
