"""Command documents: the built-ins and the account's own, looked up by name and version;
creating, updating, listing and deleting the account's own (SPEC.md §e.1, §e.6; the rules
are `domain.documents`'); and what a command with given parameters runs."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from transom.domain.clock import Clock
from transom.domain.commands import Command
from transom.domain.document_content import DocumentContent, DocumentFormat, StepRun, step_runs
from transom.domain.document_parameters import resolve
from transom.domain.documents import (
    AMAZON,
    BUILT_IN,
    COMMAND,
    DEFAULT,
    LATEST,
    MAX_VERSIONS,
    Document,
    DocumentVersion,
    check_name,
    check_size,
)
from transom.domain.errors import (
    DocumentAlreadyExistsError,
    DocumentLimitExceededError,
    DocumentVersionLimitExceededError,
    DuplicateDocumentContentError,
    DuplicateDocumentVersionNameError,
    InvalidDocumentError,
    InvalidDocumentOperationError,
    InvalidDocumentTypeError,
    InvalidDocumentVersionError,
    InvalidFilterKeyError,
    ValidationError,
)
from transom.domain.events import Realm
from transom.domain.quotas import Quotas
from transom.domain.windows import Tag
from transom.services.tag_rules import check_tags
from transom.store.port import Store, Transaction

DOCUMENT_RESOURCE = "Document"
"""The ResourceType of documents in the tagging API."""
OWNERS = ("Self", "Amazon", "All", "Private", "Public", "ThirdParty")


@dataclass(frozen=True)
class Resolved:
    """A document at one of its versions."""

    document: Document
    version: DocumentVersion

    @property
    def name(self) -> str:
        return self.document.name

    @property
    def content(self) -> DocumentContent:
        return self.version.parsed

    def runs(self, parameters: Mapping[str, Sequence[str]]) -> tuple[StepRun, ...]:
        """The steps a command with `parameters` runs; `InvalidParametersError` when the
        parameters break the document's rules."""
        content = self.content
        return step_runs(content, resolve(self.name, content.parameters, parameters))


def short_name(name: str) -> str:
    """The document name of `name` or of its ARN (`arn:...:document/NAME`)."""
    return name.rsplit("/", 1)[-1]


def find_in(
    tx: Transaction, name: str, version: str | None = None, version_name: str | None = None
) -> Resolved:
    """The document called `name` (or its ARN) at `version` (a number, `$LATEST`,
    `$DEFAULT`; the default version when None or empty) or with `version_name`."""
    built_in = BUILT_IN.get(short_name(name))
    document = built_in[0] if built_in else tx.get_document(short_name(name))
    if document is None:
        raise InvalidDocumentError(
            f"Document {name} does not exist; ListDocuments shows the documents there are."
        )
    if version_name:
        found = None if built_in else tx.find_document_version(document.name, version_name)
        if found is None or version not in (None, "", LATEST, DEFAULT, str(found.version)):
            raise InvalidDocumentVersionError(
                f"Document {document.name} has no version named {version_name}"
                + (f" that is version {version}." if version else ".")
            )
        return Resolved(document, found)
    number = _version_number(document, version)
    found = built_in[1] if built_in and number == 1 else None
    if not built_in:
        found = tx.get_document_version(document.name, number)
    if found is None:
        raise InvalidDocumentVersionError(
            f"Document {document.name} has no version {version}; its latest is version "
            f"{document.latest_version} (ListDocumentVersions lists them)."
        )
    return Resolved(document, found)


def _version_number(document: Document, version: str | None) -> int:
    if version in (None, "", DEFAULT):
        return document.default_version
    if version == LATEST:
        return document.latest_version
    assert version is not None  # the model's pattern: $LATEST, $DEFAULT or a number
    return int(version)


@dataclass(frozen=True)
class Listed:
    """A document at its default version, with its tags."""

    resolved: Resolved
    tags: list[Tag]


