"""What runs inside an execution environment's worker process."""
