"""Collectors observe what really serves a deployment: AWS accounts (`aws.py` and its `aws_*.py`
readers, what is read, and `aws_client.py`, how calls are made: the only boto3 import;
`observed.py` writes observed deployments) and DNS (`dns.py`, the only dnspython import)."""