class DocumentService:
    """The documents API's use cases."""

    def __init__(self, store: Store, clock: Clock, quotas: Quotas, realm: Realm) -> None:
        self._store = store
        self._clock = clock
        self._quotas = quotas
        self._realm = realm

    def owner(self, document: Document) -> str:
        """Who owns `document`: Amazon, or this account (its id)."""
        return document.owner or self._realm.account_id

    def create(
        self,
        *,
        name: str,
        content: str,
        document_format: DocumentFormat,
        document_type: str = COMMAND,
        version_name: str | None = None,
        target_type: str | None = None,
        tags: Sequence[Tag] = (),
    ) -> Listed:
        """A new document at version 1 (its default), after the content and name rules."""
        if document_type != COMMAND:
            raise InvalidDocumentTypeError(
                f"DocumentType {document_type} is not one Transom runs; create Command documents."
            )
        check_name(name)
        check_size(content)
        now = self._clock.now()
        version = DocumentVersion(name, 1, content, document_format, now, version_name)
        version.parsed  # noqa: B018 (refuses content that is not a Command document)
        document = Document(name, COMMAND, 1, 1, now, target_type)
        with self._store.write() as tx:
            tx.lock(f"document:{name}")
            if name in BUILT_IN or tx.get_document(name) is not None:
                raise DocumentAlreadyExistsError(f"Document {name} already exists.")
            if tx.count_documents() >= self._quotas.documents:
                raise DocumentLimitExceededError(
                    f"There are {self._quotas.documents} documents already, the most Transom "
                    "keeps; delete one first."
                )
            check_tags(tags, set(), self._quotas.tags_per_resource, name)
            tx.insert_document(document, version)
            tx.put_tags(DOCUMENT_RESOURCE, name, tags)
            return Listed(Resolved(document, version), tx.get_tags(DOCUMENT_RESOURCE, name))

    def get(self, name: str, version: str | None = None, version_name: str | None = None) -> Listed:
        with self._store.read() as tx:
            resolved = find_in(tx, name, version, version_name)
            return Listed(resolved, self._tags(tx, resolved.document))

    def update(
        self,
        *,
        name: str,
        content: str,
        document_format: DocumentFormat,
        document_version: str | None = None,
        version_name: str | None = None,
        target_type: str | None = None,
    ) -> Listed:
        """A new version, the latest, of the account's document (its default stays)."""
        check_size(content)
        with self._store.write() as tx:
            tx.lock(f"document:{short_name(name)}")
            latest = self._own(tx, name, "update")
            document = latest.document
            if document_version not in (None, LATEST, str(document.latest_version)):
                raise InvalidDocumentVersionError(
                    f"Only the latest version ({document.latest_version}, or $LATEST) of "
                    f"{document.name} can be updated, not {document_version}."
                )
            if content == latest.version.content:
                raise DuplicateDocumentContentError(
                    f"The content is that of version {document.latest_version} of "
                    f"{document.name}; change it to make a new version."
                )
            if version_name and tx.find_document_version(document.name, version_name):
                raise DuplicateDocumentVersionNameError(
                    f"Document {document.name} already has a version named {version_name}."
                )
            if document.latest_version >= MAX_VERSIONS:
                raise DocumentVersionLimitExceededError(
                    f"Document {document.name} has {MAX_VERSIONS} versions, the most it may "
                    "have; delete old versions (DeleteDocument with DocumentVersion) first."
                )
            number = document.latest_version + 1
            now = self._clock.now()
            version = DocumentVersion(
                document.name, number, content, document_format, now, version_name
            )
            version.parsed  # noqa: B018 (refuses content that is not a Command document)
            tx.insert_document_version(version)
            changed = dataclasses.replace(
                document,
                latest_version=number,
                target_type=target_type if target_type is not None else document.target_type,
            )
            tx.update_document(
                document.name,
                {"latest_version": number, "target_type": changed.target_type},
            )
            return Listed(Resolved(changed, version), self._tags(tx, changed))

    def update_default(self, name: str, version: str) -> Resolved:
        """Make `version` (a number or $LATEST) the default version."""
        with self._store.write() as tx:
            self._own(tx, name, "change")
            resolved = find_in(tx, name, version)
            number = resolved.version.version
            tx.update_document(resolved.name, {"default_version": number})
            return Resolved(
                dataclasses.replace(resolved.document, default_version=number), resolved.version
            )

    def delete(
        self, name: str, version: str | None = None, version_name: str | None = None
    ) -> None:
        """Delete the document, or only one version of it (not its default)."""
        with self._store.write() as tx:
            document = self._own(tx, name, "delete").document
            if not version and not version_name:
                tx.delete_document(document.name)
                keys = [t.key for t in tx.get_tags(DOCUMENT_RESOURCE, document.name)]
                tx.remove_tags(DOCUMENT_RESOURCE, document.name, keys)
                return
            if version in (LATEST, DEFAULT):
                raise InvalidDocumentVersionError(
                    f"Name the version to delete by its number or VersionName, not {version}."
                )
            number = find_in(tx, name, version, version_name).version.version
            if number == document.default_version:
                raise InvalidDocumentOperationError(
                    f"Version {number} is the default version of {document.name}; make another "
                    "version the default (UpdateDocumentDefaultVersion) before deleting it."
                )
            tx.delete_document_version(document.name, number)

    def listing(self, filters: Sequence[tuple[str, Sequence[str]]]) -> list[Listed]:
        """Every document at its default version (the built-ins first, then the account's
        own by name) that passes every filter: one of a filter's values matches."""
        for key, _ in filters:
            if key not in _FILTER_KEYS and not key.startswith("tag:"):
                raise InvalidFilterKeyError(
                    f"Filter key {key!r} is not supported; use one of: "
                    f"{', '.join(_FILTER_KEYS)}, or tag:KEY."
                )
        for key, values in filters:
            if key == "Owner" and any(v not in OWNERS for v in values):
                raise ValidationError(f"Owner must be one of {', '.join(OWNERS)}.")
        with self._store.read() as tx:
            everything = [
                Listed(Resolved(d, v), []) for d, v in (BUILT_IN[n] for n in sorted(BUILT_IN))
            ]
            for document in tx.list_documents(None, self._quotas.documents):
                resolved = find_in(tx, document.name)
                everything.append(Listed(resolved, self._tags(tx, document)))
        return [item for item in everything if all(_passes(item, k, v) for k, v in filters)]

    def versions(self, name: str) -> tuple[Document, list[DocumentVersion]]:
        with self._store.read() as tx:
            resolved = find_in(tx, name)
            if resolved.document.owner == AMAZON:
                return resolved.document, [resolved.version]
            found = tx.list_document_versions(resolved.name, None, MAX_VERSIONS)
            return resolved.document, found

    def step_names(self, command: Command) -> list[str]:
        """The step names of the document version `command` ran; none when it is gone."""
        with self._store.read() as tx:
            try:
                found = find_in(tx, command.document_name, command.document_version)
            except (InvalidDocumentError, InvalidDocumentVersionError):
                return []
            return [s.name for s in found.content.steps]

    @staticmethod
    def _tags(tx: Transaction, document: Document) -> list[Tag]:
        return [] if document.owner == AMAZON else tx.get_tags(DOCUMENT_RESOURCE, document.name)

    @staticmethod
    def _own(tx: Transaction, name: str, what: str) -> Resolved:
        """The account's document `name` at its latest version; refuse a built-in."""
        if short_name(name) in BUILT_IN:
            raise InvalidDocumentOperationError(
                f"{short_name(name)} is owned by Amazon and read-only; Transom cannot {what} it. "
                "Create a document of your own instead."
            )
        return find_in(tx, name, LATEST)


