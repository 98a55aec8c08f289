"""Transom: self-hosted maintenance windows that speak the AWS Systems Manager API."""

__version__ = "0.1.0"
