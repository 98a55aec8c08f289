"""The SSM service model that botocore ships: the schema of every request and response.

Contract: the model is loaded once per process, on first use, and shared read-only. Shape
objects are botocore's (`botocore.model.Shape` and subclasses); callers must not mutate them.
"""

from __future__ import annotations

from functools import cache

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, StructureShape


@cache
def service_model() -> ServiceModel:
    """The SSM `ServiceModel` (`ssm/<version>/service-2.json` of the installed botocore)."""
    return ServiceModel(Loader().load_service_model("ssm", "service-2"), service_name="ssm")


@cache
def operation_names() -> frozenset[str]:
    """Every operation name of the model, e.g. `CreateMaintenanceWindow`."""
    return frozenset(service_model().operation_names)


def input_shape(operation: str) -> StructureShape:
    """The request structure of `operation`; KeyError if the model has no such operation."""
    return _operation_model(operation).input_shape


def output_shape(operation: str) -> StructureShape:
    """The response structure of `operation`; KeyError if the model has no such operation."""
    return _operation_model(operation).output_shape


def _operation_model(operation: str) -> OperationModel:
    if operation not in operation_names():
        raise KeyError(f"the SSM model has no operation {operation!r}")
    return service_model().operation_model(operation)