_FILTER_KEYS = ("Name", "Owner", "DocumentType", "PlatformTypes", "TargetType", "SearchKeyword")


def _passes(item: Listed, key: str, values: Sequence[str]) -> bool:
    document = item.resolved.document
    if key == "Name":
        return any(document.name.startswith(v) for v in values)
    if key == "SearchKeyword":
        return any(v.lower() in document.name.lower() for v in values)
    if key == "Owner":
        owned = "Amazon" if document.owner == AMAZON else "Self"
        return any(v in ("All", owned) or (v, owned) == ("Private", "Self") for v in values)
    if key == "DocumentType":
        return document.document_type in values
    if key == "PlatformTypes":
        return bool(set(values) & set(item.resolved.content.platform_types))
    if key == "TargetType":
        return document.target_type in values
    tag_key = key.removeprefix("tag:")
    return any(t.key == tag_key and t.value in values for t in item.tags)


def check_task_parameters(
    tx: Transaction, name: str, version: str | None, parameters: Mapping[str, Sequence[str]]
) -> None:
    """Refuse a Run Command task naming a document that does not exist or parameters it
    does not take or whose values break its rules. Values holding a `{{ pseudo-parameter }}`
    are checked when the task runs, and so are required parameters left out (a task may be
    registered before its parameters are given, or with the deprecated TaskParameters)."""
    document = find_in(tx, name, version)
    declared = document.content.parameters
    later = {k for k, values in parameters.items() if any("{{" in v for v in values)}
    later |= {p.name for p in declared if p.name not in parameters}
    resolve(document.name, declared, parameters, later)


def check_hash(document: Resolved, digest: str | None, hash_type: str | None) -> None:
    """Refuse a DocumentHash that is not the hash of the document's version."""
    if digest is None:
        return
    algorithm = hashlib.sha1 if hash_type == "Sha1" else hashlib.sha256
    if algorithm(document.version.content.encode()).hexdigest() != digest:
        raise InvalidDocumentError(
            f"DocumentHash is not the {hash_type or 'Sha256'} hash of version "
            f"{document.version.version} of {document.name}; DescribeDocument gives it."
        )
