import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from runframe.common.v1 import common_pb2 as _common_pb2
from runframe.incident.v1 import envelope_pb2 as _envelope_pb2
from runframe.normalizer.v1 import normalizer_pb2 as _normalizer_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IngestAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INGEST_ACTION_UNSPECIFIED: _ClassVar[IngestAction]
    INGEST_ACTION_CREATED: _ClassVar[IngestAction]
    INGEST_ACTION_UPDATED: _ClassVar[IngestAction]
    INGEST_ACTION_RESOLVED: _ClassVar[IngestAction]
    INGEST_ACTION_IGNORED: _ClassVar[IngestAction]
    INGEST_ACTION_ACKNOWLEDGED: _ClassVar[IngestAction]

class IncidentEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INCIDENT_EVENT_TYPE_UNSPECIFIED: _ClassVar[IncidentEventType]
    INCIDENT_EVENT_TYPE_CREATED: _ClassVar[IncidentEventType]
    INCIDENT_EVENT_TYPE_TRIGGERED: _ClassVar[IncidentEventType]
    INCIDENT_EVENT_TYPE_ACKNOWLEDGED: _ClassVar[IncidentEventType]
    INCIDENT_EVENT_TYPE_RESOLVED: _ClassVar[IncidentEventType]
    INCIDENT_EVENT_TYPE_FLAPPING: _ClassVar[IncidentEventType]
INGEST_ACTION_UNSPECIFIED: IngestAction
INGEST_ACTION_CREATED: IngestAction
INGEST_ACTION_UPDATED: IngestAction
INGEST_ACTION_RESOLVED: IngestAction
INGEST_ACTION_IGNORED: IngestAction
INGEST_ACTION_ACKNOWLEDGED: IngestAction
INCIDENT_EVENT_TYPE_UNSPECIFIED: IncidentEventType
INCIDENT_EVENT_TYPE_CREATED: IncidentEventType
INCIDENT_EVENT_TYPE_TRIGGERED: IncidentEventType
INCIDENT_EVENT_TYPE_ACKNOWLEDGED: IncidentEventType
INCIDENT_EVENT_TYPE_RESOLVED: IncidentEventType
INCIDENT_EVENT_TYPE_FLAPPING: IncidentEventType

class Incident(_message.Message):
    __slots__ = ("id", "organization_id", "integration_id", "title", "description", "severity", "status", "service_id", "dedup_key", "source_url", "metadata", "occurrence_count", "create_time", "update_time", "last_seen_time", "resolve_time", "acknowledge_time", "acknowledged_by", "truncated_alerts", "flapping")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    DEDUP_KEY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_URL_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_BY_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_ALERTS_FIELD_NUMBER: _ClassVar[int]
    FLAPPING_FIELD_NUMBER: _ClassVar[int]
    id: str
    organization_id: str
    integration_id: str
    title: str
    description: str
    severity: _common_pb2.Severity
    status: _common_pb2.IncidentStatus
    service_id: str
    dedup_key: str
    source_url: str
    metadata: _containers.ScalarMap[str, str]
    occurrence_count: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    last_seen_time: _timestamp_pb2.Timestamp
    resolve_time: _timestamp_pb2.Timestamp
    acknowledge_time: _timestamp_pb2.Timestamp
    acknowledged_by: str
    truncated_alerts: int
    flapping: bool
    def __init__(self, id: _Optional[str] = ..., organization_id: _Optional[str] = ..., integration_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.Severity, str]] = ..., status: _Optional[_Union[_common_pb2.IncidentStatus, str]] = ..., service_id: _Optional[str] = ..., dedup_key: _Optional[str] = ..., source_url: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., occurrence_count: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seen_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., acknowledge_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., acknowledged_by: _Optional[str] = ..., truncated_alerts: _Optional[int] = ..., flapping: _Optional[bool] = ...) -> None: ...

