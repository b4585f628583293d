import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from runframe.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AlertAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_ACTION_UNSPECIFIED: _ClassVar[AlertAction]
    ALERT_ACTION_TRIGGER: _ClassVar[AlertAction]
    ALERT_ACTION_RESOLVE: _ClassVar[AlertAction]
    ALERT_ACTION_ACKNOWLEDGE: _ClassVar[AlertAction]
ALERT_ACTION_UNSPECIFIED: AlertAction
ALERT_ACTION_TRIGGER: AlertAction
ALERT_ACTION_RESOLVE: AlertAction
ALERT_ACTION_ACKNOWLEDGE: AlertAction

class NormalizeRequest(_message.Message):
    __slots__ = ("integration", "headers", "body", "receive_time")
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    RECEIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    integration: _common_pb2.Integration
    headers: _containers.RepeatedCompositeFieldContainer[_common_pb2.Header]
    body: bytes
    receive_time: _timestamp_pb2.Timestamp
    def __init__(self, integration: _Optional[_Union[_common_pb2.Integration, _Mapping]] = ..., headers: _Optional[_Iterable[_Union[_common_pb2.Header, _Mapping]]] = ..., body: _Optional[bytes] = ..., receive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class NormalizeResponse(_message.Message):
    __slots__ = ("alerts",)
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[NormalizedAlert]
    def __init__(self, alerts: _Optional[_Iterable[_Union[NormalizedAlert, _Mapping]]] = ...) -> None: ...

class NormalizedAlert(_message.Message):
    __slots__ = ("action", "title", "description", "severity", "status", "service_id", "source_url", "dedup_key", "metadata", "occur_time", "truncated_alerts")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_URL_FIELD_NUMBER: _ClassVar[int]
    DEDUP_KEY_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_ALERTS_FIELD_NUMBER: _ClassVar[int]
    action: AlertAction
    title: str
    description: str
    severity: _common_pb2.Severity
    status: _common_pb2.IncidentStatus
    service_id: str
    source_url: str
    dedup_key: str
    metadata: _containers.ScalarMap[str, str]
    occur_time: _timestamp_pb2.Timestamp
    truncated_alerts: int
    def __init__(self, action: _Optional[_Union[AlertAction, str]] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.Severity, str]] = ..., status: _Optional[_Union[_common_pb2.IncidentStatus, str]] = ..., service_id: _Optional[str] = ..., source_url: _Optional[str] = ..., dedup_key: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., truncated_alerts: _Optional[int] = ...) -> None: ...

class NormalizeBatchRequest(_message.Message):
    __slots__ = ("requests", "request_ids", "traceparents")
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_IDS_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[NormalizeRequest]
    request_ids: _containers.RepeatedScalarFieldContainer[str]
    traceparents: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, requests: _Optional[_Iterable[_Union[NormalizeRequest, _Mapping]]] = ..., request_ids: _Optional[_Iterable[str]] = ..., traceparents: _Optional[_Iterable[str]] = ...) -> None: ...

class NormalizeBatchResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[NormalizeResult]
    def __init__(self, results: _Optional[_Iterable[_Union[NormalizeResult, _Mapping]]] = ...) -> None: ...

class NormalizeResult(_message.Message):
    __slots__ = ("response", "error")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    response: NormalizeResponse
    error: _status_pb2.Status
    def __init__(self, response: _Optional[_Union[NormalizeResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...
