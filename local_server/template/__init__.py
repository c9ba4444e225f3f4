"""Template loading: SAM and CloudFormation."""
