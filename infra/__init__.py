"""lambgate's deploy side: ``lambgate package`` builds the zip, ``lambgate deploy`` ships it.

The Terraform module in this directory and these commands deploy the same resources. Nothing
here is imported by ``lambgate`` itself: boto3 is needed only to deploy, never in the function.
"""
