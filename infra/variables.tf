# ------------------------------------------------------------------------------ the function

variable "name" {
  description = "Name of the Lambda function; also names the role, the log group and the APIs."
  type        = string

  validation {
    # https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#lambda-CreateFunction-request-FunctionName
    # The role name (<name>-lambda) must also fit IAM's 64-character limit.
    condition     = can(regex("^[A-Za-z0-9_-]{1,57}$", var.name))
    error_message = "name must be 1-57 letters, digits, hyphens or underscores (57 leaves room for the role's \"-lambda\" suffix)."
  }
}

variable "filename" {
  description = "Path to the deployment zip that `lambgate package` built."
  type        = string

  validation {
    condition     = endswith(var.filename, ".zip")
    error_message = "filename must point at a .zip file (build it with `lambgate package`)."
  }
}

variable "app" {
  description = "The WSGI or ASGI application, as module:attribute (passed to the function as LAMBGATE_APP)."
  type        = string

  validation {
    # lambgate.entry imports the dotted module, then walks the dotted attribute path.
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$", var.app))
    error_message = "app must look like package.module:attribute, e.g. \"examples.flask_app:app\"."
  }
}

variable "handler" {
  description = "Lambda handler. The default is lambgate's entry point, which loads var.app."
  type        = string
  default     = "lambgate.lambda_handler"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$", var.handler))
    error_message = "handler must be module.function, e.g. \"lambgate.lambda_handler\"."
  }
}

variable "runtime" {
  description = "Python runtime. lambgate needs Python 3.11 or newer."
  type        = string
  default     = "python3.12"

  validation {
    # https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
    condition     = contains(["python3.11", "python3.12", "python3.13", "python3.14"], var.runtime)
    error_message = "runtime must be python3.11, python3.12, python3.13 or python3.14."
  }
}

variable "architecture" {
  description = "Instruction set: x86_64 or arm64. Must match the platform the zip's wheels were built for (`lambgate package --arch`)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
  default     = 512

  validation {
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Function timeout in seconds. API Gateway stops waiting after 30 s (HTTP API) or 29 s (REST API) whatever this says."
  type        = number
  default     = 30

  validation {
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "environment" {
  description = "Extra environment variables for the function, e.g. LAMBGATE_LIFESPAN. LAMBGATE_APP comes from var.app."
  type        = map(string)
  default     = {}

  validation {
    condition     = !contains(keys(var.environment), "LAMBGATE_APP")
    error_message = "Set LAMBGATE_APP through var.app, not var.environment."
  }

  validation {
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
    condition     = alltrue([for key in keys(var.environment) : can(regex("^[A-Za-z][A-Za-z0-9_]*$", key))])
    error_message = "Environment variable names start with a letter and hold only letters, digits and underscores."
  }
}

variable "log_retention_in_days" {
  description = "How long CloudWatch keeps the function's logs (and the HTTP API's access logs)."
  type        = number
  default     = 14

  validation {
    # The values PutRetentionPolicy accepts:
    # https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "kms_key_arn" {
  description = "Optional customer-managed KMS key for the log groups and the function's environment. Its key policy must allow logs.<region>.amazonaws.com. Null uses AWS-owned keys."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>) or null."
  }
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}

# ------------------------------------------------------------------------------ HTTP API

variable "http_api" {
  description = "Create an API Gateway HTTP API (payload format 2.0, $default route and stage) in front of the function."
  type        = bool
  default     = true
}

# ------------------------------------------------------------------------------ Function URL

variable "function_url" {
  description = "Create a Lambda Function URL (payload format 2.0, like the HTTP API)."
  type        = bool
  default     = false
}

variable "function_url_auth_type" {
  description = "NONE for a public URL (the module then grants the public invoke permissions), AWS_IAM for SigV4-signed callers only."
  type        = string
  default     = "AWS_IAM"

  validation {
    # https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
    condition     = contains(["NONE", "AWS_IAM"], var.function_url_auth_type)
    error_message = "function_url_auth_type must be NONE or AWS_IAM."
  }
}

variable "function_url_invoke_mode" {
  description = "BUFFERED (whole responses, 6 MB) or RESPONSE_STREAM: the app's chunks reach the client as it sends them, up to 200 MB, through lambgate's streaming runtime (the module sets AWS_LAMBDA_EXEC_WRAPPER for it)."
  type        = string
  default     = "BUFFERED"

  validation {
    # https://docs.aws.amazon.com/lambda/latest/dg/config-rs-invoke-furls.html
    condition     = contains(["BUFFERED", "RESPONSE_STREAM"], var.function_url_invoke_mode)
    error_message = "function_url_invoke_mode must be BUFFERED or RESPONSE_STREAM."
  }
}

# ------------------------------------------------------------------------------ REST API

variable "rest_api" {
  description = "Also create an API Gateway REST API (payload format 1.0) with a {proxy+} route and binary media types."
  type        = bool
  default     = false
}

variable "rest_api_stage_name" {
  description = "Stage of the REST API; it becomes the first path segment of rest_api_url."
  type        = string
  default     = "prod"

  validation {
    # https://docs.aws.amazon.com/apigateway/latest/api/API_CreateStage.html
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.rest_api_stage_name))
    error_message = "rest_api_stage_name must be 1-128 letters, digits, hyphens or underscores."
  }
}

variable "binary_media_types" {
  description = "Media types the REST API passes through as binary. The HTTP API and Function URL need no list: lambgate base64-encodes binary bodies itself."
  type        = list(string)
  default     = ["*/*"]

  validation {
    condition     = alltrue([for media_type in var.binary_media_types : can(regex("^[^/\\s]+/[^/\\s]+$", media_type))])
    error_message = "binary_media_types entries must be type/subtype, e.g. \"image/png\" or \"*/*\"."
  }
}

# ------------------------------------------------------------------------------ WebSocket API

variable "websocket_api" {
  description = "Also create an API Gateway WebSocket API ($connect, $disconnect, $default and websocket_route_keys) in front of an ASGI app's WebSocket route, and let the role post to its connections."
  type        = bool
  default     = false
}

variable "websocket_api_stage_name" {
  description = "Stage of the WebSocket API; it becomes the path of websocket_api_url."
  type        = string
  default     = "live"

  validation {
    # https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-stages.html
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.websocket_api_stage_name))
    error_message = "websocket_api_stage_name must be 1-128 letters, digits, hyphens or underscores."
  }
}

variable "websocket_route_selection_expression" {
  description = "Where in a message its route key is, e.g. $request.body.action; a message it names no route for goes to $default."
  type        = string
  default     = "$request.body.action"

  validation {
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html
    condition     = can(regex("\\$\\{?request\\.body\\.", var.websocket_route_selection_expression))
    error_message = "websocket_route_selection_expression must read the message body: $request.body.<path> or $${request.body.<path>}."
  }
}

variable "websocket_route_keys" {
  description = "Custom route keys beside $connect, $disconnect and $default, each sent to the function (the app sees every message alike)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for key in var.websocket_route_keys : length(key) > 0 && !startswith(key, "$")])
    error_message = "websocket_route_keys are custom keys: non-empty and not starting with $ ($connect, $disconnect and $default are always there)."
  }
}
