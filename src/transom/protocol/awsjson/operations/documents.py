"""Documents: CreateDocument, GetDocument, DescribeDocument, UpdateDocument,
UpdateDocumentDefaultVersion, DeleteDocument, ListDocuments, ListDocumentVersions."""

from __future__ import annotations

import json

from transom.domain.document_content import DocumentFormat, dump, load
from transom.domain.documents import Document, DocumentVersion
from transom.domain.errors import InvalidDocumentContentError
from transom.protocol.awsjson.members import page_of
from transom.protocol.awsjson.operations.windows import tags_from
from transom.protocol.awsjson.registry import Params, operation
from transom.services.container import Services
from transom.services.documents import Listed, Resolved


def _format(params: Params) -> DocumentFormat:
    given = params.get("DocumentFormat", "JSON")
    if given not in DocumentFormat.__members__.values():
        raise InvalidDocumentContentError(
            f"DocumentFormat {given} is not one for Command documents; use JSON or YAML."
        )
    return DocumentFormat(given)


def _version_name(version: DocumentVersion) -> Params:
    return {"VersionName": version.version_name} if version.version_name else {}


def _parameters(resolved: Resolved) -> list[Params]:
    return [
        {
            "Name": p.name,
            "Type": p.type,
            "Description": p.description,
            **(
                {"DefaultValue": p.default if isinstance(p.default, str) else json.dumps(p.default)}
                if p.default is not None
                else {}
            ),
        }
        for p in resolved.content.parameters
    ]


def _tags(listed: Listed) -> list[Params]:
    return [{"Key": t.key, "Value": t.value} for t in listed.tags]


def _target_type(document: Document) -> Params:
    return {"TargetType": document.target_type} if document.target_type else {}


def _description(services: Services, listed: Listed) -> Params:
    resolved = listed.resolved
    document, version = resolved.document, resolved.version
    return {
        "Hash": version.hash,
        "HashType": "Sha256",
        "Name": document.name,
        **_version_name(version),
        "Owner": services.documents.owner(document),
        "CreatedDate": version.created_date,
        "Status": "Active",
        "DocumentVersion": str(version.version),
        "Description": resolved.content.description,
        "Parameters": _parameters(resolved),
        "PlatformTypes": list(resolved.content.platform_types),
        "DocumentType": document.document_type,
        "SchemaVersion": resolved.content.schema_version,
        "LatestVersion": str(document.latest_version),
        "DefaultVersion": str(document.default_version),
        "DocumentFormat": version.document_format,
        **_target_type(document),
        "Tags": _tags(listed),
    }


@operation("CreateDocument")
def create_document(services: Services, params: Params) -> Params:
    listed = services.documents.create(
        name=params["Name"],
        content=params["Content"],
        document_format=_format(params),
        document_type=params.get("DocumentType", "Command"),
        version_name=params.get("VersionName"),
        target_type=params.get("TargetType"),
        tags=tags_from(params),
    )
    return {"DocumentDescription": _description(services, listed)}


@operation("GetDocument")
def get_document(services: Services, params: Params) -> Params:
    listed = services.documents.get(
        params["Name"], params.get("DocumentVersion"), params.get("VersionName")
    )
    resolved = listed.resolved
    version = resolved.version
    wanted = DocumentFormat(params["DocumentFormat"]) if "DocumentFormat" in params else None
    content = version.content
    if wanted is not None and wanted is not version.document_format:
        content = dump(load(content, version.document_format), wanted)
    return {
        "Name": resolved.name,
        "CreatedDate": version.created_date,
        **_version_name(version),
        "DocumentVersion": str(version.version),
        "Status": "Active",
        "Content": content,
        "DocumentType": resolved.document.document_type,
        "DocumentFormat": wanted or version.document_format,
    }


@operation("DescribeDocument")
def describe_document(services: Services, params: Params) -> Params:
    listed = services.documents.get(
        params["Name"], params.get("DocumentVersion"), params.get("VersionName")
    )
    return {"Document": _description(services, listed)}


@operation("UpdateDocument")
def update_document(services: Services, params: Params) -> Params:
    listed = services.documents.update(
        name=params["Name"],
        content=params["Content"],
        document_format=_format(params),
        document_version=params.get("DocumentVersion"),
        version_name=params.get("VersionName"),
        target_type=params.get("TargetType"),
    )
    return {"DocumentDescription": _description(services, listed)}


@operation("UpdateDocumentDefaultVersion")
def update_document_default_version(services: Services, params: Params) -> Params:
    resolved = services.documents.update_default(params["Name"], params["DocumentVersion"])
    return {
        "Description": {
            "Name": resolved.name,
            "DefaultVersion": str(resolved.version.version),
            **(
                {"DefaultVersionName": resolved.version.version_name}
                if resolved.version.version_name
                else {}
            ),
        }
    }


@operation("DeleteDocument")
def delete_document(services: Services, params: Params) -> Params:
    services.documents.delete(
        params["Name"], params.get("DocumentVersion"), params.get("VersionName")
    )
    return {}


@operation("ListDocuments")
def list_documents(services: Services, params: Params) -> Params:
    filters = [(f["key"], [f["value"]]) for f in params.get("DocumentFilterList", [])]
    filters += [(f["Key"], f.get("Values", [])) for f in params.get("Filters", [])]
    found = services.documents.listing(filters)
    page, token = page_of("ListDocuments", params, found, 50)
    return {
        "DocumentIdentifiers": [
            {
                "Name": item.resolved.name,
                "CreatedDate": item.resolved.document.created_date,
                "Owner": services.documents.owner(item.resolved.document),
                **_version_name(item.resolved.version),
                "PlatformTypes": list(item.resolved.content.platform_types),
                "DocumentVersion": str(item.resolved.version.version),
                "DocumentType": item.resolved.document.document_type,
                "SchemaVersion": item.resolved.content.schema_version,
                "DocumentFormat": item.resolved.version.document_format,
                **_target_type(item.resolved.document),
                "Tags": _tags(item),
            }
            for item in page
        ],
        **({"NextToken": token} if token else {}),
    }


@operation("ListDocumentVersions")
def list_document_versions(services: Services, params: Params) -> Params:
    document, versions = services.documents.versions(params["Name"])
    page, token = page_of("ListDocumentVersions", params, versions, 50)
    return {
        "DocumentVersions": [
            {
                "Name": document.name,
                "DocumentVersion": str(v.version),
                **_version_name(v),
                "CreatedDate": v.created_date,
                "IsDefaultVersion": v.version == document.default_version,
                "DocumentFormat": v.document_format,
                "Status": "Active",
            }
            for v in page
        ],
        **({"NextToken": token} if token else {}),
    }
