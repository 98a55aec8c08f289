"""CreateTopic, DeleteTopic, ListTopics, Get/SetTopicAttributes, Publish and the tag actions."""

from __future__ import annotations

from transom.domain.errors import InvalidParameterError
from transom.protocol.query.operations.paging import decode_token, encode_token
from transom.protocol.query.registry import Call, Params, operation
from transom.services.container import Services


def _tags(params: Params) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in params.get("Tags", [])}


@operation("CreateTopic")
def create(services: Services, call: Call) -> Params:
    p = call.params
    if "DataProtectionPolicy" in p:
        raise InvalidParameterError(
            "Invalid parameter: DataProtectionPolicy: Transom does not support data "
            "protection policies; leave it out."
        )
    topic = services.topics.create_topic(p["Name"], p.get("Attributes", {}), _tags(p))
    return {"TopicArn": services.topics.topic_arn(topic.name)}


@operation("DeleteTopic")
def delete(services: Services, call: Call) -> Params:
    services.topics.delete_topic(call.params["TopicArn"])
    return {}


@operation("ListTopics")
def list_topics(services: Services, call: Call) -> Params:
    topics, after = services.topics.list_topics(decode_token("ListTopics", call.params))
    return {
        "Topics": [{"TopicArn": services.topics.topic_arn(t.name)} for t in topics],
        "NextToken": encode_token("ListTopics", after),
    }


@operation("GetTopicAttributes")
def get_attributes(services: Services, call: Call) -> Params:
    return {"Attributes": services.topics.topic_attributes(call.params["TopicArn"])}


@operation("SetTopicAttributes")
def set_attributes(services: Services, call: Call) -> Params:
    p = call.params
    services.topics.set_topic_attribute(
        p["TopicArn"], p["AttributeName"], p.get("AttributeValue", "")
    )
    return {}


@operation("Publish")
def publish(services: Services, call: Call) -> Params:
    p = call.params
    for member, why in (
        ("TargetArn", "Transom publishes to topics only: give TopicArn"),
        ("PhoneNumber", "Transom sends no SMS: give TopicArn"),
        ("MessageStructure", "Transom sends one message to every protocol: leave it out"),
        ("MessageGroupId", "only FIFO topics take it, and Transom's topics are standard"),
        ("MessageDeduplicationId", "only FIFO topics take it, and Transom's topics are standard"),
    ):
        if member in p:
            raise InvalidParameterError(f"Invalid parameter: {member}: {why}.")
    if "TopicArn" not in p:
        raise InvalidParameterError("Invalid parameter: TopicArn: give the topic to publish to.")
    attributes = {
        name: (value["DataType"], value.get("StringValue", value.get("BinaryValue")))
        for name, value in p.get("MessageAttributes", {}).items()
    }
    message_id = services.topics.publish(p["TopicArn"], p["Message"], p.get("Subject"), attributes)
    return {"MessageId": message_id}


@operation("TagResource")
def tag(services: Services, call: Call) -> Params:
    services.topics.tag(call.params["ResourceArn"], _tags(call.params))
    return {}


@operation("UntagResource")
def untag(services: Services, call: Call) -> Params:
    services.topics.untag(call.params["ResourceArn"], call.params["TagKeys"])
    return {}


@operation("ListTagsForResource")
def list_tags(services: Services, call: Call) -> Params:
    tags = services.topics.tags(call.params["ResourceArn"])
    return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
