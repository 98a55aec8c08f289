"""The AWS Query protocol (form-encoded requests, XML responses), driven by botocore's model of
each service it serves: today SNS."""
