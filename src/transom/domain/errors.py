"""The error tree. Every error an API caller can see is an `ApiError` with its AWS code.

Contract: `code` is the AWS `__type`, `status` the HTTP status, `message` says what is wrong
and how to fix it. Adapters map these to responses in one place; anything else is a 500.
"""

from __future__ import annotations


class ApiError(Exception):
    """An error reported to the caller as `{"__type": code, "message": message}`."""

    code = "InternalServerError"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ClientError(ApiError):
    """A fault of the request; HTTP 400 unless a subclass says otherwise."""

    status = 400


class ValidationError(ClientError):
    code = "ValidationException"


class InvalidNextTokenError(ClientError):
    code = "InvalidNextToken"


class SerializationError(ClientError):
    code = "SerializationException"


class UnknownOperationError(ClientError):
    code = "UnknownOperationException"


class DoesNotExistError(ClientError):
    code = "DoesNotExistException"


class IdempotentParameterMismatchError(ClientError):
    code = "IdempotentParameterMismatch"


class ResourceLimitExceededError(ClientError):
    code = "ResourceLimitExceededException"


class TargetInUseError(ClientError):
    code = "TargetInUseException"


class InvalidResourceTypeError(ClientError):
    code = "InvalidResourceType"


class InvalidResourceIdError(ClientError):
    code = "InvalidResourceId"


class TooManyTagsError(ClientError):
    code = "TooManyTagsError"


class MissingAuthenticationTokenError(ClientError):
    code = "MissingAuthenticationTokenException"


class InvalidSignatureError(ClientError):
    code = "InvalidSignatureException"


class UnrecognizedClientError(ClientError):
    code = "UnrecognizedClientException"


class RequestTooLargeError(ClientError):
    code = "RequestEntityTooLarge"
    status = 413


class RequestIncompleteError(ClientError):
    """The request's body did not arrive whole (its connection closed, or was cut as too slow)."""

    code = "RequestTimeout"
    status = 408


class InvalidActivationIdError(ClientError):
    code = "InvalidActivationId"


class InvalidInstanceIdError(ClientError):
    code = "InvalidInstanceId"


class InvalidFilterKeyError(ClientError):
    code = "InvalidFilterKey"


class InvalidFilterValueError(ClientError):
    code = "InvalidInstanceInformationFilterValue"


class InvalidActivationError(ClientError):
    """Registration with an unknown activation or a wrong code (which of the two is not said)."""

    code = "InvalidActivation"


class ActivationExpiredError(ClientError):
    code = "ActivationExpired"


class RegistrationLimitExceededError(ClientError):
    code = "RegistrationLimitExceeded"


class InvalidNodeCredentialsError(ClientError):
    code = "InvalidNodeCredentials"
    status = 401


class InvalidDocumentError(ClientError):
    code = "InvalidDocument"


class InvalidNotificationConfigError(ClientError):
    code = "InvalidNotificationConfig"


class InvalidDocumentVersionError(ClientError):
    code = "InvalidDocumentVersion"


class InvalidDocumentContentError(ClientError):
    code = "InvalidDocumentContent"


class InvalidDocumentSchemaVersionError(ClientError):
    code = "InvalidDocumentSchemaVersion"


class InvalidDocumentTypeError(ClientError):
    code = "InvalidDocumentType"


class InvalidDocumentOperationError(ClientError):
    code = "InvalidDocumentOperation"


class DocumentAlreadyExistsError(ClientError):
    code = "DocumentAlreadyExists"


class DocumentLimitExceededError(ClientError):
    code = "DocumentLimitExceeded"


class DocumentVersionLimitExceededError(ClientError):
    code = "DocumentVersionLimitExceeded"


class DuplicateDocumentContentError(ClientError):
    code = "DuplicateDocumentContent"


class DuplicateDocumentVersionNameError(ClientError):
    code = "DuplicateDocumentVersionName"


class MaxDocumentSizeExceededError(ClientError):
    code = "MaxDocumentSizeExceeded"


class InvalidParametersError(ClientError):
    code = "InvalidParameters"


class DuplicateInstanceIdError(ClientError):
    code = "DuplicateInstanceId"


class UnsupportedPlatformTypeError(ClientError):
    code = "UnsupportedPlatformType"


class InvalidCommandIdError(ClientError):
    code = "InvalidCommandId"


class InvocationDoesNotExistError(ClientError):
    code = "InvocationDoesNotExist"


class InvalidPluginNameError(ClientError):
    code = "InvalidPluginName"


class AccessDeniedError(ClientError):
    """A signed request its key's policy (or a task's role) does not allow; the message names
    who, the action and the resource, in IAM's words."""

    code = "AccessDeniedException"


class MalformedPolicyDocumentError(ClientError):
    """A policy document (of a key or a role) that does not parse; the message says why."""

    code = "MalformedPolicyDocument"


class OutputLinkRefusedError(ClientError):
    """A link to an invocation's output that this server did not sign, or that expired."""

    code = "AccessDeniedException"
    status = 403


class OutputGoneError(InvocationDoesNotExistError):
    """A signed link to the output of an invocation the server no longer keeps."""

    status = 404


# EventBridge (rules): the codes of botocore's `events` model.


class ResourceNotFoundError(ClientError):
    code = "ResourceNotFoundException"


class LimitExceededError(ClientError):
    code = "LimitExceededException"


class InvalidEventPatternError(ClientError):
    """An EventBridge event pattern that does not parse or validate; the message says where."""

    code = "InvalidEventPatternException"


# SNS (topics and subscriptions): the codes of botocore's `sns` model.


class InvalidParameterError(ClientError):
    code = "InvalidParameter"


class NotFoundError(ClientError):
    code = "NotFound"
    status = 404


class TopicResourceNotFoundError(ClientError):
    """SNS's: a tagged resource that does not exist."""

    code = "ResourceNotFound"
    status = 404


class AuthorizationError(ClientError):
    code = "AuthorizationError"
    status = 403


class TopicLimitExceededError(ClientError):
    code = "TopicLimitExceeded"
    status = 403


class SubscriptionLimitExceededError(ClientError):
    code = "SubscriptionLimitExceeded"
    status = 403


class TagLimitExceededError(ClientError):
    code = "TagLimitExceeded"
