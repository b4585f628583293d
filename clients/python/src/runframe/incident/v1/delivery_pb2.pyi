import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import error_details_pb2 as _error_details_pb2
from runframe.common.v1 import common_pb2 as _common_pb2
from runframe.incident.v1 import envelope_pb2 as _envelope_pb2
from runframe.incident.v1 import incident_pb2 as _incident_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeliveryOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_OUTCOME_UNSPECIFIED: _ClassVar[DeliveryOutcome]
    DELIVERY_OUTCOME_ACCEPTED: _ClassVar[DeliveryOutcome]
    DELIVERY_OUTCOME_THROTTLED: _ClassVar[DeliveryOutcome]
    DELIVERY_OUTCOME_REFUSED_PAYLOAD: _ClassVar[DeliveryOutcome]
    DELIVERY_OUTCOME_REFUSED_SIGNATURE: _ClassVar[DeliveryOutcome]
    DELIVERY_OUTCOME_TOO_LARGE: _ClassVar[DeliveryOutcome]
    DELIVERY_OUTCOME_FAILED: _ClassVar[DeliveryOutcome]
DELIVERY_OUTCOME_UNSPECIFIED: DeliveryOutcome
DELIVERY_OUTCOME_ACCEPTED: DeliveryOutcome
DELIVERY_OUTCOME_THROTTLED: DeliveryOutcome
DELIVERY_OUTCOME_REFUSED_PAYLOAD: DeliveryOutcome
DELIVERY_OUTCOME_REFUSED_SIGNATURE: DeliveryOutcome
DELIVERY_OUTCOME_TOO_LARGE: DeliveryOutcome
DELIVERY_OUTCOME_FAILED: DeliveryOutcome

class DeliveryReport(_message.Message):
    __slots__ = ("envelope", "outcome", "status", "reason", "answer", "field_errors")
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    FIELD_ERRORS_FIELD_NUMBER: _ClassVar[int]
    envelope: _envelope_pb2.DeliveryEnvelope
    outcome: DeliveryOutcome
    status: int
    reason: str
    answer: str
    field_errors: _containers.RepeatedCompositeFieldContainer[_error_details_pb2.BadRequest.FieldViolation]
    def __init__(self, envelope: _Optional[_Union[_envelope_pb2.DeliveryEnvelope, _Mapping]] = ..., outcome: _Optional[_Union[DeliveryOutcome, str]] = ..., status: _Optional[int] = ..., reason: _Optional[str] = ..., answer: _Optional[str] = ..., field_errors: _Optional[_Iterable[_Union[_error_details_pb2.BadRequest.FieldViolation, _Mapping]]] = ...) -> None: ...

class Delivery(_message.Message):
    __slots__ = ("id", "organization_id", "integration_id", "integration_type", "outcome", "status", "reason", "answer", "request_id", "source_address", "headers", "body", "body_size", "field_errors", "results", "receive_time", "replayable", "replay_time", "replayed_by", "replay_error")
    ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    BODY_SIZE_FIELD_NUMBER: _ClassVar[int]
    FIELD_ERRORS_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    RECEIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    REPLAYABLE_FIELD_NUMBER: _ClassVar[int]
    REPLAY_TIME_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_BY_FIELD_NUMBER: _ClassVar[int]
    REPLAY_ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    organization_id: str
    integration_id: str
    integration_type: _common_pb2.IntegrationType
    outcome: DeliveryOutcome
    status: int
    reason: str
    answer: str
    request_id: str
    source_address: str
    headers: _containers.RepeatedCompositeFieldContainer[_common_pb2.Header]
    body: bytes
    body_size: int
    field_errors: _containers.RepeatedCompositeFieldContainer[_error_details_pb2.BadRequest.FieldViolation]
    results: _containers.RepeatedCompositeFieldContainer[_incident_pb2.IngestResult]
    receive_time: _timestamp_pb2.Timestamp
    replayable: bool
    replay_time: _timestamp_pb2.Timestamp
    replayed_by: str
    replay_error: str
    def __init__(self, id: _Optional[str] = ..., organization_id: _Optional[str] = ..., integration_id: _Optional[str] = ..., integration_type: _Optional[_Union[_common_pb2.IntegrationType, str]] = ..., outcome: _Optional[_Union[DeliveryOutcome, str]] = ..., status: _Optional[int] = ..., reason: _Optional[str] = ..., answer: _Optional[str] = ..., request_id: _Optional[str] = ..., source_address: _Optional[str] = ..., headers: _Optional[_Iterable[_Union[_common_pb2.Header, _Mapping]]] = ..., body: _Optional[bytes] = ..., body_size: _Optional[int] = ..., field_errors: _Optional[_Iterable[_Union[_error_details_pb2.BadRequest.FieldViolation, _Mapping]]] = ..., results: _Optional[_Iterable[_Union[_incident_pb2.IngestResult, _Mapping]]] = ..., receive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., replayable: _Optional[bool] = ..., replay_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., replayed_by: _Optional[str] = ..., replay_error: _Optional[str] = ...) -> None: ...

class ListDeliveriesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "integration_id", "outcome", "start_time", "end_time")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    integration_id: str
    outcome: DeliveryOutcome
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., integration_id: _Optional[str] = ..., outcome: _Optional[_Union[DeliveryOutcome, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries", "next_page_token")
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[Delivery]
    next_page_token: str
    def __init__(self, deliveries: _Optional[_Iterable[_Union[Delivery, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetDeliveryRequest(_message.Message):
    __slots__ = ("delivery_id",)
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    def __init__(self, delivery_id: _Optional[str] = ...) -> None: ...

class GetDeliveryResponse(_message.Message):
    __slots__ = ("delivery",)
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    delivery: Delivery
    def __init__(self, delivery: _Optional[_Union[Delivery, _Mapping]] = ...) -> None: ...

class ReplayDeliveryRequest(_message.Message):
    __slots__ = ("delivery_id",)
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    def __init__(self, delivery_id: _Optional[str] = ...) -> None: ...

class ReplayDeliveryResponse(_message.Message):
    __slots__ = ("delivery", "results", "replayed")
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    delivery: Delivery
    results: _containers.RepeatedCompositeFieldContainer[_incident_pb2.IngestResult]
    replayed: bool
    def __init__(self, delivery: _Optional[_Union[Delivery, _Mapping]] = ..., results: _Optional[_Iterable[_Union[_incident_pb2.IngestResult, _Mapping]]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class GetDeliveryStatsRequest(_message.Message):
    __slots__ = ("integration_id",)
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    def __init__(self, integration_id: _Optional[str] = ...) -> None: ...

class GetDeliveryStatsResponse(_message.Message):
    __slots__ = ("created", "updated", "resolved", "ignored", "accepted", "throttled", "refused", "failed", "last_delivery", "last_error")
    class RefusedEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    CREATED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    IGNORED_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    THROTTLED_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    LAST_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    created: int
    updated: int
    resolved: int
    ignored: int
    accepted: int
    throttled: int
    refused: _containers.ScalarMap[str, int]
    failed: int
    last_delivery: Delivery
    last_error: Delivery
    def __init__(self, created: _Optional[int] = ..., updated: _Optional[int] = ..., resolved: _Optional[int] = ..., ignored: _Optional[int] = ..., accepted: _Optional[int] = ..., throttled: _Optional[int] = ..., refused: _Optional[_Mapping[str, int]] = ..., failed: _Optional[int] = ..., last_delivery: _Optional[_Union[Delivery, _Mapping]] = ..., last_error: _Optional[_Union[Delivery, _Mapping]] = ...) -> None: ...

class RecordDeliveriesRequest(_message.Message):
    __slots__ = ("reports",)
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    reports: _containers.RepeatedCompositeFieldContainer[DeliveryReport]
    def __init__(self, reports: _Optional[_Iterable[_Union[DeliveryReport, _Mapping]]] = ...) -> None: ...

class RecordDeliveriesResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
