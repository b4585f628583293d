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

class Disposition(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISPOSITION_UNSPECIFIED: _ClassVar[Disposition]
    DISPOSITION_PROCEED: _ClassVar[Disposition]
    DISPOSITION_HANDLED: _ClassVar[Disposition]
DISPOSITION_UNSPECIFIED: Disposition
DISPOSITION_PROCEED: Disposition
DISPOSITION_HANDLED: Disposition

class IdentifyRoutingKeyRequest(_message.Message):
    __slots__ = ("routing_key", "source_address")
    ROUTING_KEY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    routing_key: str
    source_address: str
    def __init__(self, routing_key: _Optional[str] = ..., source_address: _Optional[str] = ...) -> None: ...

class IdentifyRoutingKeyResponse(_message.Message):
    __slots__ = ("integration",)
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    integration: _common_pb2.Integration
    def __init__(self, integration: _Optional[_Union[_common_pb2.Integration, _Mapping]] = ...) -> None: ...

class ConsumeQuotaRequest(_message.Message):
    __slots__ = ("organization_id", "integration_id")
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    organization_id: str
    integration_id: str
    def __init__(self, organization_id: _Optional[str] = ..., integration_id: _Optional[str] = ...) -> None: ...

class ConsumeQuotaResponse(_message.Message):
    __slots__ = ("allowed", "rate_limit")
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    allowed: bool
    rate_limit: _common_pb2.RateLimitState
    def __init__(self, allowed: _Optional[bool] = ..., rate_limit: _Optional[_Union[_common_pb2.RateLimitState, _Mapping]] = ...) -> None: ...

class ListIntegrationsByServiceRequest(_message.Message):
    __slots__ = ("organization_id", "service_id")
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    organization_id: str
    service_id: str
    def __init__(self, organization_id: _Optional[str] = ..., service_id: _Optional[str] = ...) -> None: ...

class ListIntegrationsByServiceResponse(_message.Message):
    __slots__ = ("integration_ids",)
    INTEGRATION_IDS_FIELD_NUMBER: _ClassVar[int]
    integration_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, integration_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class VerifyApiKeyRequest(_message.Message):
    __slots__ = ("secret",)
    SECRET_FIELD_NUMBER: _ClassVar[int]
    secret: str
    def __init__(self, secret: _Optional[str] = ...) -> None: ...

class VerifyApiKeyResponse(_message.Message):
    __slots__ = ("organization_id", "key_id", "role")
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    organization_id: str
    key_id: str
    role: str
    def __init__(self, organization_id: _Optional[str] = ..., key_id: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class AuthenticateRequest(_message.Message):
    __slots__ = ("routing_key", "headers", "body", "receive_time", "source_address", "dry_run")
    ROUTING_KEY_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    RECEIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    routing_key: str
    headers: _containers.RepeatedCompositeFieldContainer[_common_pb2.Header]
    body: bytes
    receive_time: _timestamp_pb2.Timestamp
    source_address: str
    dry_run: bool
    def __init__(self, routing_key: _Optional[str] = ..., headers: _Optional[_Iterable[_Union[_common_pb2.Header, _Mapping]]] = ..., body: _Optional[bytes] = ..., receive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source_address: _Optional[str] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class AuthenticateResponse(_message.Message):
    __slots__ = ("integration", "delivery_key", "rate_limit", "disposition", "message", "delivery_alias", "repeat")
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_KEY_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    DISPOSITION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ALIAS_FIELD_NUMBER: _ClassVar[int]
    REPEAT_FIELD_NUMBER: _ClassVar[int]
    integration: _common_pb2.Integration
    delivery_key: str
    rate_limit: _common_pb2.RateLimitState
    disposition: Disposition
    message: str
    delivery_alias: str
    repeat: bool
    def __init__(self, integration: _Optional[_Union[_common_pb2.Integration, _Mapping]] = ..., delivery_key: _Optional[str] = ..., rate_limit: _Optional[_Union[_common_pb2.RateLimitState, _Mapping]] = ..., disposition: _Optional[_Union[Disposition, str]] = ..., message: _Optional[str] = ..., delivery_alias: _Optional[str] = ..., repeat: _Optional[bool] = ...) -> None: ...

class AuthenticateBatchRequest(_message.Message):
    __slots__ = ("requests", "request_ids", "traceparents")
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_IDS_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[AuthenticateRequest]
    request_ids: _containers.RepeatedScalarFieldContainer[str]
    traceparents: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, requests: _Optional[_Iterable[_Union[AuthenticateRequest, _Mapping]]] = ..., request_ids: _Optional[_Iterable[str]] = ..., traceparents: _Optional[_Iterable[str]] = ...) -> None: ...

class AuthenticateBatchResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[AuthenticateResult]
    def __init__(self, results: _Optional[_Iterable[_Union[AuthenticateResult, _Mapping]]] = ...) -> None: ...

class AuthenticateResult(_message.Message):
    __slots__ = ("response", "error")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    response: AuthenticateResponse
    error: _status_pb2.Status
    def __init__(self, response: _Optional[_Union[AuthenticateResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...
