# The root module that deploys what template.yaml deploys, with Terraform: the Flask example
# behind a REST API and a public Function URL, the FastAPI example behind an HTTP API, both
# from one zip built by `lambgate package` (see infra/README.md).
#
#   terraform -chdir=infra/examples/basic init
#   terraform -chdir=infra/examples/basic apply -var "filename=$PWD/dist/lambgate-examples.zip"

terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.28, < 7.0"
    }
  }
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "filename" {
  description = "Path to the deployment zip built by `lambgate package` (the examples and their requirements)."
  type        = string
}

variable "name_prefix" {
  description = "Prefix for the two functions' names."
  type        = string
  default     = "lambgate"
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      project = "lambgate-examples"
    }
  }
}

# The settings template.yaml puts in Globals; tests/infra/test_terraform.py keeps them equal.
locals {
  runtime      = "python3.12"
  architecture = "arm64"
  memory_size  = 512
  timeout      = 10
}

module "flask" {
  source = "../.."

  name         = "${var.name_prefix}-flask"
  filename     = var.filename
  app          = "examples.flask_app.app:app"
  runtime      = local.runtime
  architecture = local.architecture
  memory_size  = local.memory_size
  timeout      = local.timeout

  http_api = false

  function_url           = true
  function_url_auth_type = "NONE"

  rest_api            = true
  rest_api_stage_name = "prod"
  # A response goes out as binary only if the request's first Accept type is listed, and a
  # browser's <img> asks for image/avif first: hence "*/*" beside the types the app uses.
  # https://docs.aws.amazon.com/apigateway/latest/developerguide/lambda-proxy-binary-media.html
  binary_media_types = ["image/png", "multipart/form-data", "*/*"]
}

module "fastapi" {
  source = "../.."

  name         = "${var.name_prefix}-fastapi"
  filename     = var.filename
  app          = "examples.fastapi_app.app:app"
  runtime      = local.runtime
  architecture = local.architecture
  memory_size  = local.memory_size
  timeout      = local.timeout

  # The app's WebSocket chat, as template.yaml's ChatApi: {"action": "nick", ...} is the
  # nick route, anything else $default.
  websocket_api            = true
  websocket_api_stage_name = "chat"
  websocket_route_keys     = ["nick"]

  # A streaming Function URL (GET /sse/count); the module sets AWS_LAMBDA_EXEC_WRAPPER.
  function_url             = true
  function_url_auth_type   = "NONE"
  function_url_invoke_mode = "RESPONSE_STREAM"
}

output "flask_rest_api_url" {
  description = "The Flask example behind the REST API; the stage leads every path."
  value       = module.flask.rest_api_url
}

output "flask_function_url" {
  description = "The Flask example's public Function URL."
  value       = module.flask.function_url
}

output "fastapi_function_url" {
  description = "The FastAPI example's streaming Function URL (try /sse/count)."
  value       = module.fastapi.function_url
}

output "fastapi_http_api_url" {
  description = "The FastAPI example behind the HTTP API."
  value       = module.fastapi.http_api_url
}

output "fastapi_websocket_url" {
  description = "The FastAPI example's WebSocket chat (wss://)."
  value       = module.fastapi.websocket_api_url
}
