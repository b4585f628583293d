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
    INTEGRATION_TYPE_PAGERDUTY: _ClassVar[IntegrationType]

class InsufficientDataAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INSUFFICIENT_DATA_ACTION_UNSPECIFIED: _ClassVar[InsufficientDataAction]
    INSUFFICIENT_DATA_ACTION_TRIGGER: _ClassVar[InsufficientDataAction]
    INSUFFICIENT_DATA_ACTION_RESOLVE: _ClassVar[InsufficientDataAction]
    INSUFFICIENT_DATA_ACTION_IGNORE: _ClassVar[InsufficientDataAction]

class AlertGrouping(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_GROUPING_UNSPECIFIED: _ClassVar[AlertGrouping]
    ALERT_GROUPING_ALERT: _ClassVar[AlertGrouping]
    ALERT_GROUPING_GROUP: _ClassVar[AlertGrouping]
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
INTEGRATION_TYPE_PAGERDUTY: IntegrationType
INSUFFICIENT_DATA_ACTION_UNSPECIFIED: InsufficientDataAction
INSUFFICIENT_DATA_ACTION_TRIGGER: InsufficientDataAction
INSUFFICIENT_DATA_ACTION_RESOLVE: InsufficientDataAction
INSUFFICIENT_DATA_ACTION_IGNORE: InsufficientDataAction
ALERT_GROUPING_UNSPECIFIED: AlertGrouping
ALERT_GROUPING_ALERT: AlertGrouping
ALERT_GROUPING_GROUP: AlertGrouping

class Header(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class Integration(_message.Message):
    __slots__ = ("id", "organization_id", "type", "name", "default_service_id", "enabled", "rate_limit_per_minute", "signing_secret_configured", "sns_topic_arns", "routing_key_hint", "create_time", "update_time", "options")
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
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
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
    options: IntegrationOptions
    def __init__(self, id: _Optional[str] = ..., organization_id: _Optional[str] = ..., type: _Optional[_Union[IntegrationType, str]] = ..., name: _Optional[str] = ..., default_service_id: _Optional[str] = ..., enabled: _Optional[bool] = ..., rate_limit_per_minute: _Optional[int] = ..., signing_secret_configured: _Optional[bool] = ..., sns_topic_arns: _Optional[_Iterable[str]] = ..., routing_key_hint: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., options: _Optional[_Union[IntegrationOptions, _Mapping]] = ...) -> None: ...

class IntegrationOptions(_message.Message):
    __slots__ = ("cloudwatch_insufficient_data", "severity_overrides", "alert_grouping", "auto_resolve", "flapping", "heartbeat", "redrive_throttled")
    class SeverityOverridesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Severity
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Severity, str]] = ...) -> None: ...
    CLOUDWATCH_INSUFFICIENT_DATA_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    ALERT_GROUPING_FIELD_NUMBER: _ClassVar[int]
    AUTO_RESOLVE_FIELD_NUMBER: _ClassVar[int]
    FLAPPING_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    REDRIVE_THROTTLED_FIELD_NUMBER: _ClassVar[int]
    cloudwatch_insufficient_data: InsufficientDataAction
    severity_overrides: _containers.ScalarMap[str, Severity]
    alert_grouping: AlertGrouping
    auto_resolve: AutoResolveOptions
    flapping: FlappingOptions
    heartbeat: HeartbeatOptions
    redrive_throttled: bool
    def __init__(self, cloudwatch_insufficient_data: _Optional[_Union[InsufficientDataAction, str]] = ..., severity_overrides: _Optional[_Mapping[str, Severity]] = ..., alert_grouping: _Optional[_Union[AlertGrouping, str]] = ..., auto_resolve: _Optional[_Union[AutoResolveOptions, _Mapping]] = ..., flapping: _Optional[_Union[FlappingOptions, _Mapping]] = ..., heartbeat: _Optional[_Union[HeartbeatOptions, _Mapping]] = ..., redrive_throttled: _Optional[bool] = ...) -> None: ...

class AutoResolveOptions(_message.Message):
    __slots__ = ("after_minutes",)
    AFTER_MINUTES_FIELD_NUMBER: _ClassVar[int]
    after_minutes: int
    def __init__(self, after_minutes: _Optional[int] = ...) -> None: ...

class FlappingOptions(_message.Message):
    __slots__ = ("threshold", "window_minutes")
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    WINDOW_MINUTES_FIELD_NUMBER: _ClassVar[int]
    threshold: int
    window_minutes: int
    def __init__(self, threshold: _Optional[int] = ..., window_minutes: _Optional[int] = ...) -> None: ...

class HeartbeatOptions(_message.Message):
    __slots__ = ("interval_seconds", "grace_seconds", "severity")
    INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    GRACE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    interval_seconds: int
    grace_seconds: int
    severity: Severity
    def __init__(self, interval_seconds: _Optional[int] = ..., grace_seconds: _Optional[int] = ..., severity: _Optional[_Union[Severity, str]] = ...) -> None: ...

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
