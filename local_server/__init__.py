"""lambgate's local emulator of API Gateway, ALB, function URLs and the Lambda service."""
