"""The service models botocore ships (`ssm`, `events`): the schema of every request and
response of each API the endpoint serves.

Contract: each model is loaded once per process, on first use, and shared read-only. Shape
objects are botocore's (`botocore.model.Shape` and subclasses); callers must not mutate them.
`service` is botocore's name for the model.
"""

from __future__ import annotations

from functools import cache

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, StructureShape


@cache
def service_model(service: str) -> ServiceModel:
    """The `ServiceModel` of `service` (`<service>/<version>/service-2.json` of the installed
    botocore)."""
    return ServiceModel(Loader().load_service_model(service, "service-2"), service_name=service)


@cache
def operation_names(service: str) -> frozenset[str]:
    """Every operation name of the model, e.g. `CreateMaintenanceWindow`."""
    return frozenset(service_model(service).operation_names)


@cache
def error_codes(service: str, operation: str) -> frozenset[str]:
    """The error codes the model says `operation` may answer."""
    return frozenset(shape.name for shape in _operation_model(service, operation).error_shapes)


def input_shape(service: str, operation: str) -> StructureShape:
    """The request structure of `operation`; KeyError if the model has no such operation."""
    return _operation_model(service, operation).input_shape


def output_shape(service: str, operation: str) -> StructureShape:
    """The response structure of `operation`; KeyError if the model has no such operation."""
    return _operation_model(service, operation).output_shape


def _operation_model(service: str, operation: str) -> OperationModel:
    if operation not in operation_names(service):
        raise KeyError(f"the {service} model has no operation {operation!r}")
    return service_model(service).operation_model(operation)