class IngestRequest(_message.Message):
    __slots__ = ("organization_id", "integration_id", "delivery_key", "alerts", "receive_time", "delivery_alias", "envelope", "integration")
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_KEY_FIELD_NUMBER: _ClassVar[int]
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    RECEIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ALIAS_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    organization_id: str
    integration_id: str
    delivery_key: str
    alerts: _containers.RepeatedCompositeFieldContainer[_normalizer_pb2.NormalizedAlert]
    receive_time: _timestamp_pb2.Timestamp
    delivery_alias: str
    envelope: _envelope_pb2.DeliveryEnvelope
    integration: _common_pb2.Integration
    def __init__(self, organization_id: _Optional[str] = ..., integration_id: _Optional[str] = ..., delivery_key: _Optional[str] = ..., alerts: _Optional[_Iterable[_Union[_normalizer_pb2.NormalizedAlert, _Mapping]]] = ..., receive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivery_alias: _Optional[str] = ..., envelope: _Optional[_Union[_envelope_pb2.DeliveryEnvelope, _Mapping]] = ..., integration: _Optional[_Union[_common_pb2.Integration, _Mapping]] = ...) -> None: ...

class IngestResponse(_message.Message):
    __slots__ = ("results", "replayed")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[IngestResult]
    replayed: bool
    def __init__(self, results: _Optional[_Iterable[_Union[IngestResult, _Mapping]]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class ExplainIngestRequest(_message.Message):
    __slots__ = ("ingest",)
    INGEST_FIELD_NUMBER: _ClassVar[int]
    ingest: IngestRequest
    def __init__(self, ingest: _Optional[_Union[IngestRequest, _Mapping]] = ...) -> None: ...

class ExplainIngestResponse(_message.Message):
    __slots__ = ("explanations", "replayed")
    EXPLANATIONS_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    explanations: _containers.RepeatedCompositeFieldContainer[IngestExplanation]
    replayed: bool
    def __init__(self, explanations: _Optional[_Iterable[_Union[IngestExplanation, _Mapping]]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class IngestExplanation(_message.Message):
    __slots__ = ("result", "new_incident_alert")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    NEW_INCIDENT_ALERT_FIELD_NUMBER: _ClassVar[int]
    result: IngestResult
    new_incident_alert: int
    def __init__(self, result: _Optional[_Union[IngestResult, _Mapping]] = ..., new_incident_alert: _Optional[int] = ...) -> None: ...

class IngestResult(_message.Message):
    __slots__ = ("incident_id", "action", "dedup_key")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    DEDUP_KEY_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    action: IngestAction
    dedup_key: str
    def __init__(self, incident_id: _Optional[str] = ..., action: _Optional[_Union[IngestAction, str]] = ..., dedup_key: _Optional[str] = ...) -> None: ...

class ListIncidentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "status", "service_id", "integration_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    status: _common_pb2.IncidentStatus
    service_id: str
    integration_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.IncidentStatus, str]] = ..., service_id: _Optional[str] = ..., integration_id: _Optional[str] = ...) -> None: ...

class ListIncidentsResponse(_message.Message):
    __slots__ = ("incidents", "next_page_token")
    INCIDENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    incidents: _containers.RepeatedCompositeFieldContainer[Incident]
    next_page_token: str
    def __init__(self, incidents: _Optional[_Iterable[_Union[Incident, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetIncidentRequest(_message.Message):
    __slots__ = ("incident_id",)
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    def __init__(self, incident_id: _Optional[str] = ...) -> None: ...

class GetIncidentResponse(_message.Message):
    __slots__ = ("incident",)
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    incident: Incident
    def __init__(self, incident: _Optional[_Union[Incident, _Mapping]] = ...) -> None: ...

class AcknowledgeIncidentRequest(_message.Message):
    __slots__ = ("incident_id",)
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    def __init__(self, incident_id: _Optional[str] = ...) -> None: ...

class AcknowledgeIncidentResponse(_message.Message):
    __slots__ = ("incident",)
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    incident: Incident
    def __init__(self, incident: _Optional[_Union[Incident, _Mapping]] = ...) -> None: ...

class ResolveIncidentRequest(_message.Message):
    __slots__ = ("incident_id", "note")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    note: str
    def __init__(self, incident_id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class ResolveIncidentResponse(_message.Message):
    __slots__ = ("incident",)
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    incident: Incident
    def __init__(self, incident: _Optional[_Union[Incident, _Mapping]] = ...) -> None: ...

class IncidentEvent(_message.Message):
    __slots__ = ("id", "incident_id", "type", "actor", "summary", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    incident_id: str
    type: IncidentEventType
    actor: str
    summary: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., incident_id: _Optional[str] = ..., type: _Optional[_Union[IncidentEventType, str]] = ..., actor: _Optional[str] = ..., summary: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListIncidentEventsRequest(_message.Message):
    __slots__ = ("incident_id", "page_size", "page_token")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    page_size: int
    page_token: str
    def __init__(self, incident_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListIncidentEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[IncidentEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[IncidentEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Service(_message.Message):
    __slots__ = ("id", "name")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class ListServicesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListServicesResponse(_message.Message):
    __slots__ = ("services", "next_page_token")
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    services: _containers.RepeatedCompositeFieldContainer[Service]
    next_page_token: str
    def __init__(self, services: _Optional[_Iterable[_Union[Service, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetServiceRequest(_message.Message):
    __slots__ = ("service_id",)
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    service_id: str
    def __init__(self, service_id: _Optional[str] = ...) -> None: ...

class GetServiceResponse(_message.Message):
    __slots__ = ("service",)
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    service: Service
    def __init__(self, service: _Optional[_Union[Service, _Mapping]] = ...) -> None: ...

class CheckServiceRequest(_message.Message):
    __slots__ = ("organization_id", "service_id")
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    organization_id: str
    service_id: str
    def __init__(self, organization_id: _Optional[str] = ..., service_id: _Optional[str] = ...) -> None: ...

class CheckServiceResponse(_message.Message):
    __slots__ = ("exists",)
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    exists: bool
    def __init__(self, exists: _Optional[bool] = ...) -> None: ...

class IngestBatchRequest(_message.Message):
    __slots__ = ("requests", "request_ids", "traceparents")
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_IDS_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[IngestRequest]
    request_ids: _containers.RepeatedScalarFieldContainer[str]
    traceparents: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, requests: _Optional[_Iterable[_Union[IngestRequest, _Mapping]]] = ..., request_ids: _Optional[_Iterable[str]] = ..., traceparents: _Optional[_Iterable[str]] = ...) -> None: ...

class IngestBatchResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[IngestBatchResult]
    def __init__(self, results: _Optional[_Iterable[_Union[IngestBatchResult, _Mapping]]] = ...) -> None: ...

class IngestBatchResult(_message.Message):
    __slots__ = ("response", "error")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    response: IngestResponse
    error: _status_pb2.Status
    def __init__(self, response: _Optional[_Union[IngestResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class CreateServiceRequest(_message.Message):
    __slots__ = ("service",)
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    service: Service
    def __init__(self, service: _Optional[_Union[Service, _Mapping]] = ...) -> None: ...

class CreateServiceResponse(_message.Message):
    __slots__ = ("service",)
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    service: Service
    def __init__(self, service: _Optional[_Union[Service, _Mapping]] = ...) -> None: ...

class UpdateServiceRequest(_message.Message):
    __slots__ = ("service",)
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    service: Service
    def __init__(self, service: _Optional[_Union[Service, _Mapping]] = ...) -> None: ...

class UpdateServiceResponse(_message.Message):
    __slots__ = ("service",)
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    service: Service
    def __init__(self, service: _Optional[_Union[Service, _Mapping]] = ...) -> None: ...

class DeleteServiceRequest(_message.Message):
    __slots__ = ("service_id",)
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    service_id: str
    def __init__(self, service_id: _Optional[str] = ...) -> None: ...

class DeleteServiceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WatchIncidentsRequest(_message.Message):
    __slots__ = ("cursor", "start_time")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, cursor: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WatchIncidentsResponse(_message.Message):
    __slots__ = ("incident", "latest_event", "revision", "cursor")
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    LATEST_EVENT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    incident: Incident
    latest_event: IncidentEvent
    revision: int
    cursor: str
    def __init__(self, incident: _Optional[_Union[Incident, _Mapping]] = ..., latest_event: _Optional[_Union[IncidentEvent, _Mapping]] = ..., revision: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...
