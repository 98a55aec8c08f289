"""CreateActivation, DescribeActivations, DeleteActivation, DescribeInstanceInformation,
DeregisterManagedInstance, UpdateManagedInstanceRole."""

from __future__ import annotations

from datetime import UTC, datetime

from transom.domain.errors import InvalidFilterKeyError, InvalidFilterValueError, ValidationError
from transom.domain.nodes import Activation
from transom.protocol.awsjson.members import page_of
from transom.protocol.awsjson.operations.windows import tags_from
from transom.protocol.awsjson.registry import Params, operation
from transom.services.container import Services
from transom.services.nodes import NodeView

_ACTIVATION_FILTERS = {
    "ActivationIds": "activation_id",
    "DefaultInstanceName": "default_instance_name",
    "IamRole": "iam_role",
}
_NODE_FILTERS = (
    "InstanceIds",
    "AgentVersion",
    "PingStatus",
    "PlatformTypes",
    "ActivationIds",
    "IamRole",
    "ResourceType",
)
_PING_STATUSES = ("Online", "ConnectionLost", "Inactive")


@operation("CreateActivation")
def create_activation(services: Services, params: Params) -> Params:
    expires = params.get("ExpirationDate")
    activation_id, code = services.nodes.create_activation(
        iam_role=params.get("IamRole", ""),
        description=params.get("Description"),
        default_instance_name=params.get("DefaultInstanceName"),
        registration_limit=params.get("RegistrationLimit", 1),
        expiration_date=None if expires is None else datetime.fromtimestamp(expires, UTC),
        tags=tags_from(params),
    )
    return {"ActivationId": activation_id, "ActivationCode": code}


def _activation_members(services: Services, activation: Activation) -> Params:
    out: Params = {
        "ActivationId": activation.activation_id,
        "IamRole": activation.iam_role,
        "RegistrationLimit": activation.registration_limit,
        "RegistrationsCount": activation.registrations_count,
        "ExpirationDate": activation.expiration_date,
        "Expired": services.nodes.is_expired(activation),
        "CreatedDate": activation.created_date,
        "Tags": [{"Key": t.key, "Value": t.value} for t in activation.tags],
    }
    if activation.description is not None:
        out["Description"] = activation.description
    if activation.default_instance_name is not None:
        out["DefaultInstanceName"] = activation.default_instance_name
    return out


@operation("DescribeActivations")
def describe_activations(services: Services, params: Params) -> Params:
    filters: dict[str, list[str]] = {}
    for item in params.get("Filters", []):
        key = item.get("FilterKey")
        if key not in _ACTIVATION_FILTERS:
            raise ValidationError(
                f"Filter key {key!r} is not supported; use one of: "
                + ", ".join(_ACTIVATION_FILTERS)
                + "."
            )
        filters.setdefault(_ACTIVATION_FILTERS[key], []).extend(item.get("FilterValues", []))
    listed = [
        a
        for a in services.nodes.activations()
        if all(getattr(a, field) in values for field, values in filters.items())
    ]
    page, token = page_of("DescribeActivations", params, listed, 50)
    return {
        "ActivationList": [_activation_members(services, a) for a in page],
        **({"NextToken": token} if token else {}),
    }


@operation("DeleteActivation")
def delete_activation(services: Services, params: Params) -> Params:
    services.nodes.delete_activation(params["ActivationId"])
    return {}


def _node_filters(params: Params) -> dict[str, list[str]]:
    legacy = params.get("InstanceInformationFilterList") or []
    modern = params.get("Filters") or []
    if legacy and modern:
        raise ValidationError(
            "Use either InstanceInformationFilterList or Filters, not both in one request."
        )
    pairs = [(f["key"], f["valueSet"]) for f in legacy] or [(f["Key"], f["Values"]) for f in modern]
    filters: dict[str, list[str]] = {}
    for key, values in pairs:
        tagged = key.startswith("tag:") or key == "tag-key"
        if not (tagged and modern) and key not in _NODE_FILTERS:
            raise InvalidFilterKeyError(
                f"Filter key {key!r} is not supported; use one of: {', '.join(_NODE_FILTERS)}, "
                "tag:<key> or tag-key (the last two in Filters only)."
            )
        if not values or any(not v for v in values):
            raise InvalidFilterValueError(f"Filter {key!r} needs at least one non-empty value.")
        if key == "PingStatus" and not set(values) <= set(_PING_STATUSES):
            raise InvalidFilterValueError(
                f"PingStatus takes the values {', '.join(_PING_STATUSES)}."
            )
        filters.setdefault(key, []).extend(values)
    keys = list(filters)
    if any(k.startswith("tag") for k in keys) and not all(k.startswith("tag") for k in keys):
        raise InvalidFilterKeyError("Tag filters cannot be combined with other filter keys.")
    return filters


def _node_members(view: NodeView) -> Params:
    node, facts = view.node, view.node.facts
    out: Params = {
        "InstanceId": node.instance_id,
        "PingStatus": view.ping_status,
        "LastPingDateTime": node.last_ping_date,
        "AgentVersion": facts.agent_version,
        "IsLatestVersion": True,
        "PlatformType": facts.platform_type,
        "PlatformName": facts.platform_name,
        "PlatformVersion": facts.platform_version,
        "ActivationId": node.activation_id,
        "IamRole": node.iam_role,
        "RegistrationDate": node.registration_date,
        "ResourceType": "ManagedInstance",
        "IPAddress": facts.ip_address,
        "ComputerName": facts.computer_name,
        "SourceId": node.instance_id,
        "SourceType": "AWS::SSM::ManagedInstance",
    }
    if node.name is not None:
        out["Name"] = node.name
    return out


@operation("DescribeInstanceInformation")
def describe_instance_information(services: Services, params: Params) -> Params:
    views = services.nodes.describe(_node_filters(params))
    page, token = page_of("DescribeInstanceInformation", params, views, 10)
    return {
        "InstanceInformationList": [_node_members(v) for v in page],
        **({"NextToken": token} if token else {}),
    }


@operation("DeregisterManagedInstance")
def deregister_managed_instance(services: Services, params: Params) -> Params:
    services.nodes.deregister(params["InstanceId"])
    # its unfinished invocations end Undeliverable now rather than at the reaper's next pass
    services.expiry.expire()
    return {}


@operation("UpdateManagedInstanceRole")
def update_managed_instance_role(services: Services, params: Params) -> Params:
    services.nodes.set_role(params["InstanceId"], params["IamRole"])
    return {}
