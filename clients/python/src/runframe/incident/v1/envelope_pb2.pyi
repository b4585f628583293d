import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from runframe.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeliveryEnvelope(_message.Message):
    __slots__ = ("request_id", "source_address", "headers", "body", "body_size", "receive_time", "integration", "verified", "delivery_key")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    BODY_SIZE_FIELD_NUMBER: _ClassVar[int]
    RECEIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_KEY_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    source_address: str
    headers: _containers.RepeatedCompositeFieldContainer[_common_pb2.Header]
    body: bytes
    body_size: int
    receive_time: _timestamp_pb2.Timestamp
    integration: _common_pb2.Integration
    verified: bool
    delivery_key: str
    def __init__(self, request_id: _Optional[str] = ..., source_address: _Optional[str] = ..., headers: _Optional[_Iterable[_Union[_common_pb2.Header, _Mapping]]] = ..., body: _Optional[bytes] = ..., body_size: _Optional[int] = ..., receive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., integration: _Optional[_Union[_common_pb2.Integration, _Mapping]] = ..., verified: _Optional[bool] = ..., delivery_key: _Optional[str] = ...) -> None: ...
