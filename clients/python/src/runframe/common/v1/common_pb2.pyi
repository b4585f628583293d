import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_SEV0: _ClassVar[Severity]
    SEVERITY_SEV1: _ClassVar[Severity]
    SEVERITY_SEV2: _ClassVar[Severity]
    SEVERITY_SEV3: _ClassVar[Severity]
    SEVERITY_SEV4: _ClassVar[Severity]

class IncidentStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INCIDENT_STATUS_UNSPECIFIED: _ClassVar[IncidentStatus]
    INCIDENT_STATUS_NEW: _ClassVar[IncidentStatus]
    INCIDENT_STATUS_INVESTIGATING: _ClassVar[IncidentStatus]
    INCIDENT_STATUS_RESOLVED: _ClassVar[IncidentStatus]

class IntegrationType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INTEGRATION_TYPE_UNSPECIFIED: _ClassVar[IntegrationType]
    INTEGRATION_TYPE_CUSTOM: _ClassVar[IntegrationType]
    INTEGRATION_TYPE_DATADOG: _ClassVar[IntegrationType]
    INTEGRATION_TYPE_SENTRY: _ClassVar[IntegrationType]
    INTEGRATION_TYPE_PROMETHEUS: _ClassVar[IntegrationType]
    INTEGRATION_TYPE_CLOUDWATCH: _ClassVar[IntegrationType]
SEVERITY_UNSPECIFIED: Severity
SEVERITY_SEV0: Severity
SEVERITY_SEV1: Severity
SEVERITY_SEV2: Severity
SEVERITY_SEV3: Severity
SEVERITY_SEV4: Severity
INCIDENT_STATUS_UNSPECIFIED: IncidentStatus
INCIDENT_STATUS_NEW: IncidentStatus
INCIDENT_STATUS_INVESTIGATING: IncidentStatus
INCIDENT_STATUS_RESOLVED: IncidentStatus
INTEGRATION_TYPE_UNSPECIFIED: IntegrationType
INTEGRATION_TYPE_CUSTOM: IntegrationType
INTEGRATION_TYPE_DATADOG: IntegrationType
INTEGRATION_TYPE_SENTRY: IntegrationType
INTEGRATION_TYPE_PROMETHEUS: IntegrationType
INTEGRATION_TYPE_CLOUDWATCH: IntegrationType

class Header(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class Integration(_message.Message):
    __slots__ = ("id", "organization_id", "type", "name", "default_service_id", "enabled", "rate_limit_per_minute", "signing_secret_configured", "sns_topic_arns", "routing_key_hint", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_PER_MINUTE_FIELD_NUMBER: _ClassVar[int]
    SIGNING_SECRET_CONFIGURED_FIELD_NUMBER: _ClassVar[int]
    SNS_TOPIC_ARNS_FIELD_NUMBER: _ClassVar[int]
    ROUTING_KEY_HINT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    organization_id: str
    type: IntegrationType
    name: str
    default_service_id: str
    enabled: bool
    rate_limit_per_minute: int
    signing_secret_configured: bool
    sns_topic_arns: _containers.RepeatedScalarFieldContainer[str]
    routing_key_hint: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., organization_id: _Optional[str] = ..., type: _Optional[_Union[IntegrationType, str]] = ..., name: _Optional[str] = ..., default_service_id: _Optional[str] = ..., enabled: _Optional[bool] = ..., rate_limit_per_minute: _Optional[int] = ..., signing_secret_configured: _Optional[bool] = ..., sns_topic_arns: _Optional[_Iterable[str]] = ..., routing_key_hint: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FieldViolation(_message.Message):
    __slots__ = ("field", "description")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    description: str
    def __init__(self, field: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class BadRequest(_message.Message):
    __slots__ = ("field_violations",)
    FIELD_VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    field_violations: _containers.RepeatedCompositeFieldContainer[FieldViolation]
    def __init__(self, field_violations: _Optional[_Iterable[_Union[FieldViolation, _Mapping]]] = ...) -> None: ...

class RateLimitState(_message.Message):
    __slots__ = ("limit", "remaining", "reset_time", "retry_after_seconds")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    RESET_TIME_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    limit: int
    remaining: int
    reset_time: _timestamp_pb2.Timestamp
    retry_after_seconds: int
    def __init__(self, limit: _Optional[int] = ..., remaining: _Optional[int] = ..., reset_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., retry_after_seconds: _Optional[int] = ...) -> None: ...

class ErrorInfo(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...
