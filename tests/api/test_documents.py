"""The documents API end to end with boto3: create in JSON and YAML, read back by version,
version name, $DEFAULT and $LATEST, update into new versions, move the default, list with
filters and pages, tag, and delete; the built-ins stay Amazon's and read-only."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

RUNBOOK = {
    "schemaVersion": "2.2",
    "description": "Say hello",
    "parameters": {
        "greeting": {"type": "String", "default": "hello", "allowedValues": ["hello", "hi"]},
        "times": {"type": "Integer", "default": 1},
    },
    "mainSteps": [
        {
            "action": "aws:runShellScript",
            "name": "greet",
            "inputs": {"runCommand": ["echo {{ greeting }} {{ times }}"]},
        }
    ],
}


def _name(prefix: str = "doc") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _error(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        call(**params)
    error = refused.value.response["Error"]
    return error["Code"], error["Message"]


def test_a_document_is_created_read_updated_and_deleted(ssm: Any) -> None:
    name = _name()
    content = json.dumps(RUNBOOK)
    created = ssm.create_document(
        Name=name,
        Content=content,
        DocumentType="Command",
        VersionName="first",
        TargetType="/AWS::EC2::Instance",
        Tags=[{"Key": "team", "Value": "ops"}],
    )["DocumentDescription"]
    assert created["Name"] == name
    assert created["Hash"] == hashlib.sha256(content.encode()).hexdigest()
    assert (created["HashType"], created["Status"], created["Owner"]) == (
        "Sha256",
        "Active",
        "000000000000",
    )
    assert (created["DocumentVersion"], created["LatestVersion"], created["DefaultVersion"]) == (
        "1",
        "1",
        "1",
    )
    assert (created["SchemaVersion"], created["DocumentFormat"], created["VersionName"]) == (
        "2.2",
        "JSON",
        "first",
    )
    assert created["PlatformTypes"] == ["Linux", "MacOS"]
    assert created["Parameters"] == [
        {"Name": "greeting", "Type": "String", "Description": "", "DefaultValue": "hello"},
        {"Name": "times", "Type": "Integer", "Description": "", "DefaultValue": "1"},
    ]
    assert created["Tags"] == [{"Key": "team", "Value": "ops"}]
    assert created["TargetType"] == "/AWS::EC2::Instance"

    second = {**RUNBOOK, "description": "Say hello twice"}
    as_yaml = yaml.safe_dump(second)
    updated = ssm.update_document(
        Name=name, Content=as_yaml, DocumentFormat="YAML", DocumentVersion="$LATEST"
    )["DocumentDescription"]
    assert (updated["DocumentVersion"], updated["LatestVersion"], updated["DefaultVersion"]) == (
        "2",
        "2",
        "1",
    )
    assert _error(ssm.update_document, Name=name, Content=as_yaml, DocumentFormat="YAML") == (
        "DuplicateDocumentContent",
        f"The content is that of version 2 of {name}; change it to make a new version.",
    )
    code, words = _error(ssm.update_document, Name=name, Content=content, DocumentVersion="1")
    assert code == "InvalidDocumentVersion"
    assert words.startswith("Only the latest version (2, or $LATEST) of")

    assert ssm.get_document(Name=name)["Content"] == content  # the default, version 1
    latest = ssm.get_document(Name=name, DocumentVersion="$LATEST")
    assert (latest["Content"], latest["DocumentFormat"], latest["DocumentVersion"]) == (
        as_yaml,
        "YAML",
        "2",
    )
    converted = ssm.get_document(Name=name, DocumentVersion="2", DocumentFormat="JSON")
    assert json.loads(converted["Content"]) == second
    assert ssm.get_document(Name=name, VersionName="first")["DocumentVersion"] == "1"
    described = ssm.describe_document(Name=name, DocumentVersion="2")["Document"]
    assert described["Description"] == "Say hello twice"

    moved = ssm.update_document_default_version(Name=name, DocumentVersion="2")["Description"]
    assert moved == {"Name": name, "DefaultVersion": "2"}
    assert ssm.describe_document(Name=name)["Document"]["DocumentVersion"] == "2"
    versions = ssm.list_document_versions(Name=name)["DocumentVersions"]
    assert [(v["DocumentVersion"], v["IsDefaultVersion"]) for v in versions] == [
        ("1", False),
        ("2", True),
    ]
    assert _error(ssm.delete_document, Name=name, DocumentVersion="2")[0] == (
        "InvalidDocumentOperation"
    )
    ssm.delete_document(Name=name, DocumentVersion="1")
    assert [
        v["DocumentVersion"] for v in ssm.list_document_versions(Name=name)["DocumentVersions"]
    ] == ["2"]
    ssm.delete_document(Name=name)
    assert _error(ssm.describe_document, Name=name)[0] == "InvalidDocument"
    assert _error(ssm.list_tags_for_resource, ResourceType="Document", ResourceId=name)[0] == (
        "InvalidResourceId"
    )


def test_tags_on_documents(ssm: Any) -> None:
    name = _name()
    ssm.create_document(Name=name, Content=json.dumps(RUNBOOK), DocumentType="Command")
    ssm.add_tags_to_resource(
        ResourceType="Document", ResourceId=name, Tags=[{"Key": "env", "Value": "prod"}]
    )
    listed = ssm.list_tags_for_resource(ResourceType="Document", ResourceId=name)
    assert listed["TagList"] == [{"Key": "env", "Value": "prod"}]
    ssm.remove_tags_from_resource(ResourceType="Document", ResourceId=name, TagKeys=["env"])
    assert ssm.list_tags_for_resource(ResourceType="Document", ResourceId=name)["TagList"] == []
    code, _ = _error(
        ssm.add_tags_to_resource,
        ResourceType="Document",
        ResourceId="AWS-RunShellScript",
        Tags=[{"Key": "a", "Value": "b"}],
    )
    assert code == "InvalidResourceId"


def test_listing_filters_by_name_owner_type_platform_and_tag_and_pages(ssm: Any) -> None:
    prefix = _name("list")
    for n in range(3):
        ssm.create_document(
            Name=f"{prefix}-{n}",
            Content=json.dumps(RUNBOOK),
            Tags=[{"Key": "n", "Value": str(n)}],
        )

    def names(**params: Any) -> list[str]:
        found: list[str] = []
        while True:
            page = ssm.list_documents(**params)
            found += [d["Name"] for d in page["DocumentIdentifiers"]]
            if not page.get("NextToken"):
                return found
            params["NextToken"] = page["NextToken"]

    mine = [f"{prefix}-{n}" for n in range(3)]
    assert names(Filters=[{"Key": "Name", "Values": [prefix]}], MaxResults=2) == mine
    assert (
        names(Filters=[{"Key": "tag:n", "Values": ["1", "2"]}, {"Key": "Name", "Values": [prefix]}])
        == mine[1:]
    )
    amazon = names(Filters=[{"Key": "Owner", "Values": ["Amazon"]}])
    assert amazon == ["AWS-RunPowerShellScript", "AWS-RunShellScript"]
    assert set(mine) <= set(names(Filters=[{"Key": "Owner", "Values": ["Self"]}]))
    assert not set(amazon) & set(names(Filters=[{"Key": "Owner", "Values": ["Self"]}]))
    assert set(amazon + mine) <= set(names(Filters=[{"Key": "Owner", "Values": ["All"]}]))
    windows = names(Filters=[{"Key": "PlatformTypes", "Values": ["Windows"]}])
    assert "AWS-RunPowerShellScript" in windows
    assert mine[0] not in windows
    old_style = names(DocumentFilterList=[{"key": "Name", "value": prefix}])
    assert old_style == mine
    assert names(DocumentFilterList=[{"key": "DocumentType", "value": "Command"}]) == names()
    built_in = ssm.list_documents(Filters=[{"Key": "Name", "Values": ["AWS-RunShell"]}])
    (identifier,) = built_in["DocumentIdentifiers"]
    assert (identifier["Owner"], identifier["DocumentVersion"], identifier["SchemaVersion"]) == (
        "Amazon",
        "1",
        "1.2",
    )


def test_the_built_ins_are_amazons_and_read_only(ssm: Any) -> None:
    described = ssm.describe_document(Name="AWS-RunShellScript")["Document"]
    assert (described["Owner"], described["DocumentVersion"]) == ("Amazon", "1")
    content = json.loads(ssm.get_document(Name="AWS-RunShellScript")["Content"])
    assert content["runtimeConfig"]["aws:runShellScript"]["properties"][0]["runCommand"] == (
        "{{ commands }}"
    )
    for call, params in (
        (ssm.update_document, {"Content": json.dumps(RUNBOOK)}),
        (ssm.delete_document, {}),
        (ssm.update_document_default_version, {"DocumentVersion": "1"}),
    ):
        code, words = _error(call, Name="AWS-RunShellScript", **params)
        assert code == "InvalidDocumentOperation"
        assert "owned by Amazon and read-only" in words
    assert _error(ssm.create_document, Name="AWS-RunShellScript", Content="{}")[0] == (
        "ValidationException"
    )
