"""The Lambda service: execution environments, the Runtime API and the Invoke API."""
