"""The SNS service model that botocore ships; loaded once per process and shared read-only."""

from __future__ import annotations

from functools import cache

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel

SERVICE = "sns"


@cache
def service_model() -> ServiceModel:
    return ServiceModel(Loader().load_service_model(SERVICE, "service-2"), service_name=SERVICE)


def operation_model(operation: str) -> OperationModel | None:
    """The operation's model; None if the model has no such operation."""
    model = service_model()
    return model.operation_model(operation) if operation in model.operation_names else None
