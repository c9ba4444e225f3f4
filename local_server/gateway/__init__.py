"""The gateway: API Gateway, ALB and function URLs around a function."""
